"""SQL of the device registry: registry rows, their health log, the heartbeats and metrics of registered devices.

The services hold the rules (lifecycle transitions, what a heartbeat changes); each function here is
one statement, or one short transaction where the statements belong together.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Mapping, Sequence

from appliance.store.models import BatteryPack, DeviceHealth, DeviceHeartbeat, DeviceMetric, Inverter, Meter
from appliance.store.models import RegistryDevice, database

#: Catalog device kind -> (model, primary key column) of its catalog table.
CATALOG_TABLES = {"inverter": (Inverter, "inverter_id"), "battery_pack": (BatteryPack, "pack_id"),
                  "meter": (Meter, "meter_id")}
#: Rows per INSERT of metrics (SQLite's limit of bound values per statement stays far away).
METRICS_PER_INSERT = 200


@dataclass(frozen=True)
class Heartbeats:
    """A registered device's heartbeat counters."""

    count: int
    too_frequent: int
    last_heartbeat: int | None
    last_interval_ms: int | None


@dataclass(frozen=True)
class MetricSummary:
    """One metric name of a device: how many points, the newest value and its time."""

    name: str
    points: int
    latest: float
    latest_ts: int


@dataclass(frozen=True)
class StoredHealth:
    """A device's health as its registry row holds it."""

    health_status: str
    lifecycle_state: str
    last_seen: int | None
    response_time_ms: int | None
    error_count: int


def _diagnostics(diagnostics: Mapping[str, object]) -> str:
    return json.dumps(dict(diagnostics), allow_nan=False)


def add_device(values: Mapping[str, object]) -> None:
    """Insert a registry row (columns by model field name: device_id, kind, name, system, ...)."""
    RegistryDevice.insert(**values).execute()


def update_device(device_id: str, values: Mapping[str, object]) -> int:
    """Change columns of a registry row (by model field name); how many rows changed (0: no such device)."""
    return int(RegistryDevice.update(**values).where(RegistryDevice.device_id == device_id).execute())


def drop_without_catalog_device(kind: str) -> int:
    """Delete the registry rows of a catalog kind whose catalog device is gone; how many."""
    model, key = CATALOG_TABLES[kind]
    alive = model.select(getattr(model, key))
    return int(RegistryDevice.delete()
               .where((RegistryDevice.kind == kind) & RegistryDevice.catalog_id.is_null(False)
                      & RegistryDevice.catalog_id.not_in(alive)).execute())


def delete_device(device_id: str) -> int:
    """Delete a registry row (its health log, heartbeats and metrics go with it); how many rows."""
    return int(RegistryDevice.delete().where(RegistryDevice.device_id == device_id).execute())


def add_health_entry(device_id: str, ts: int, status: str, diagnostics: Mapping[str, object], *,
                     response_time_ms: int | None = None, error_count: int | None = None,
                     last_successful_poll: int | None = None) -> None:
    """Log a device's health at `ts` (an entry at the same ts is replaced)."""
    DeviceHealth.insert(device=device_id, ts=ts, status=status, response_time_ms=response_time_ms,
                        error_count=error_count, last_successful_poll=last_successful_poll,
                        diagnostics=_diagnostics(diagnostics)).on_conflict_replace().execute()


def stored_health(device_id: str) -> StoredHealth | None:
    """A device's health as stored, or None when it is not in the registry."""
    row = RegistryDevice.get_or_none(RegistryDevice.device_id == device_id)
    if row is None:
        return None
    return StoredHealth(row.health_status, row.lifecycle_state, row.last_seen, row.response_time_ms, row.error_count)


def record_health_change(device_id: str, *, status: str, lifecycle: str, last_seen: int | None,
                         response_time_ms: int | None, error_count: int, ts: int, poll_response_ms: int | None,
                         failures: int, last_successful_poll: int | None, diagnostics: Mapping[str, object]) -> bool:
    """A poll that changed a device's status or lifecycle: its registry row and a health entry, in one
    transaction. False when the device is not in the registry (nothing is written)."""
    with database.atomic():
        changed = update_device(device_id, {"health_status": status, "lifecycle_state": lifecycle,
                                            "last_seen": last_seen, "response_time_ms": response_time_ms,
                                            "error_count": error_count})
        if not changed:
            return False
        add_health_entry(device_id, ts, status, diagnostics, response_time_ms=poll_response_ms,
                         error_count=failures, last_successful_poll=last_successful_poll)
    return True


