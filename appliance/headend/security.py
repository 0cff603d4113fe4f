"""Who may talk to the reference headend: a bearer token when one is set, else only this machine."""

from __future__ import annotations

import hmac
import ipaddress

from flask import Flask, Response, request

from appliance.errors import ValidationError
from appliance.headend.jsonio import error_response

#: The environment variable the command reads the token from (argv is visible to every local user).
TOKEN_ENV = "APPLIANCE_HEADEND_TOKEN"


def require_token(app: Flask, token: str | None) -> None:
    """With a token, every request must carry it as `Authorization: Bearer`; 401 otherwise."""
    if token is None:
        return
    expected = token.encode()

    @app.before_request
    def _auth() -> Response | None:
        given = request.headers.get("Authorization", "").partition(" ")[2].strip()
        if not hmac.compare_digest(given.encode(), expected):
            return error_response(401, "unauthorized", "a valid bearer token is required")
        return None


def check_exposure(host: str, token: str | None) -> str | None:
    """Refuse to serve beyond loopback without a token; return the warning to print when there is none."""
    if token:
        return None
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValidationError(f"without a token anyone who reaches {host} could dispatch setpoints to the homes: "
                              f"set {TOKEN_ENV}, or listen on 127.0.0.1", field="host")
    return ("WARNING: the reference headend runs without a token: every program on this machine may register, "
            f"ingest and dispatch setpoints; set {TOKEN_ENV} before anyone else can reach it")
