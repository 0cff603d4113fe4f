"""Reading an API request shared by the fleet and control APIs: a size-limited JSON body, whole-number query
arguments, and who is asking."""

from __future__ import annotations

from typing import Any

from flask import g, request
from werkzeug.exceptions import RequestEntityTooLarge

from appliance.errors import ValidationError
from appliance.web.api import json_body

MAX_BODY = 64 * 1024  # a registration, heartbeat or setpoint is a few hundred bytes


def limited_body(limit: int = MAX_BODY) -> dict[str, Any]:
    """The JSON object of the request, refused before parsing when it is larger than `limit`."""
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"the body is larger than {limit} bytes")
    return json_body()


def caller() -> str:
    """Who sent the request, for the audit: the API token's name, else the logged-in admin."""
    token = getattr(g, "token", None)
    return f"token:{token['name']}" if token else "admin"


def int_arg(name: str, default: int | None = None) -> int | None:
    """A whole-number query argument; absent or empty gives `default`, anything else is a ValidationError."""
    value = request.args.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValidationError(f"{name} must be a whole number", field=name) from None