def put_health_summary(conn: sqlite3.Connection, rows: Sequence[tuple[int | None, int | None, int, str]]) -> None:
    """Write (last seen, response time, error count, device id) of polled devices, in the caller's transaction."""
    conn.executemany("UPDATE device_registry SET last_seen = ?, response_time_ms = ?, error_count = ? "
                     "WHERE device_id = ?", rows)


@dataclass(frozen=True)
class Disabled:
    """What a device was when it was disabled."""

    lifecycle_state: str


def disable(device_id: str, reason: str, now_ms: int) -> Disabled | None:
    """Mark a device failed with health error, one more error counted and the reason in its health log, in one
    transaction; what it was before, or None when it is not in the registry."""
    with database.atomic():
        device = RegistryDevice.get_or_none(RegistryDevice.device_id == device_id)
        if device is None:
            return None
        (RegistryDevice.update(health_status="error", lifecycle_state="failed",
                               error_count=RegistryDevice.error_count + 1)
         .where(RegistryDevice.device_id == device_id).execute())
        add_health_entry(device_id, now_ms, "error", {"error": reason, "lifecycle": "failed"},
                         error_count=device.error_count + 1, last_successful_poll=device.last_seen)
    return Disabled(str(device.lifecycle_state))


def heartbeats(device_id: str) -> Heartbeats | None:
    """A registered device's heartbeat counters, or None before its first."""
    row = DeviceHeartbeat.get_or_none(DeviceHeartbeat.device == device_id)
    if row is None:
        return None
    return Heartbeats(int(row.heartbeats), int(row.too_frequent), row.last_heartbeat, row.last_interval_ms)


def start_heartbeats(device_id: str, now_ms: int) -> None:
    """The heartbeat counters of a newly registered device: none yet, last one now."""
    DeviceHeartbeat.insert(device=device_id, heartbeats=0, too_frequent=0, last_heartbeat=now_ms).execute()


def count_heartbeat(device_id: str, now_ms: int, interval_ms: int | None, too_frequent: bool, *, first: bool) -> None:
    """Count one heartbeat at `now_ms`, `interval_ms` after the one before; `first` when the device has no
    heartbeat counters yet."""
    frequent = 1 if too_frequent else 0
    if first:
        DeviceHeartbeat.insert(device=device_id, heartbeats=1, too_frequent=frequent, last_heartbeat=now_ms,
                               last_interval_ms=interval_ms).execute()
        return
    (DeviceHeartbeat.update(heartbeats=DeviceHeartbeat.heartbeats + 1,
                            too_frequent=DeviceHeartbeat.too_frequent + frequent, last_heartbeat=now_ms,
                            last_interval_ms=interval_ms)
     .where(DeviceHeartbeat.device == device_id).execute())


def put_metrics(rows: Sequence[Mapping[str, object]]) -> None:
    """Store metric points {device, name, value, ts} in one transaction; a repeated (device, name, ts) replaces."""
    with database.atomic():
        for start in range(0, len(rows), METRICS_PER_INSERT):
            DeviceMetric.insert_many(list(rows[start:start + METRICS_PER_INSERT])).on_conflict_replace().execute()


def metric_names(device_id: str) -> list[str]:
    """The metric names a device has published, sorted."""
    query = (DeviceMetric.select(DeviceMetric.name).where(DeviceMetric.device == device_id)
             .distinct().order_by(DeviceMetric.name))
    return [str(m.name) for m in query]


def metric_points(device_id: str, name: str, start: int | None, end: int | None, limit: int) -> list[tuple[int, float]]:
    """The newest `limit` (ts, value) points of one metric in [start, end] (inclusive; None: open), oldest first."""
    query = DeviceMetric.select(DeviceMetric.ts, DeviceMetric.value).where(
        (DeviceMetric.device == device_id) & (DeviceMetric.name == name))
    if start is not None:
        query = query.where(DeviceMetric.ts >= start)
    if end is not None:
        query = query.where(DeviceMetric.ts <= end)
    points = [(int(m.ts), float(m.value)) for m in query.order_by(DeviceMetric.ts.desc()).limit(limit)]
    points.reverse()
    return points


def metric_summaries(device_id: str) -> list[MetricSummary]:
    """Per metric name of a device (sorted): how many points, the newest value and its time."""
    out = []
    for name in metric_names(device_id):
        newest = (DeviceMetric.select().where((DeviceMetric.device == device_id) & (DeviceMetric.name == name))
                  .order_by(DeviceMetric.ts.desc()).first())
        count = DeviceMetric.select().where((DeviceMetric.device == device_id) & (DeviceMetric.name == name)).count()
        out.append(MetricSummary(name, int(count), newest.value, newest.ts))
    return out
