"""JSON in and out of the headend: bodies read strictly (gzip bounded, JSON checked), errors in the API's format."""

from __future__ import annotations

import json
import zlib
from typing import Any

from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from appliance import validation
from appliance.errors import ApplianceError, ConflictError, NotFoundError, ValidationError

#: The largest body, also once a gzip body is inflated (a feed page of 5000 rows is a few MB).
MAX_BODY = 32 * 1024 * 1024
_STATUS = {ValidationError: 400, NotFoundError: 404, ConflictError: 409}


class StandardJSON(DefaultJSONProvider):
    """Flask's JSON output with allow_nan=False: a headend answers only JSON any parser reads."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialise like Flask, refusing NaN and Infinity."""
        kwargs.setdefault("default", self.default)
        return json.dumps(obj, allow_nan=False, **kwargs)


def read_body() -> dict[str, Any]:
    """The request's JSON object (gzip if the request says so); ValidationError (400) for anything else."""
    data = request.get_data(cache=False)
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(data, MAX_BODY)
        except zlib.error as exc:
            raise ValidationError("the body is not valid gzip", field=None) from exc
        if inflater.unconsumed_tail:
            raise ValidationError("the body is too large once inflated", field=None)
    try:
        body = validation.loads(data)  # NaN, Infinity, lone surrogates, deep nesting: ValidationError (400)
    except ValueError as exc:
        raise ValidationError("the body is not valid JSON", field=None) from exc
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", field=None)
    return body


def error_response(status: int, code: str, message: str, field: str | None = None, **extra: Any) -> Response:
    """An error in the API's format: {"error": {"code", "message", "field"}} plus any extra top-level keys."""
    body = {"error": {"code": code, "message": message, "field": field}, **extra}
    return Response(json.dumps(body, allow_nan=False), status=status, mimetype="application/json")


def install(app: Flask) -> None:
    """Give the app strict JSON output, the body limit, and JSON errors for its own and HTTP errors."""
    app.json = StandardJSON(app)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY

    @app.errorhandler(ApplianceError)
    def _service_error(exc: ApplianceError) -> Response:
        status = next((s for kind, s in _STATUS.items() if isinstance(exc, kind)), 500)
        existing = getattr(exc, "existing_id", None)  # a repeated registration names the id it already has
        return error_response(status, exc.code, exc.message, exc.field, **({"id": existing} if existing else {}))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        return error_response(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or "")
