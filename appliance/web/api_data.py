"""The JSON API of live and stored data: discovery, readings, history, energy, CSV export; /health; OpenAPI."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from appliance import timefmt, vocabulary
from appliance.acquisition import live
from appliance.catalog import registry, systems
from appliance.discovery import inbox
from appliance.energy import history as energy_history
from appliance.energy import periods
from appliance.errors import ValidationError
from appliance.store.db import NEARLY_FULL, disk_free, ping
from appliance.web import running
from appliance.web.api import json_body
from appliance.web.charts import columns as series_columns
from appliance.web.timerange import entity_zone, parse_date, window

bp = Blueprint("data", __name__)


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Status of the database, writer and scheduler (no login); 503 when one is not ok."""
    checks = {"database": _database_ok, **current_app.config.get("HEALTH_CHECKS", {})}
    results = {}
    for name, check in checks.items():
        try:
            ok, detail = check()
        except Exception as exc:  # noqa: BLE001 - a failing check is reported, never fatal to /health
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        results[name] = {"ok": bool(ok), "detail": str(detail)}
    healthy = all(r["ok"] for r in results.values())
    return jsonify({"status": "ok" if healthy else "degraded", "checks": results}), 200 if healthy else 503


def _database_ok() -> tuple[bool, str]:
    ping()
    free = disk_free()
    if free is not None and free < NEARLY_FULL:
        return False, f"reachable, but the disk is full ({free} bytes free): new readings cannot be stored"
    return True, "reachable"


@bp.get("/api/openapi.json")
def openapi() -> ResponseReturnValue:
    """This API as an OpenAPI 3.1 document."""
    from appliance.web.openapi import document

    return jsonify(document(current_app))


@bp.get("/api/discovery")
def discovery_list() -> ResponseReturnValue:
    """Devices found by discovery and waiting for a decision."""
    return jsonify(inbox.list_inbox())


@bp.post("/api/discovery/<discovery_id>/approve")
def discovery_approve(discovery_id: str) -> ResponseReturnValue:
    """Approve a discovered device: it becomes a catalog device."""
    return jsonify(inbox.approve(discovery_id))


@bp.post("/api/discovery/<discovery_id>/reject")
def discovery_reject(discovery_id: str) -> ResponseReturnValue:
    """Reject a discovered device."""
    return jsonify(inbox.reject(discovery_id))


@bp.post("/api/discovery/ignore-port")
def discovery_ignore_port() -> ResponseReturnValue:
    """Never probe a port again: {"port": "/dev/ttyUSB0"}."""
    port = json_body().get("port")
    if not isinstance(port, str) or not port.strip():
        raise ValidationError("port is required", field="port")
    return jsonify(inbox.ignore_port(port))


@bp.post("/api/discovery/scan")
def discovery_scan() -> ResponseReturnValue:
    """Start a discovery scan now."""
    return jsonify(running.discovery().scan_now()), 202


@bp.get("/api/discovery/scan")
def discovery_scan_status() -> ResponseReturnValue:
    """Progress of the current or last scan."""
    return jsonify(running.discovery().status())


@bp.get("/api/readings/<device_id>/latest")
def latest_reading(device_id: str) -> ResponseReturnValue:
    """A device's latest reading (`reading` is null until there is one; `stale` when too old)."""
    registry.get_device(device_id)
    return jsonify({"device_id": device_id, "reading": live.latest_reading(device_id)})


@bp.get("/api/power-flow/<system_id>")
def power_flow(system_id: str) -> ResponseReturnValue:
    """A system's live power flow: pv_w, load_w, grid_w, battery_w, soc_pct, ts, stale."""
    systems.get_system(system_id)
    return jsonify(live.power_flow(system_id))


def _series(level: str, entity_id: str) -> tuple[list[int], dict[str, list[Any]], str, Any]:
    _, zone = entity_zone(level, entity_id)
    resolution, start, end = window(request.args, zone)
    ts, columns = series_columns(energy_history.series(level, entity_id, resolution, start, end))
    return ts, columns, resolution, zone


@bp.get("/api/history/<level>/<entity_id>")
def history(level: str, entity_id: str) -> ResponseReturnValue:
    """Chart series from the rollups: ?resolution=5m|1h|1d&from=&to= (epoch ms, ISO 8601 or YYYY-MM-DD)."""
    ts, columns, resolution, _ = _series(level, entity_id)
    return jsonify({"level": level, "id": entity_id, "resolution": resolution, "ts": ts, **columns})


