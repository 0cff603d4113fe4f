"""The row shapes services declare (store.rowtypes) are the rows they hand out: the same columns."""

from __future__ import annotations

import typing

import pytest

from appliance.store import models, rowtypes

SHAPES = {name.removesuffix("Row"): shape for name, shape in vars(rowtypes).items()
          if name.endswith("Row") and typing.is_typeddict(shape)}


def test_every_shape_names_a_model():
    assert SHAPES, "store.rowtypes declares no row shape"
    assert set(SHAPES) <= set(vars(models)), sorted(set(SHAPES) - set(vars(models)))


def test_the_models_package_exports_every_model():
    # __all__ is spelled out (mypy's no_implicit_reexport reads it): a new model must be added to it.
    defined = {name for name, value in vars(models).items() if isinstance(value, type)
               and issubclass(value, models.BaseModel) and value is not models.BaseModel}
    assert defined <= set(models.__all__), sorted(defined - set(models.__all__))
    assert all(hasattr(models, name) for name in models.__all__)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_shape_has_the_columns_of_its_model(name):
    model = getattr(models, name)
    columns = [field.column_name for field in model._meta.sorted_fields]
    assert list(typing.get_type_hints(SHAPES[name])) == columns


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_nullable_columns_may_be_none(name):
    model, hints = getattr(models, name), typing.get_type_hints(SHAPES[name])
    for field in model._meta.sorted_fields:
        if field.null:
            assert type(None) in typing.get_args(hints[field.column_name]), f"{name}.{field.column_name}"
