"""The status page: each device's chain of hops (device -> adapter -> appliance -> headend) with ages and colours."""

from __future__ import annotations


from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from appliance.web.api_alerts import service

bp = Blueprint("status", __name__)
WORDS = {"ok": "fresh", "late": "late", "down": "failing", "standby": "standby", "off": "not set up",
         "unknown": "nothing yet"}


def _context() -> dict[str, object]:
    return {"status": service().status(), "words": WORDS, "refresh_s": current_app.config["DASHBOARD_REFRESH_S"]}


@bp.get("/status")
def status_page() -> ResponseReturnValue:
    """Where data stops: device, adapter, appliance and headend hops with their ages; notification failures."""
    return render_template("status.html", **_context())


@bp.get("/status/live")
def status_live() -> ResponseReturnValue:
    """The status page's live part (htmx polls it)."""
    return render_template("_status_live.html", **_context())
