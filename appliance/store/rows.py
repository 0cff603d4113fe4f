"""Model rows as plain dicts keyed by column name, the shape services hand upward."""

from __future__ import annotations

import json
from typing import Any

from peewee import Model

JSON_COLUMNS = {"config_json", "config_schema", "supported_transports", "default_config", "metadata",
                "location", "adapter_config", "details", "diagnostics"}


def row(instance: Model) -> dict[str, Any]:
    """Every column of a model instance, JSON columns decoded."""
    out: dict[str, Any] = {}
    for field in instance._meta.sorted_fields:
        value = instance.__data__.get(field.name)
        if field.column_name in JSON_COLUMNS and isinstance(value, str):
            value = _json_or_text(value)
        out[field.column_name] = value
    return out


def _json_or_text(value: str) -> Any:
    """A JSON column's value decoded; text that is not JSON (written by hand) is shown as it is."""
    try:
        return json.loads(value)
    except ValueError:
        return value
