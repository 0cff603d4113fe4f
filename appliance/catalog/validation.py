"""The catalog's own check: an adapter config against its driver's JSON schema (the generic field checks are
in appliance/validation.py)."""

from __future__ import annotations

import re
from typing import Mapping

import jsonschema

from appliance.drivers import driver_for
from appliance.errors import ValidationError
from appliance.jsontypes import Json
from appliance.validation import check_value

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

