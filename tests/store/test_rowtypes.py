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
