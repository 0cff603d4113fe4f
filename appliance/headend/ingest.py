"""Blueprint: the feed pages an appliance pushes, stored once whatever is resent."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from appliance.headend import bodies
from appliance.headend.context import current_store
from appliance.headend.jsonio import read_body

blueprint = Blueprint("ingest", __name__)


@blueprint.post("/ingest")
def ingest() -> Response:
    """Store a pushed page; the answer echoes its cursor, which is what lets the appliance move on."""
    return jsonify(current_store().ingest(bodies.feed_page(read_body()), save_cursor=True))
