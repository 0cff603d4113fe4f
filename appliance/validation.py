"""Generic checks at the validation boundary: finite numbers, valid text, bounded nesting; strict JSON; and the
field checks every service shares (identifiers, names, free text, choices, numbers, time zones, currencies).

A leaf module like errors.py and clock.py: every layer may use it, it imports nothing of the appliance
but errors and clock. Each error names its field. JSON bodies (web.jsonio, the headend) and YAML
documents (safe_yaml) go through the same `check_value` walk, so a NaN, an Infinity, a lone surrogate
or a 1,000-deep nesting is refused the same way wherever it enters.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from appliance.clock import parse_instant
from appliance.errors import ValidationError

#: Deepest nesting of objects and lists a body or document may have. The deepest the appliance
#: itself writes is 5 (a config.yaml bank's adapter's option list); 32 leaves room and bounds recursion.
MAX_DEPTH = 32
#: An identifier: 1-64 letters, digits, `_ . : -`, starting with a letter or digit (systems, devices, appliances).
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
MAX_NAME = 120


def check_finite(value: float, field: str | None = None) -> float:
    """A float that is a real number: NaN, Infinity and overflowed literals (1e400) are refused."""
    if not math.isfinite(value):
        where = f"{field}: " if field else ""
        raise ValidationError(f"{where}{_literal(value)} is not allowed: numbers must be finite", field=field)
    return value


def _literal(value: float) -> str:
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def check_text(value: str, field: str | None = None) -> str:
    """Text that is valid Unicode: a lone surrogate (JSON "\\ud800") cannot be stored or shown."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        where = f"{field}: " if field else ""
        raise ValidationError(f"{where}text holds an unpaired surrogate (not valid Unicode)", field=field) from None
    return value


def check_value(value: object, field: str | None = None, *, max_depth: int = MAX_DEPTH) -> Any:
    """Walk a decoded JSON or YAML value: finite numbers, valid text, nesting at most `max_depth`."""
    _walk(value, field, 0, max_depth)
    return value


def _walk(value: object, path: str | None, depth: int, max_depth: int) -> None:
    if isinstance(value, float):
        check_finite(value, path)
    elif isinstance(value, str):
        check_text(value, path)
    elif isinstance(value, (dict, list, tuple)):
        if depth >= max_depth:
            raise ValidationError(f"{path or 'the document'} is nested deeper than {max_depth} levels", field=path)
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    check_text(key, path)
                _walk(item, f"{path}.{key}" if path else str(key), depth + 1, max_depth)
        else:
            for index, item in enumerate(value):
                _walk(item, f"{path}[{index}]" if path else f"[{index}]", depth + 1, max_depth)


def loads(data: str | bytes, field: str | None = None) -> Any:
    """JSON checked by `check_value`: bad syntax raises ValueError, a refused value ValidationError.

    NaN, Infinity and 1e400 parse to non-finite floats first, so the walk can name where they are.
    """
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValidationError(f"the JSON is nested deeper than {MAX_DEPTH} levels", field=field) from None
    return check_value(value, field)


def dumps(value: object, **kwargs: Any) -> str:
    """json.dumps that never writes NaN or Infinity (ValueError instead): what it writes, any parser reads."""
    return json.dumps(value, allow_nan=False, **kwargs)


def finite_or_none(value: object) -> Any:
    """A copy of a JSON-like value with each non-finite float replaced by None (JSON null), for output."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(item) for item in value]
    return value


def check_id(value: object, field: str) -> str:
    """An identifier: 1-64 letters, digits, `_ . : -`, starting with a letter or digit."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} is required", field=field)
    if not ID_PATTERN.match(value):
        raise ValidationError(f"{field} {value!r} must be 1-64 letters, digits, '_', '.', ':' or '-'", field=field)
    return value


def check_name(value: object, field: str = "name") -> str:
    """A display name: non-empty text, at most 120 characters, stripped."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} must not be empty", field=field)
    if len(value) > MAX_NAME:
        raise ValidationError(f"{field} is longer than {MAX_NAME} characters", field=field)
    return check_text(value.strip(), field)


def check_free_text(value: object, field: str, *, max_len: int = 500) -> str | None:
    """Optional free text (a description, a model, a reason) of at most `max_len` characters; None stays None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text", field=field)
    if len(value) > max_len:
        raise ValidationError(f"{field} is longer than {max_len} characters", field=field)
    return check_text(value, field)


def check_choice(value: object, field: str, choices: tuple[str, ...], *, optional: bool = True) -> str | None:
    """One of a fixed set of values."""
    if value is None and optional:
        return None
    if value not in choices:
        raise ValidationError(f"{field} must be one of {', '.join(choices)}, not {value!r}", field=field)
    return str(value)


def check_number(value: object, field: str, *, minimum: float | None = None, maximum: float | None = None,
                 optional: bool = True) -> float | None:
    """A finite number within bounds."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(f"{field} must be a finite number", field=field)
    if minimum is not None and value < minimum:
        raise ValidationError(f"{field} must be at least {minimum:g}", field=field)
    if maximum is not None and value > maximum:
        raise ValidationError(f"{field} must be at most {maximum:g}", field=field)
    return float(value)


def check_int(value: object, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number within bounds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be a whole number", field=field)
    if minimum is not None and value < minimum:
        raise ValidationError(f"{field} must be at least {minimum}", field=field)
    if maximum is not None and value > maximum:
        raise ValidationError(f"{field} must be at most {maximum}", field=field)
    return value


def check_bool(value: object, field: str) -> bool:
    """A true/false flag."""
    if not isinstance(value, bool):
        raise ValidationError(f"{field} must be true or false", field=field)
    return value


def check_timezone(value: object, field: str = "timezone") -> str:
    """An IANA time zone name such as Europe/Berlin."""
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{field} is required", field=field)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{field} {value!r} is not an IANA time zone (e.g. Europe/Berlin)", field=field) from None
    if value not in available_timezones() and value != "UTC":
        raise ValidationError(f"{field} {value!r} is not an IANA time zone (e.g. Europe/Berlin)", field=field)
    return value


def check_currency(value: object, field: str = "currency") -> str:
    """An ISO 4217 currency code: three capital letters such as EUR or PKR."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise ValidationError(f"{field} must be an ISO 4217 code of three capital letters, e.g. EUR", field=field)
    return value


def check_timestamp(value: object, field: str) -> str:
    """An ISO 8601 date-time to keep as text, returned as given; read by clock.parse_instant's rule (epoch ms
    digits are refused here: the column holds ISO text)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str) or value.strip().isdigit():
        raise ValidationError(f"{field} must be an ISO 8601 date-time", field=field)
    parse_instant(value, field)
    return value


def json_object(value: object, field: str) -> str:
    """Serialise an optional JSON object for a TEXT column."""
    if value is None:
        return "{}"
    if not isinstance(value, Mapping):
        raise ValidationError(f"{field} must be an object", field=field)
    try:
        return json.dumps(value, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{field} cannot be stored: {exc}", field=field) from None
