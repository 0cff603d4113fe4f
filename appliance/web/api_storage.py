"""Disk use: GET /api/storage, and the figures of the settings page's storage card (templates/_storage.html)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from appliance.energy import storage
from appliance.web import running
from appliance.web.api import json_body

bp = Blueprint("storage_api", __name__, url_prefix="/api")


@bp.get("/storage")
def storage_status() -> ResponseReturnValue:
    """Database size, growth and disk writes per day, the disk budget and the days left at the current rate."""
    return jsonify(running.storage().status().to_json())


@bp.patch("/storage")
def storage_budget() -> ResponseReturnValue:
    """Change the disk budget: {min_free_pct (0-90), max_db_mb (16 or more)}; answers the new status."""
    watch = running.storage()  # 503 before anything is written when this process does not watch the disk
    storage.set_budget(json_body())
    return jsonify(watch.status().to_json())


def _size(value: float | None) -> str:
    if value is None:
        return "—"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value:.0f} bytes"


def _days(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 3650:
        return "more than 10 years"
    if value >= 365:
        return f"{value / 365:.1f} years"
    return f"{value:.0f} days"


def card() -> dict[str, Any] | None:
    """The storage card's figures as text (units chosen, unknown values as a dash); None when this process does
    not watch the disk (the card says so)."""
    watch = running.present("STORAGE")
    if watch is None:
        return None
    status = watch.status().to_json()
    return {
        "database": _size(status["database_bytes"]), "used": _size(status["used_bytes"]),
        "wal": _size(status["wal_bytes"]), "growth": _size(status["growth_bytes_per_day"]),
        "writes": _size(status["writes_bytes_per_day"]), "limit": _size(status["limit_bytes"]),
        "cap": _size(status["max_db_bytes"]), "min_free_pct": f"{status['min_free_pct']:g}",
        "free": _size(status["filesystem_free_bytes"]), "days_left": _days(status["days_left"]),
        "oldest_raw_ms": status["oldest_raw_ms"], "measuring": status["growth_bytes_per_day"] is None,
        "commits": _commits(status["flush_interval_s"], status["ram_spool"]),
    }


def _commits(interval_s: float | None, spooled: bool | None) -> str | None:
    """How often readings reach the card, and what a crash would lose."""
    if interval_s is None:
        return None
    every = f"{interval_s / 60:g} min" if interval_s >= 60 else f"{interval_s:g} s"
    if spooled:
        return f"every {every}, in one burst; a copy in RAM keeps the readings in between through a crash"
    return f"every {every}, in one burst; a crash loses at most the readings since the last one (no RAM spool)"


def register_blueprint(app: Flask) -> None:
    """Add GET /api/storage and the template global `storage_card` to an app made by `create_app`."""
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
    app.jinja_env.globals["storage_card"] = card
