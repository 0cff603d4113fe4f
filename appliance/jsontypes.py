"""JSON-shaped values as types: what readings, request bodies, settings and API rows carry.

A leaf module like errors.py: every layer may use it, it imports nothing of the appliance but errors. The
containers are read-only (`Sequence`, `Mapping`), so a `dict[str, float]` or a `list[str]` is a
`JsonValue` as it is, and a consumer must look at a value (isinstance) before using it as a number:
exactly what data from a device, a body or a file deserves. `Json` is the writable object a service
builds and hands to `json.dumps` or Flask's `jsonify`.
"""

from __future__ import annotations

from typing import Mapping, Sequence, TypeAlias, Union, cast

from appliance.errors import ValidationError

#: One JSON leaf. (`int` is listed for readers: to mypy a float already accepts one.)
JsonScalar: TypeAlias = Union[None, bool, int, float, str]
#: Any JSON value, nested to any depth.
JsonValue: TypeAlias = Union[JsonScalar, Sequence["JsonValue"], Mapping[str, "JsonValue"]]
#: A JSON object to read (a body, a reading's values, a stored document).
JsonObject: TypeAlias = Mapping[str, JsonValue]
#: A JSON object being built.
Json: TypeAlias = dict[str, JsonValue]


def as_json(typed: Mapping[str, object]) -> JsonObject:
    """A TypedDict whose fields are JSON values, as the JSON object it is (mypy cannot see that one is the
    other: a TypedDict is only a `Mapping[str, object]` to it). No copy is made."""
    return cast(JsonObject, typed)


def number(value: object) -> float | None:
    """A JSON number as it is (an int stays an int); a bool, text or anything else is None."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def text(value: object) -> str | None:
    """JSON text as it is; anything else (a number, a missing value) is None."""
    return value if isinstance(value, str) else None


def as_object(value: object) -> JsonObject:
    """A JSON object, or an empty one for anything else (a missing or malformed nested part)."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: object) -> Sequence[JsonValue]:
    """A JSON list, or an empty one for anything else (text is not a list here)."""
    return value if isinstance(value, (list, tuple)) else ()


def to_float(value: object, field: str) -> float:
    """A config or body number as a float (numeric text too, as float() takes it); else ValidationError."""
    if isinstance(value, (int, float, str)):
        try:
            return float(value)
        except ValueError:
            pass
    raise ValidationError(f"{field} must be a number", field=field)


def to_int(value: object, field: str) -> int:
    """A config or body number as an int (as int() takes it); else ValidationError."""
    if isinstance(value, (int, float, str)):
        try:
            return int(value)
        except (ValueError, OverflowError):
            pass
    raise ValidationError(f"{field} must be an integer", field=field)
