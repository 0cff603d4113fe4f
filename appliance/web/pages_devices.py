"""Device pages (registry list, live reading, battery cells, maintenance) and the discovery inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for

from appliance.catalog import devices, registry
from appliance.errors import ApplianceError, NotFoundError
from appliance.web import services
from appliance.web.htmx import hx_redirect, is_htmx
from appliance.web.pages import attempt
from appliance.web.templating import current_system_id, system_zone

bp = Blueprint("devices", __name__)
CHART_W, CHART_H = 640, 200


def cell_chart(volts: list[Any], balancing: Any = None) -> dict[str, Any] | None:
    """Bar geometry of one unit's cell voltages, min and max marked, for an inline SVG."""
    known = [v for v in volts if isinstance(v, (int, float))]
    if not known:
        return None
    low, high = min(known), max(known)
    floor = min(low - 0.05, 2.5)
    span = max(high - floor, 0.001)
    width = CHART_W / len(volts)
    bars = []
    for index, volt in enumerate(volts):
        height = 0 if not isinstance(volt, (int, float)) else (volt - floor) / span * (CHART_H - 20)
        mark = "max" if volt == high and high != low else "min" if volt == low and high != low else ""
        bars.append({"index": index + 1, "volt": volt, "x": round(index * width + 1, 1), "w": round(width - 2, 1),
                     "y": round(CHART_H - height, 1), "h": round(height, 1), "mark": mark})
    return {"bars": bars, "min": low, "max": high, "delta_mv": round((high - low) * 1000, 1), "balancing": balancing,
            "width": CHART_W, "height": CHART_H}


def unit_charts(reading: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Cell charts of each battery unit in a reading (or of the pack when it reports cells at the top level)."""
    if not reading:
        return []
    units = reading.get("batteries") or reading.get("units") or []
    charts = []
    for position, unit in enumerate(u for u in units if isinstance(u, dict)):
        chart = cell_chart(unit.get("cell_voltages_v") or [], unit.get("balancing"))
        if chart:
            charts.append({"label": f"Unit {unit.get('index', position + 1)}", **chart})
    if not charts and reading.get("cell_voltages_v"):
        chart = cell_chart(reading["cell_voltages_v"], reading.get("balancing"))
        if chart:
            charts.append({"label": "Pack", **chart})
    return charts


@bp.get("/devices")
def devices_list() -> Any:
    """Every registry device of the selected system: kind, lifecycle, health, last seen, response time, adapter."""
    system_id = current_system_id()
    return render_template("devices.html", devices=registry.list_devices(system_id) if system_id else [])


def _device_context(device_id: str) -> dict[str, Any]:
    try:
        device = registry.get_device(device_id)
    except NotFoundError:
        abort(404, description=f"device {device_id!r} does not exist")
    reading, reading_error = attempt(services.latest_reading, device_id)
    units = (devices.list_batteries(device["catalog_id"])
             if device["kind"] == "battery_pack" and device.get("catalog_id") else [])
    details = {k: v for k, v in (reading or {}).items()
               if k not in ("batteries", "units", "cell_voltages_v", "cell_temperatures_c", "details")}
    return {"device": device, "reading": reading, "reading_error": reading_error, "units": units,
            "charts": unit_charts(reading), "values": details, "reading_details": (reading or {}).get("details", {})}


@bp.get("/devices/<device_id>")
def device(device_id: str) -> Any:
    """A device with its live reading; a battery pack also shows its units and cell voltages."""
    return render_template("device.html", **_device_context(device_id))


@bp.get("/devices/<device_id>/live")
def device_live(device_id: str) -> Any:
    """The live part of a device page (htmx polls it)."""
    return render_template("_device_live.html", **_device_context(device_id))


@bp.post("/devices/<device_id>/maintenance")
def maintenance(device_id: str) -> Any:
    """Switch maintenance mode on (with a reason, optional expected end) or off."""
    on = request.form.get("on") == "1"
    end_ms = None
    error = None
    try:
        if on and request.form.get("expected_end"):
            try:
                local = datetime.fromisoformat(request.form["expected_end"]).replace(tzinfo=system_zone())
            except ValueError:
                raise ApplianceError("expected end must be a date and time", field="expected_end") from None
            end_ms = int(local.timestamp() * 1000)
        registry.set_maintenance(device_id, on, request.form.get("reason"), end_ms)
    except NotFoundError:
        abort(404)
    except ApplianceError as exc:
        error = exc.message
    if error:
        context = _device_context(device_id)
        return render_template("device.html", maintenance_error=error, **context), 400
    return hx_redirect(url_for("devices.device", device_id=device_id))


def _inbox_context() -> dict[str, Any]:
    items, error = attempt(services.inbox, "list_inbox")
    status, _ = attempt(services.inbox, "scan_status")
    return {"items": items or [], "error": error, "scan": status}


@bp.get("/discovery")
def discovery() -> Any:
    """Discovery inbox: devices found on USB, BLE and TCP to approve, reject or ignore; scan now."""
    return render_template("discovery.html", **_inbox_context())


@bp.get("/discovery/list")
def discovery_list() -> Any:
    """The inbox fragment with scan progress (polled while a scan runs)."""
    return render_template("_discovery_list.html", **_inbox_context())


def _inbox_action(name: str, *args: Any) -> Any:
    _, error = attempt(services.inbox, name, *args)
    if is_htmx():
        return render_template("_discovery_list.html", action_error=error, **_inbox_context()), 200 if not error else 400
    if error:
        return render_template("discovery.html", action_error=error, **_inbox_context()), 400
    return hx_redirect(url_for("devices.discovery"))


@bp.post("/discovery/<discovery_id>/approve")
def discovery_approve(discovery_id: str) -> Any:
    """Approve a discovered device."""
    return _inbox_action("approve", discovery_id)


@bp.post("/discovery/<discovery_id>/reject")
def discovery_reject(discovery_id: str) -> Any:
    """Reject a discovered device."""
    return _inbox_action("reject", discovery_id)


@bp.post("/discovery/ignore-port")
def discovery_ignore_port() -> Any:
    """Mark a port "ignore": discovery never probes it again."""
    return _inbox_action("ignore_port", request.form.get("port", ""))


@bp.post("/discovery/scan")
def discovery_scan() -> Any:
    """Start a scan now; the inbox then shows its progress."""
    return _inbox_action("scan_now")
