"""Devices that register themselves over the API (the registration document): heartbeats, status, metrics."""

from __future__ import annotations

import ipaddress
import math
import re
import uuid
from typing import Mapping, TypedDict

from peewee import IntegrityError

from appliance.catalog import registry
from appliance.clock import iso_ms, now_ms, parse_instant, utc_now_iso
from appliance.errors import ConflictError, NotFoundError, ValidationError
from appliance.store import registry as registry_store
from appliance.store import settings as stored_settings
from appliance.store.models import RegistryDevice, database
from appliance.store.rows import row
from appliance.store.rowtypes import RegistryDeviceRow, shaped
from appliance.validation import check_free_text, check_name, json_object

#: Registry `kind` of every self-registered device; its own type (esp32, arduino, ...) is `device_type`.
KIND = "registered"
OFFLINE_AFTER_S = 300
SWEEP_EVERY_S = 60
#: app_settings keys: how long without a heartbeat makes a device offline, and how often the sweep runs.
OFFLINE_AFTER_KEY, SWEEP_EVERY_KEY = "registration.offline_after_s", "registration.sweep_every_s"
TOO_FREQUENT_MS = 10_000
STATUSES = ("online", "offline", "degraded", "error", "maintenance")
PATCH_STATUSES = ("online", "maintenance")
TYPE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
METRIC_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
MAX_HARDWARE_ID = 128
MAX_METRICS = 1000
MAX_SERIES = 10_000
MAX_JSON = 8192


class HeartbeatCounts(TypedDict):
    """How a device's heartbeats came: how many, how many too soon, the last gap."""

    count: int
    too_frequent: int
    last_interval_ms: int | None


class RegisteredDevice(RegistryDeviceRow):
    """A registry row in the registration document's shape (`id`, `status`), every column kept."""

    id: str
    status: str
    last_seen_at: str | None
    heartbeats: HeartbeatCounts


class Heartbeat(TypedDict):
    """What a heartbeat answers."""

    device_id: str
    status: str
    last_seen: str | None
    too_frequent: bool
    interval_ms: int | None


class MetricsStored(TypedDict):
    """What a metrics upload stored."""

    device_id: str
    stored: int
    names: list[str]


class MetricSeries(TypedDict):
    """One metric of a device as chart columns."""

    device_id: str
    name: str
    ts: list[int]
    values: list[float]


class MetricSummary(TypedDict):
    """One metric name of a device: its points and newest value."""

    name: str
    points: int
    latest: float
    latest_ts: int


class DuplicateDevice(ConflictError):
    """The hardware id is registered already; `existing_id` is that device's id."""

    def __init__(self, existing_id: str, hardware_id: str) -> None:
        super().__init__(f"hardware_id {hardware_id!r} is registered already as device {existing_id!r}",
                         field="hardware_id")
        self.existing_id = existing_id


def _object(value: object, field: str) -> str | None:
    if value is None:
        return None
    text = json_object(value, field)
    if len(text) > MAX_JSON:
        raise ValidationError(f"{field} is larger than {MAX_JSON} bytes", field=field)
    return text


def _public(device: RegistryDevice) -> RegisteredDevice:
    """A registry row in the registration document's shape (`id`, `status`), with every column kept."""
    beats = registry_store.heartbeats(device.device_id)
    return RegisteredDevice(**shaped(RegistryDeviceRow, row(device)), id=device.device_id, status=device.health_status,
                            last_seen_at=iso_ms(device.last_seen),
                            heartbeats={"count": beats.count if beats else 0,
                                        "too_frequent": beats.too_frequent if beats else 0,
                                        "last_interval_ms": beats.last_interval_ms if beats else None})


def _get(device_id: object) -> RegistryDevice:
    if not isinstance(device_id, str) or not device_id:
        raise ValidationError("device_id is required", field="device_id")
    device = RegistryDevice.get_or_none(RegistryDevice.device_id == device_id)
    if device is None:
        raise NotFoundError(f"device {device_id!r} does not exist", field="device_id")
    return device