def _daily_args() -> tuple[str, str, str]:
    system_id = request.args.get("system_id") or ""
    if not system_id:
        raise ValidationError("system_id is required", field="system_id")
    systems.get_system(system_id)
    start = parse_date(request.args.get("from", ""), "from")
    end = parse_date(request.args.get("to", ""), "to")
    if end < start:
        raise ValidationError("to must not be before from", field="to")
    if (end - start).days > 366:
        raise ValidationError("at most 366 days at a time", field="to")
    return system_id, start.isoformat(), end.isoformat()


@bp.get("/api/energy/daily")
def energy_daily() -> ResponseReturnValue:
    """Daily energy of a system: ?system_id=&from=YYYY-MM-DD&to=YYYY-MM-DD (inclusive)."""
    return jsonify(energy_history.daily_energy(*_daily_args()))


@bp.get("/api/energy/monthly")
def energy_monthly() -> ResponseReturnValue:
    """Monthly energy of a system for a year: ?system_id=&year=YYYY."""
    system_id = request.args.get("system_id") or ""
    if not system_id:
        raise ValidationError("system_id is required", field="system_id")
    systems.get_system(system_id)
    year = request.args.get("year", "")
    if not year.isdigit() or not 2000 <= int(year) <= 2100:
        raise ValidationError("year must be a year such as 2025", field="year")
    return jsonify(energy_history.monthly_energy(system_id, int(year)))


@bp.get("/api/energy/period")
def energy_period() -> ResponseReturnValue:
    """Energy bars and totals of a period: ?system_id=&period=day|week|month|year&date=YYYY-MM-DD."""
    system_id = request.args.get("system_id") or ""
    if not system_id:
        raise ValidationError("system_id is required", field="system_id")
    systems.get_system(system_id)
    day = parse_date(request.args.get("date", ""), "date")
    return jsonify(periods.period_energy(system_id, request.args.get("period", ""), day))


def _csv(header: list[str], rows: list[list[Any]], filename: str, labels: bool) -> Response:
    """A CSV: machine names in the header (the API's), or the vocabulary's labels with units for people."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_people(h) for h in header] if labels else header)
    writer.writerows(rows)
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _people(key: str) -> str:
    return {"ts_ms": "Epoch ms", "time_local": "Local time", "timezone": "Time zone"}.get(key) or \
        vocabulary.label_with_unit(key)


def _local(ms: int, zone: Any) -> str:
    return timefmt.datetime_text(ms, zone)


@bp.get("/api/export.csv")
def export_csv() -> ResponseReturnValue:
    """CSV of a history series (?level=&id=&resolution=&from=&to=), of daily energy (?table=daily&system_id=...)
    or of a period's energy bars (?table=period&system_id=&period=&date=); `headers=labels` for people."""
    labels = request.args.get("headers") == "labels"
    if request.args.get("table") == "daily":
        system_id, start, end = _daily_args()
        zone_name = systems.get_system(system_id)["timezone"]
        rows = list(energy_history.daily_energy(system_id, start, end) or [])
        header = list(dict.fromkeys(k for r in rows for k in r)) + ["timezone"]
        return _csv(header, [[r.get(k) for k in header[:-1]] + [zone_name] for r in rows],
                    f"{system_id}-daily-{start}-{end}.csv", labels)
    if request.args.get("table") == "period":
        system_id = request.args.get("system_id") or ""
        if not system_id:
            raise ValidationError("system_id is required", field="system_id")
        systems.get_system(system_id)
        found = periods.period_energy(system_id, request.args.get("period", ""),
                                      parse_date(request.args.get("date", ""), "date"))
        zone = timefmt.zone_of(found["timezone"])
        keys = [*periods.ENERGY_KEYS, *periods.COST_KEYS, "currency"]
        lines = [[b["start"], _local(b["start"], zone), found["timezone"], *[b.get(k) for k in keys[:-1]],
                  found["currency"]] for b in found["bars"]]
        return _csv(["ts_ms", "time_local", "timezone", *keys], lines,
                    f"{system_id}-{found['period']}-{found['first']}.csv", labels)
    level, entity_id = request.args.get("level", ""), request.args.get("id", "")
    if not entity_id:
        raise ValidationError("id is required", field="id")
    ts, columns, resolution, zone = _series(level, entity_id)
    names = list(columns)
    points = [[t, _local(t, zone), str(zone), *[columns[n][i] for n in names]] for i, t in enumerate(ts)]
    return _csv(["ts_ms", "time_local", "timezone", *names], points, f"{level}-{entity_id}-{resolution}.csv", labels)
