"""Lookups and write helpers shared by the catalog services."""

from __future__ import annotations

from typing import Mapping, TypeVar

from peewee import IntegrityError, Model

from appliance.errors import ConflictError, NotFoundError, ValidationError
from appliance.store.models import database

M = TypeVar("M", bound=Model)


def get(model: type[M], key: str, what: str) -> M:
    """The row with this primary key, or NotFoundError naming what was looked for."""
    instance = model.get_or_none(model._meta.primary_key == key)
    if instance is None:
        raise NotFoundError(f"{what} {key!r} does not exist", field=_key_column(model))
    return instance


def _key_column(model: type[Model]) -> str:
    """The column name of a single-column primary key."""
    return str(getattr(model._meta.primary_key, "column_name", "id"))


def parent(model: type[M], key: object, field: str, what: str) -> M:
    """A referenced parent row; an unknown id is a validation error on `field`."""
    if key is None:
        raise ValidationError(f"{field} is required", field=field)
    instance = model.get_or_none(model._meta.primary_key == key)
    if instance is None:
        raise ValidationError(f"{field}: {what} {key!r} does not exist", field=field)
    return instance


def ensure_new(model: type[Model], key: str, field: str, what: str) -> None:
    """Refuse an id that is already taken."""
    if model.get_or_none(model._meta.primary_key == key) is not None:
        raise ConflictError(f"{what} {key!r} already exists", field=field)


def unknown_fields(changes: Mapping[str, object], allowed: set[str]) -> None:
    """Refuse fields a service does not know, naming the first."""
    for key in changes:
        if key not in allowed:
            raise ValidationError(f"unknown field {key!r}", field=key)


def save(instance: Model, *, force_insert: bool = False) -> None:
    """Save a row, turning constraint failures into ConflictError."""
    try:
        with database.atomic():
            instance.save(force_insert=force_insert)
    except IntegrityError as exc:
        raise ConflictError(f"conflicts with an existing row: {exc}") from exc