def register(name: object, device_type: object, hardware_id: object, firmware_version: object = None,
             ip_address: object = None, location: object = None, metadata: object = None, *,
             now: int | None = None) -> RegisteredDevice:
    """Register a device: a registry row with a new UUID, active and online; DuplicateDevice on a known hardware id."""
    name = check_name(name)
    if not isinstance(device_type, str) or not TYPE_PATTERN.match(device_type):
        raise ValidationError("device_type must be 1-64 letters, digits, '_', '.' or '-'", field="device_type")
    if not isinstance(hardware_id, str) or not hardware_id.strip():
        raise ValidationError("hardware_id is required", field="hardware_id")
    hardware_id = check_free_text(hardware_id.strip(), "hardware_id", max_len=MAX_HARDWARE_ID)
    firmware_version = check_free_text(firmware_version, "firmware_version", max_len=64)
    if ip_address is not None:
        try:
            ip_address = str(ipaddress.ip_address(ip_address if isinstance(ip_address, str) else ""))
        except ValueError:
            raise ValidationError("ip_address must be an IPv4 or IPv6 address", field="ip_address") from None
    values = {"location": _object(location, "location"), "metadata": _object(metadata, "metadata") or "{}"}
    now = now_ms() if now is None else now
    device_id = str(uuid.uuid4())
    try:
        with database.atomic():
            existing = RegistryDevice.get_or_none(RegistryDevice.hardware_id == hardware_id)
            if existing is not None:
                raise DuplicateDevice(existing.device_id, str(hardware_id))
            registry_store.add_device({
                "device_id": device_id, "kind": KIND, "device_type": device_type, "name": name,
                "hardware_id": hardware_id, "lifecycle_state": "active", "health_status": "online", "last_seen": now,
                "firmware_version": firmware_version, "ip_address": ip_address, "created_at": utc_now_iso(),
                "updated_at": utc_now_iso(), **values})
            registry_store.start_heartbeats(device_id, now)
            registry_store.add_health_entry(device_id, now, "online", {"event": "registered"})
    except IntegrityError:
        # Two registrations of one hardware id raced; the loser learns the winner's id.
        existing = RegistryDevice.get(RegistryDevice.hardware_id == hardware_id)
        raise DuplicateDevice(existing.device_id, str(hardware_id)) from None
    return get(device_id)


def heartbeat(device_id: object, *, now: int | None = None) -> Heartbeat:
    """Note a heartbeat: last seen now, offline devices come back online; faster than every 10 s is counted."""
    device = _get(device_id)
    now = now_ms() if now is None else now
    with database.atomic():
        beats = registry_store.heartbeats(device.device_id)
        previous = beats.last_heartbeat if beats else None
        interval = now - previous if previous is not None else None
        frequent = 1 if interval is not None and 0 <= interval < TOO_FREQUENT_MS else 0
        registry_store.count_heartbeat(device.device_id, now, interval, bool(frequent), first=beats is None)
        changes: dict[str, object] = {"last_seen": now, "updated_at": utc_now_iso()}
        # Maintenance is an administrator's decision: a heartbeat does not end it.
        if device.health_status not in ("online", "maintenance"):
            changes["health_status"] = "online"
            registry_store.add_health_entry(device.device_id, now, "online", {"event": "heartbeat"})
        registry_store.update_device(device.device_id, changes)
    fresh = RegistryDevice.get_by_id(device.device_id)
    return {"device_id": fresh.device_id, "status": fresh.health_status, "last_seen": iso_ms(fresh.last_seen),
            "too_frequent": bool(frequent), "interval_ms": interval}


def sweep_settings() -> dict[str, float]:
    """The offline timeout and the sweep period in seconds (app settings, else 300 s and 60 s)."""
    out = {}
    for key, default in ((OFFLINE_AFTER_KEY, OFFLINE_AFTER_S), (SWEEP_EVERY_KEY, SWEEP_EVERY_S)):
        value = stored_settings.get_json(key, default)
        good = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
        out[key.split(".", 1)[1]] = float(value) if good else float(default)
    return out


def sweep_offline(now: int, timeout_s: float | None = None) -> list[str]:
    """Mark registered devices without a heartbeat for `timeout_s` (default: the setting) offline; return their ids."""
    if timeout_s is None:
        timeout_s = sweep_settings()["offline_after_s"]
    if not isinstance(timeout_s, (int, float)) or not math.isfinite(timeout_s) or timeout_s <= 0:
        raise ValidationError("timeout_s must be a positive number of seconds", field="timeout_s")
    cutoff = now - int(timeout_s * 1000)
    with database.atomic():
        stale = [d.device_id for d in RegistryDevice.select(RegistryDevice.device_id).where(
            (RegistryDevice.kind == KIND) & RegistryDevice.health_status.in_(("online", "degraded"))
            & (RegistryDevice.last_seen.is_null() | (RegistryDevice.last_seen < cutoff)))]
        for device_id in stale:
            registry_store.update_device(device_id, {"health_status": "offline", "updated_at": utc_now_iso()})
            registry_store.add_health_entry(device_id, now, "offline", {"event": "no heartbeat", "timeout_s": timeout_s})
    return stale


def get(device_id: object) -> RegisteredDevice:
    """One registry device (registered or catalogued) in the registration document's shape."""
    return _public(_get(device_id))


