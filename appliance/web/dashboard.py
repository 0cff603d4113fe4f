"""The home screen: the live power-flow diagram, today's energy with its two ratios, device health."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Blueprint, current_app, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from appliance.acquisition import live
from appliance.alerts import kinds as alert_kinds
from appliance.catalog import registry, systems
from appliance.clock import now_ms
from appliance.control import assets
from appliance.energy import history
from appliance.web import flow as flow_diagram
from appliance.web.htmx import hx_redirect, hx_refresh, is_htmx
from appliance.web.templating import current_system_id

bp = Blueprint("dashboard", __name__)
TODAY_KEYS = ("pv_energy_kwh", "load_energy_kwh", "import_kwh", "export_kwh", "charge_kwh", "discharge_kwh")
#: Health states that need the owner's attention, worst first.
ATTENTION = ("error", "offline", "degraded")
#: An alert's part of the flow, in words (next to each alert under the diagram).
PART_WORDS = {"grid": "Grid", "pv": "Solar", "load": "Home", "battery": "Battery", "hub": "Inverter",
              "appliance": "Appliance", "headend": "Headend"}


def _live_context() -> dict[str, object]:
    system_id = current_system_id()
    if not system_id:
        return {"system_id": None, "refresh_s": current_app.config["DASHBOARD_REFRESH_S"]}
    flow = live.power_flow(system_id)
    totals = history.today_totals(system_id)
    registered = registry.list_devices(system_id)
    health = Counter(d["health_status"] for d in registered)
    attention = sorted((d for d in registered if d["health_status"] in ATTENTION),
                       key=lambda d: ATTENTION.index(d["health_status"]))
    alerts = _alerts(system_id)
    return {"system_id": system_id, "flow": flow, "diagram": flow_diagram.build(flow, now_ms(), _marks(alerts)),
            "totals": totals, "today_keys": TODAY_KEYS, "health": dict(sorted(health.items())),
            "devices": len(registered), "attention": attention, "alerts": alerts, "part_words": PART_WORDS,
            "refresh_s": current_app.config["DASHBOARD_REFRESH_S"],
            "batteries": [b for b in assets.logical_batteries(system_id) if b["packs_total"]]}


def _alerts(system_id: str) -> list[tuple[str, Any]]:
    """(part of the flow, alert) of the active alerts about this system or the appliance, worst first."""
    service = current_app.config.get("ALERTS")
    if service is None:
        return []
    out = []
    for alert in service.active():
        if alert.system_id not in (None, system_id):
            continue
        device_kind = alert.device_id.split(":", 1)[0] if alert.device_id and ":" in alert.device_id else None
        out.append((alert_kinds.part_of(alert.kind, device_kind), alert))
    return out


def _marks(alerts: list[tuple[str, Any]]) -> dict[str, str]:
    """Flow node key -> the worst severity of the alerts about it (a pack's own node when there are several)."""
    marks: dict[str, str] = {}
    for part, alert in alerts:
        keys = [part]
        if part == "battery" and alert.device_id and alert.device_id.startswith("battery_pack:"):
            keys.append(f"battery-{alert.device_id.split(':', 1)[1]}")
        for key in keys:
            if alert_kinds.rank(alert.severity) >= alert_kinds.rank(marks.get(key, "info")):
                marks[key] = alert.severity
    return marks


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    """Home: live power flow, today's energy, self-sufficiency and self-consumption, device health."""
    return render_template("dashboard.html", **_live_context())


@bp.get("/dashboard/live")
def dashboard_live() -> ResponseReturnValue:
    """The dashboard's live fragment (htmx polls it every few seconds)."""
    return render_template("_dashboard_live.html", **_live_context())


@bp.post("/system")
def select_system() -> ResponseReturnValue:
    """Choose the system that scopes every page (kept in the session)."""
    chosen = request.form.get("system_id", "")
    if any(s["system_id"] == chosen for s in systems.list_systems()):
        session["system_id"] = chosen
    if is_htmx():
        return hx_refresh()
    target = request.form.get("back", "")
    safe = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return hx_redirect(target if safe else url_for("dashboard.dashboard"))
