"""The sync feed route for headends that pull: GET /api/sync/feed?cursor=&limit= with a `sync` token."""

from __future__ import annotations

import gzip
import json
from typing import Mapping

from flask import Blueprint, Flask, Response, request

from appliance.errors import ValidationError
from appliance.sync import feed
from appliance.web.security import require_token_scope

bp = Blueprint("sync_api", __name__, url_prefix="/api/sync")
ENDPOINT = "sync_api.feed_page"
#: Pages smaller than this are sent as they are: gzip would cost more than it saves.
GZIP_MIN_BYTES = 512


def _wants_gzip() -> bool:
    for part in request.headers.get("Accept-Encoding", "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() == "gzip" and params.replace(" ", "").lower() not in ("q=0", "q=0.0"):
            return True
    return False


def _json(body: Mapping[str, object], status: int = 200) -> Response:
    # default=str: a BLOB or odd value in a row must not turn a whole page into a 500.
    data = json.dumps(body, separators=(",", ":"), default=str, allow_nan=False).encode("utf-8")
    response = Response(status=status, mimetype="application/json")
    response.headers["Vary"] = "Accept-Encoding"
    if _wants_gzip() and len(data) >= GZIP_MIN_BYTES:
        data = gzip.compress(data, compresslevel=6)
        response.headers["Content-Encoding"] = "gzip"
    response.set_data(data)
    return response


@bp.get("/feed")
def feed_page() -> Response:
    """The changes after `cursor` (none: from the oldest kept), at most `limit` (1..5000, default 500)."""
    try:
        page = feed.read_page(request.args.get("cursor"), feed.check_limit(request.args.get("limit")))
    except feed.FeedGone as exc:
        return _json({"error": exc.to_dict(), "oldest_cursor": exc.oldest_cursor}, 410)
    except ValidationError as exc:
        return _json({"error": exc.to_dict()}, 400)
    return _json(page.to_dict())


def register_blueprint(app: Flask) -> None:
    """Add the sync feed route to the app; the gate lets only a `sync` token read it."""
    if bp.name in app.blueprints:  # create_app already registered it
        return
    app.register_blueprint(bp)
    require_token_scope(app, ENDPOINT, "sync")
