"""Field checks shared by the catalog services; each error names its field."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import jsonschema

from appliance.drivers import driver_for
from appliance.errors import ValidationError
from appliance.jsontypes import Json
from appliance.validation import check_text as check_unicode
from appliance.validation import check_value

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
MAX_NAME = 120


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
    return check_unicode(value.strip(), field)


def check_text(value: object, field: str, *, max_len: int = 500) -> str | None:
    """Optional free text; None stays None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text", field=field)
    if len(value) > max_len:
        raise ValidationError(f"{field} is longer than {max_len} characters", field=field)
    return check_unicode(value, field)


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
    """An ISO 8601 date-time, returned as given."""
    if isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be an ISO 8601 date-time", field=field)
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        raise ValidationError(f"{field} {value!r} is not an ISO 8601 date-time", field=field) from None
    return value


def check_adapter_config(adapter_type: str, config: object, field: str = "config") -> Json:
    """An adapter config that matches its adapter type's JSON schema; `type` is filled in."""
    if not isinstance(config, Mapping):
        raise ValidationError(f"{field} must be an object", field=field)
    check_value(dict(config), field)  # JSON schema minimum/maximum let NaN and Infinity through
    driver = driver_for(adapter_type)
    body = {"type": adapter_type, **config}
    if body["type"] != adapter_type:
        raise ValidationError(f"{field}.type {body['type']!r} does not match adapter type {adapter_type!r}",
                              field=f"{field}.type")
    validator = jsonschema.Draft202012Validator(driver.config_schema)
    errors = sorted(validator.iter_errors(body), key=lambda e: (list(e.absolute_path), e.message))
    if errors:
        err = errors[0]
        path = ".".join(str(p) for p in err.absolute_path)
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else ""
            path = ".".join(p for p in (path, missing) if p)
        elif err.validator == "additionalProperties":
            path = ".".join(p for p in (path, _unexpected_key(err.message)) if p)
        where = f"{field}.{path}" if path else field
        raise ValidationError(f"{where}: {err.message} ({adapter_type} adapter)", field=where)
    return body


def _unexpected_key(message: str) -> str:
    match = re.search(r"\('([^']+)'", message)
    return match.group(1) if match else ""


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
