"""Device pages: the registry list, one device's live reading in words, its battery cells, maintenance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue

from appliance import vocabulary
from appliance.acquisition import live
from appliance.catalog import devices, registry
from appliance.control import program
from appliance.errors import ApplianceError, NotFoundError
from appliance.web import cells
from appliance.web.htmx import hx_redirect
from appliance.web.templating import current_system_id, system_zone

bp = Blueprint("devices", __name__)
#: Keys of a reading that the page shows elsewhere (cells, units, meta) or not at all.
NOT_FACTS = ("batteries", "units", "cell_voltages_v", "cell_temperatures_c", "details", "ts", "stale", "kind",
             "device_id", "adapter_id", "last_error", "_catalog_id")
IDENTITY = ("serial_number", "model", "hardware_version", "software_version", "device_type", "protocol_version",
            "rated_power_w")
KIND_OF_READING = {"inverter": "inverter", "battery_pack": "battery", "meter": "meter"}


@bp.get("/devices")
def devices_list() -> ResponseReturnValue:
    """Every registry device of the selected system: kind, lifecycle, health, last seen, response time, adapter."""
    system_id = current_system_id()
    return render_template("devices.html", devices=registry.list_devices(system_id) if system_id else [])


def _units_table(reading: dict[str, Any] | None) -> tuple[list[str], list[list[str]]]:
    units = [u for u in (reading or {}).get("batteries") or [] if isinstance(u, dict)]
    keys = [k for k in ("index", "voltage_v", "current_a", "soc_pct", "temperature_c", "status", "serial_number")
            if any(u.get(k) is not None for u in units)]
    headers = [vocabulary.label(k, "battery") if k != "index" else "Unit" for k in keys]
    rows = [[str(u.get(k)) if k == "index" else vocabulary.format_value(k, u.get(k), "battery") for k in keys]
            for u in units]
    return headers, rows


def _device_context(device_id: str) -> dict[str, object]:
    try:
        device = registry.get_device(device_id)
    except NotFoundError:
        abort(404, description=f"device {device_id!r} does not exist")
    reading = live.latest_reading(device_id)
    kind = (reading or {}).get("kind") or KIND_OF_READING.get(device["kind"])
    values = {k: v for k, v in (reading or {}).items() if k not in NOT_FACTS and k not in IDENTITY}
    identity = {k: v for k, v in (reading or {}).items() if k in IDENTITY}
    catalog_id = device["catalog_id"]
    configured = devices.list_batteries(catalog_id) if device["kind"] == "battery_pack" and catalog_id else []
    unit_headers, unit_rows = _units_table(reading)
    return {"device": device, "reading": reading, "kind": kind,
            "values": vocabulary.facts(values, kind),
            "details": vocabulary.facts((reading or {}).get("details") or {}, kind),
            "identity": vocabulary.facts(identity, kind), "configured_units": len(configured),
            "charts": cells.charts(live.cells(device_id)) if device["kind"] == "battery_pack" else [],
            "unit_headers": unit_headers, "unit_rows": unit_rows, "ok_mv": cells.OK_MV, "warn_mv": cells.WARN_MV,
            "controllable": device["kind"] == "inverter" and program.controllable(device_id)}


@bp.get("/devices/<device_id>")
def device(device_id: str) -> ResponseReturnValue:
    """A device with its live reading; a battery pack also shows its units and cell voltages."""
    return render_template("device.html", **_device_context(device_id))


@bp.get("/devices/<device_id>/live")
def device_live(device_id: str) -> ResponseReturnValue:
    """The live part of a device page (htmx polls it)."""
    return render_template("_device_live.html", **_device_context(device_id))


@bp.post("/devices/<device_id>/maintenance")
def maintenance(device_id: str) -> ResponseReturnValue:
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
