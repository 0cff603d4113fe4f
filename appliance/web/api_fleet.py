"""The JSON API of the headend link: device registration, heartbeats and metrics; assets, agents, telemetry; dispatch."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue

from appliance.catalog import registration
from appliance.clock import parse_instant
from appliance.control import assets, dispatch
from appliance.errors import ValidationError
from appliance.web import running
from appliance.web.api import created
from appliance.web.api_args import caller, int_arg, limited_body

bp = Blueprint("fleet", __name__, url_prefix="/api")

MAX_METRICS_BODY = 512 * 1024  # up to 1000 metric points per request
REGISTER_FIELDS = {"name", "device_type", "hardware_id", "firmware_version", "ip_address", "location", "metadata"}


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    for key in body:
        if key not in allowed:
            raise ValidationError(f"unknown field {key!r}", field=key)


@bp.post("/devices/register")
def device_create() -> ResponseReturnValue:
    """Register a device: {name, device_type, hardware_id, firmware_version?, ip_address?, location?, metadata?}."""
    body = limited_body()
    _only(body, REGISTER_FIELDS)
    try:
        device = registration.register(body.get("name"), body.get("device_type"), body.get("hardware_id"),
                                       body.get("firmware_version"), body.get("ip_address"), body.get("location"),
                                       body.get("metadata"))
    except registration.DuplicateDevice as exc:
        # The registration document: a known hardware id answers 409 with the id the device already has.
        return jsonify({"error": {**exc.to_dict(), "id": exc.existing_id}, "id": exc.existing_id}), 409
    return created(device)


@bp.post("/devices/heartbeat")
def device_heartbeat() -> ResponseReturnValue:
    """A device's heartbeat: {device_id}; answers its status and last_seen."""
    body = limited_body()
    _only(body, {"device_id"})
    return jsonify(registration.heartbeat(body.get("device_id")))


@bp.get("/devices")
def list_devices() -> ResponseReturnValue:
    """Registry devices (?status=online|offline|..., ?type=esp32, ?kind=registered|inverter|...)."""
    return jsonify(registration.list_registered(request.args.get("status") or None,
                                                request.args.get("type") or None,
                                                kind=request.args.get("kind") or None))


@bp.get("/devices/<device_id>")
def get_device(device_id: str) -> ResponseReturnValue:
    """One registry device with its heartbeat counts and metric names."""
    device = registration.get(device_id)
    return jsonify({**device, "metrics": registration.metrics_overview(device_id)})


@bp.patch("/devices/<device_id>")
def patch_device(device_id: str) -> ResponseReturnValue:
    """Change a device: {status? (maintenance|online), maintenance_reason?, name?, location?, metadata?}."""
    return jsonify(registration.patch(device_id, limited_body()))


@bp.post("/devices/<device_id>/metrics")
def metrics_create(device_id: str) -> ResponseReturnValue:
    """Store a device's metrics: {metrics: [{name, value, ts?}]} (ts: epoch ms or ISO 8601; default now)."""
    body = limited_body(MAX_METRICS_BODY)
    _only(body, {"metrics"})
    return created(registration.record_metrics(device_id, body.get("metrics")))


@bp.get("/devices/<device_id>/metrics")
def get_metrics(device_id: str) -> ResponseReturnValue:
    """A metric's series (?name=&from=&to=&limit=) as ts/values columns; without name, the metrics a device has."""
    name = request.args.get("name")
    if not name:
        return jsonify({"device_id": device_id, "metrics": list(registration.metrics_overview(device_id))})
    start, end = (parse_instant(request.args[key], key) if request.args.get(key) else None for key in ("from", "to"))
    limit = int_arg("limit", registration.MAX_SERIES)
    if limit is None or not 1 <= limit <= registration.MAX_SERIES:
        raise ValidationError(f"limit must be from 1 to {registration.MAX_SERIES}", field="limit")
    return jsonify(registration.metric_series(device_id, name, start, end, limit))


@bp.get("/assets")
def list_assets() -> ResponseReturnValue:
    """Every configured asset with kind, system/site and limits (?system_id=)."""
    return jsonify(assets.assets(request.args.get("system_id") or None))


@bp.get("/agents")
def list_agents() -> ResponseReturnValue:
    """One row per configured asset: connected, adapter/peer, last seen, recent sessions (?system_id=)."""
    return jsonify(assets.agents(request.args.get("system_id") or None))


@bp.get("/telemetry/<asset_id>")
def asset_telemetry(asset_id: str) -> ResponseReturnValue:
    """An asset's latest reading: core values at the top level, `details`, timestamp and stale flag."""
    return jsonify(assets.telemetry(asset_id))


@bp.post("/dispatch")
def post_dispatch() -> ResponseReturnValue:
    """A signed setpoint (+ discharge/export): {kw|mw, asset_id|system_id|site_id|group_id, duration_s?, command_source?}."""
    return jsonify(dispatch.dispatch(limited_body(), dispatcher=running.dispatcher(), default_source=dispatch.MANUAL,
                                     requested_by=caller()))


@bp.get("/dispatch/log")
def dispatch_log() -> ResponseReturnValue:
    """Dispatch commands and their outcomes, newest first (?limit=1..500&before=<dispatch_id>&target_id=)."""
    return jsonify(dispatch.log_entries(limit=int_arg("limit", 50), before=int_arg("before"),
                                        target_id=request.args.get("target_id") or None))


def register_blueprint(app: Flask) -> None:
    """Add these routes to an app made by `create_app` (the auth gate and error format apply to them)."""
    if bp.name not in app.blueprints:  # create_app already does; registering twice is harmless
        app.register_blueprint(bp)


