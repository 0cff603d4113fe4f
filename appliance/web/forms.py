"""HTML forms: entity fields and adapter configs generated from their JSON schema, and back to values."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Mapping

from appliance.errors import ValidationError
from appliance.web.entities import Entity, Field

CONFIG_PREFIX = "config."


@dataclass(frozen=True)
class SchemaField:
    """One input generated from a JSON-schema property of an adapter type."""

    name: str  # the form input name, e.g. "config.host" (matches the service's ValidationError.field)
    key: str
    label: str
    kind: str  # text, int, float, select, bool, list
    required: bool
    choices: tuple[tuple[str, str], ...]
    enum: tuple[Any, ...]
    default: Any
    help: str
    minimum: Any = None
    maximum: Any = None
    pattern: str | None = None


def _conditional_required(schema: Mapping[str, Any]) -> dict[str, str]:
    """Keys required only under a condition, as `key -> "when transport is tcp"` help text."""
    out: dict[str, str] = {}
    for rule in schema.get("allOf", []):
        condition = rule.get("if", {}).get("properties", {})
        for key in rule.get("then", {}).get("required", []):
            for prop, test in condition.items():
                if "const" in test:
                    out[key] = f"required when {prop} is {test['const']}"
    return out


def schema_fields(schema: Mapping[str, Any]) -> list[SchemaField]:
    """The inputs of an adapter type's config schema, in schema order (`type` is implied, so left out)."""
    required = set(schema.get("required", []))
    conditional = _conditional_required(schema)
    fields = []
    for key, prop in schema.get("properties", {}).items():
        if key == "type":
            continue
        kind, enum = "text", tuple(prop.get("enum", ()))
        choices: tuple[tuple[str, str], ...] = ()
        if enum:
            kind, choices = "select", tuple((_form_value(v), str(v)) for v in enum)
        elif prop.get("type") == "integer":
            kind = "int"
        elif prop.get("type") == "number":
            kind = "float"
        elif prop.get("type") == "boolean":
            kind = "bool"
        elif prop.get("type") == "array":
            kind = "list"
        help_text = "; ".join(t for t in (prop.get("description", ""), conditional.get(key, "")) if t)
        fields.append(SchemaField(name=CONFIG_PREFIX + key, key=key, label=key.replace("_", " "), kind=kind,
                                  required=key in required, choices=choices, enum=enum, default=prop.get("default"),
                                  help=help_text, minimum=prop.get("minimum"), maximum=prop.get("maximum"),
                                  pattern=prop.get("pattern")))
    return fields


def _form_value(value: object) -> str:
    # Strings are sent as themselves, other enum values (numbers) as their JSON text.
    return value if isinstance(value, str) else json.dumps(value, allow_nan=False)


def _number(raw: str, name: str, integer: bool) -> int | float:
    try:
        return int(raw) if integer else float(raw) if any(c in raw for c in ".eE") else int(raw)
    except ValueError:
        raise ValidationError(f"{name} must be a {'whole ' if integer else ''}number", field=name) from None


def config_from_form(schema: Mapping[str, Any], form: Mapping[str, str]) -> dict[str, Any]:
    """An adapter config from submitted inputs: empty inputs are left out so the schema's defaults apply."""
    config: dict[str, Any] = {}
    for f in schema_fields(schema):
        raw = (form.get(f.name) or "").strip()
        if f.kind == "bool":
            if f.name in form:
                config[f.key] = raw in ("on", "true", "1")
            continue
        if not raw:
            continue
        if f.kind == "select":
            options = {_form_value(v): v for v in f.enum}
            if raw not in options:
                raise ValidationError(f"{f.name} must be one of {', '.join(label for _, label in f.choices)}", field=f.name)
            config[f.key] = options[raw]
        elif f.kind in ("int", "float"):
            config[f.key] = _number(raw, f.name, f.kind == "int")
        elif f.kind == "list":
            config[f.key] = [line.strip() for line in raw.replace(",", "\n").splitlines() if line.strip()]
        else:
            config[f.key] = raw
    return config


def config_values(config: Mapping[str, Any]) -> dict[str, str]:
    """An adapter config as input values (the inverse of config_from_form)."""
    out = {}
    for key, value in config.items():
        if isinstance(value, list):
            out[CONFIG_PREFIX + key] = "\n".join(str(v) for v in value)
        elif isinstance(value, float) and not math.isfinite(value):
            out[CONFIG_PREFIX + key] = ""  # stored before NaN was refused: shown empty, so saving the form fixes it
        elif isinstance(value, bool) or not isinstance(value, str):
            out[CONFIG_PREFIX + key] = json.dumps(value, allow_nan=False)
        else:
            out[CONFIG_PREFIX + key] = value
    return out


def entity_from_form(entity: Entity, form: Mapping[str, str], *, creating: bool) -> dict[str, Any]:
    """Entity values from submitted inputs: text stays text, numbers are parsed, empty means none."""
    values: dict[str, Any] = {}
    for f in entity.fields if creating else entity.editable():
        values[f.name] = _field_value(f, form)
    if creating:
        # Optional fields left empty are simply not sent, so the service's defaults apply.
        values = {k: v for k, v in values.items() if v is not None or (entity.field(k) or Field(k, k)).required}
    else:
        # An empty count (batteries, cells) means "unchanged"; an empty text or choice clears the value.
        values = {k: v for k, v in values.items() if v is not None or (entity.field(k) or Field(k, k)).kind != "int"}
    return values


def _field_value(f: Field, form: Mapping[str, str]) -> Any:
    if f.kind == "bool":
        return form.get(f.name) in ("on", "true", "1")
    raw = (form.get(f.name) or "").strip()
    if not raw:
        return None
    if f.kind in ("int", "float"):
        return _number(raw, f.name, f.kind == "int") if f.kind == "int" else float(_number(raw, f.name, False))
    return raw


def entity_values(entity: Entity, item: Mapping[str, Any]) -> dict[str, str]:
    """A service row as input values for its form."""
    out: dict[str, str] = {}
    for f in entity.fields:
        value = item.get(f.name)
        if f.name == "inverter_array_id":
            value = item.get("attached_inverter_array_id")
        if f.kind == "bool":
            out[f.name] = "on" if value else ""
        elif value is not None:
            out[f.name] = f"{value:g}" if isinstance(value, float) else str(value)
    return out
