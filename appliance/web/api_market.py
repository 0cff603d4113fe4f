"""The JSON API of market data: price and signal series in (write scope), stored points out (read scope)."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue

from appliance.energy import market
from appliance.errors import ValidationError
from appliance.web.api import created, json_body

bp = Blueprint("market_api", __name__, url_prefix="/api")


def _arg(name: str) -> int | str | None:
    """A query parameter: a whole number when it is all ASCII digits, else the text; None when absent or empty.

    (`from` and `to` are read by clock.parse_instant's rule, digits included, in the market service.)"""
    value = request.args.get(name)
    if value is None or value == "":
        return None
    return int(value) if value.isascii() and value.isdigit() else value


@bp.post("/market-data")
def market_data_create() -> ResponseReturnValue:
    """Store points: {series: [{type, system_id?, ts, value, metadata?}]} or one point; at most 10,000; all or none."""
    body = json_body()
    if "series" in body:
        extra = sorted(set(body) - {"series"})
        if extra:
            raise ValidationError(f"unknown field {extra[0]!r} next to series", field=extra[0])
        series = body["series"]
    else:
        series = body
    return created(market.store(series))


@bp.get("/market-data")
def market_data_list() -> ResponseReturnValue:
    """Stored points oldest first (?type=&system_id=&from=&to=&limit=1..10000); a system's own and global ones."""
    limit = _arg("limit")
    if limit is None:
        limit = market.MAX_POINTS
    elif not isinstance(limit, int):
        raise ValidationError("limit must be a whole number", field="limit")
    points = market.points(_arg("type"), request.args.get("system_id") or None, request.args.get("from") or None,
                           request.args.get("to") or None, limit)
    return jsonify({"count": len(points), "points": points})


def register_blueprint(app: Flask) -> None:
    """Add these routes to an app made by `create_app` (the auth gate and error format apply to them)."""
    if bp.name not in app.blueprints:  # create_app already does; registering twice is harmless
        app.register_blueprint(bp)
