"""htmx without a helper package: read the HX-Request header, say `Vary: HX-Request`, redirect the htmx way."""

from __future__ import annotations


from flask import Flask, Response, redirect, request
from flask.typing import ResponseReturnValue


def is_htmx() -> bool:
    """True when htmx sent this request (it then wants a fragment, not a page)."""
    return request.headers.get("HX-Request") == "true"


def trigger_id() -> str:
    """The id of the element that triggered an htmx request ('' otherwise)."""
    return request.headers.get("HX-Trigger", "") if is_htmx() else ""


def hx_redirect(location: str) -> ResponseReturnValue:
    """Redirect: htmx follows `HX-Redirect` (a plain 302 would be swapped into the page); browsers follow 303."""
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)


def hx_refresh() -> Response:
    """Ask htmx to reload the whole page (e.g. after the system selector changed)."""
    response = Response(status=204)
    response.headers["HX-Refresh"] = "true"
    return response


def init_app(app: Flask) -> None:
    """Add `Vary: HX-Request` to every response, so caches keep a page and its fragment apart."""

    @app.after_request
    def _vary(response: Response) -> Response:
        response.vary.add("HX-Request")
        return response
