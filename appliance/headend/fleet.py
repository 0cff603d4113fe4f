"""Blueprint: what the appliances pushed, seen as a fleet: assets, agents (one row per asset), newest telemetry."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify

from appliance import clock
from appliance.errors import NotFoundError
from appliance.headend.context import current_store
from appliance.headend.records import JSONObject

#: An asset's telemetry is stale when its newest sample is older than this, plus the interval at which its
#: appliance writes samples (its heartbeat says; a sample reaches the headend up to one interval late).
STALE_MS = 5 * 60 * 1000
#: An appliance is connected while its last heartbeat is younger than this (three missed 30 s heartbeats).
CONNECTED_MS = 90 * 1000

blueprint = Blueprint("fleet", __name__)


def _sample_device(asset: JSONObject) -> str:
    # Sample rows name the device by its catalog id; an asset without one is keyed by its registry id.
    return str(asset.get("catalog_id") or asset.get("device_id"))


@blueprint.get("/assets")
def assets() -> Response:
    """Registry rows of kind inverter, battery_pack, meter and bess, of every appliance."""
    return jsonify(current_store().assets())


@blueprint.get("/agents")
def agents() -> Response:
    """One row per asset: its site, its appliance, whether that appliance is connected, its last sample time."""
    store = current_store()
    seen = {d["appliance_id"]: d for d in store.devices()}
    sites = {(s["appliance_id"], s.get("system_id")): s.get("name") for s in store.catalog("systems")}
    now, out = store.now_ms(), []
    for asset in sorted(store.assets(), key=lambda a: (a["appliance_id"], a.get("device_id") or "")):
        appliance_id = asset["appliance_id"]
        appliance = seen.get(appliance_id)
        last_heartbeat = appliance["last_seen"] if appliance else None
        latest = store.latest_sample(appliance_id, _sample_device(asset))
        out.append({"asset_id": asset.get("device_id"), "asset_name": asset.get("name"),
                    "site_id": asset.get("system_id"), "site_name": sites.get((appliance_id, asset.get("system_id"))),
                    "appliance_id": appliance_id, "peer": appliance["ip_address"] if appliance else None,
                    "connected": bool(last_heartbeat and now - last_heartbeat < CONNECTED_MS),
                    "health_status": asset.get("health_status"),
                    "last_seen": clock.iso_ms(latest["ts"]) if latest else None})
    return jsonify(out)


@blueprint.get("/telemetry/<asset_id>")
def telemetry(asset_id: str) -> Response:
    """The asset's newest sample: its columns at the top level, details decoded, timestamp and staleness."""
    store = current_store()
    asset = store.asset(asset_id)
    latest = store.latest_sample(asset["appliance_id"], _sample_device(asset))
    if latest is None:
        raise NotFoundError(f"no telemetry for {asset_id!r} yet", field="asset_id")
    row = dict(latest["row"])
    details = _details(row.pop("details", None))
    intervals = [d["flush_interval_s"] or 0.0 for d in store.devices() if d["appliance_id"] == asset["appliance_id"]]
    stale_ms = STALE_MS + int(1000 * max(intervals, default=0.0))
    return jsonify({"asset_id": asset_id, "appliance_id": asset["appliance_id"], "table": latest["tbl"],
                    "timestamp": clock.iso_ms(latest["ts"]), "stale": store.now_ms() - latest["ts"] > stale_ms,
                    **row, "details": details})


def _details(details: Any) -> Any:
    if isinstance(details, str):
        try:
            return json.loads(details) or {}
        except ValueError:
            return {"raw": details}  # not JSON: shown as it came rather than dropped
    return details or {}