def list_registered(status: object = None, device_type: object = None, *,
                    kind: object = None) -> list[RegisteredDevice]:
    """Registry devices, optionally by status (health), type (device_type) and kind, ordered by name and id."""
    query = RegistryDevice.select().order_by(RegistryDevice.name, RegistryDevice.device_id)
    if status is not None:
        if status not in STATUSES:
            raise ValidationError(f"status must be one of {', '.join(STATUSES)}", field="status")
        query = query.where(RegistryDevice.health_status == status)
    if device_type is not None:
        query = query.where(RegistryDevice.device_type == device_type)
    if kind is not None:
        query = query.where(RegistryDevice.kind == kind)
    return [_public(d) for d in query]


def patch(device_id: object, changes: Mapping[str, object]) -> RegisteredDevice:
    """Change a device's status (maintenance/online), name, location or metadata; all checked before any write."""
    device = _get(device_id)
    allowed = {"status", "name", "location", "metadata", "maintenance_reason"}
    for key in changes:
        if key not in allowed:
            raise ValidationError(f"unknown field {key!r}", field=key)
    if device.catalog_id is not None and set(changes) - {"status", "maintenance_reason"}:
        # A catalogued device's name and place belong to its catalog row, which keeps the registry in step.
        field = sorted(set(changes) - {"status", "maintenance_reason"})[0]
        raise ValidationError(f"{field} of a catalogued device is changed through the catalog", field=field)
    values: dict[str, object] = {}
    if "name" in changes:
        values["name"] = check_name(changes["name"])
    if "location" in changes:
        values["location"] = _object(changes["location"], "location")
    if "metadata" in changes:
        values["metadata"] = _object(changes["metadata"], "metadata") or "{}"
    status = changes.get("status")
    if "status" in changes and status not in PATCH_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(PATCH_STATUSES)}", field="status")
    reason = check_free_text(changes.get("maintenance_reason") or "set over the API", "maintenance_reason")
    with database.atomic():
        if values:
            values["updated_at"] = utc_now_iso()
            registry_store.update_device(device.device_id, values)
        if status == "maintenance" and device.health_status != "maintenance":
            registry.set_maintenance(device.device_id, True, reason)
        elif status == "online" and device.health_status != "online":
            registry.set_maintenance(device.device_id, False)
    return get(device.device_id)


def record_metrics(device_id: object, metrics: object, *, now: int | None = None) -> MetricsStored:
    """Store named numeric values [{name, value, ts?}] of a device; a repeated (name, ts) replaces the value."""
    device = _get(device_id)
    if not isinstance(metrics, list) or not metrics:
        raise ValidationError("metrics must be a non-empty list of {name, value, ts?}", field="metrics")
    if len(metrics) > MAX_METRICS:
        raise ValidationError(f"at most {MAX_METRICS} metrics per request", field="metrics")
    now = now_ms() if now is None else now
    rows: list[dict[str, object]] = []
    names: set[str] = set()
    for i, item in enumerate(metrics):
        where = f"metrics[{i}]"
        if not isinstance(item, dict):
            raise ValidationError(f"{where} must be an object", field=where)
        extra = set(item) - {"name", "value", "ts"}
        if extra:
            raise ValidationError(f"{where}: unknown field {sorted(extra)[0]!r}", field=f"{where}.{sorted(extra)[0]}")
        name, value = item.get("name"), item.get("value")
        if not isinstance(name, str) or not METRIC_PATTERN.match(name):
            raise ValidationError(f"{where}.name must be 1-64 letters, digits, '_', '.' or '-'", field=f"{where}.name")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValidationError(f"{where}.value must be a finite number", field=f"{where}.value")
        rows.append({"device": device.device_id, "name": name, "value": float(value),
                     "ts": now if item.get("ts") is None else parse_instant(item["ts"], f"{where}.ts")})
        names.add(name)
    registry_store.put_metrics(rows)
    return {"device_id": device.device_id, "stored": len(rows), "names": sorted(names)}


def metric_names(device_id: object) -> list[str]:
    """The metric names a device has published."""
    device = _get(device_id)
    return registry_store.metric_names(device.device_id)


def metric_series(device_id: object, name: object, start: int | None = None, end: int | None = None,
                  limit: int = MAX_SERIES) -> MetricSeries:
    """One metric of a device between start and end (epoch ms, inclusive) as `ts` and `values` columns for a chart."""
    device = _get(device_id)
    if not isinstance(name, str) or not METRIC_PATTERN.match(name):
        raise ValidationError("name must be a metric name", field="name")
    # Newest `limit` points, returned oldest first, so a long history still shows its recent end.
    points = registry_store.metric_points(device.device_id, name, start, end, max(1, min(int(limit), MAX_SERIES)))
    return {"device_id": device.device_id, "name": name, "ts": [p[0] for p in points],
            "values": [p[1] for p in points]}


def metrics_overview(device_id: object) -> list[MetricSummary]:
    """Per metric name: how many points, the newest value and its time."""
    device = _get(device_id)
    return [{"name": m.name, "points": m.points, "latest": m.latest, "latest_ts": m.latest_ts}
            for m in registry_store.metric_summaries(device.device_id)]
