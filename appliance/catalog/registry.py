"""Registry rows of catalog devices: one per physical device, kept in step with the catalog."""

from __future__ import annotations

import json
from typing import Any

from peewee import fn

from appliance.clock import now_ms, utc_now_iso
from appliance.errors import ConflictError, NotFoundError, ValidationError
from appliance.store import registry as registry_store
from appliance.store.models import Adapter, DeviceHealth, RegistryDevice, database
from appliance.store.registry import CATALOG_TABLES as CATALOG_KINDS
from appliance.store.rows import row
from appliance.store.rowtypes import RegistryDeviceRow, shaped
from appliance.validation import check_bool, check_free_text, check_int


class RegistryDeviceView(RegistryDeviceRow):
    """A registry row with why the device is not online (None when it is, or nothing says)."""

    last_error: str | None


def registry_id(kind: str, catalog_id: str) -> str:
    """The registry id of a catalog device: stable and readable, e.g. `inverter:powdrive1`."""
    return f"{kind}:{catalog_id}"


#: Pass as `hardware_id` to keep what the registry holds: packs and meters have no serial-number
#: column in the catalog, and the serial number discovery read must survive a rename.
KEEP = object()


def sync_device(kind: str, catalog_id: str, *, name: str, system_id: str | None, hardware_id: object,
                device_type: str | None, lifecycle_state: str = "configured") -> RegistryDeviceView:
    """Create or update the registry row of a catalog device (`hardware_id=KEEP` leaves it as it is)."""
    device_id = registry_id(kind, catalog_id)
    if hardware_id is KEEP:
        current = RegistryDevice.get_or_none(RegistryDevice.device_id == device_id)
        hardware_id = current.hardware_id if current is not None else None
    if hardware_id:
        owner = RegistryDevice.get_or_none((RegistryDevice.hardware_id == hardware_id)
                                           & (RegistryDevice.device_id != device_id))
        if owner is not None:
            raise ConflictError(f"serial_number {hardware_id!r} already belongs to device {owner.device_id!r}",
                                field="serial_number")
    values = {"name": name, "system": system_id, "hardware_id": hardware_id or None, "device_type": device_type,
              "updated_at": utc_now_iso()}
    existing = RegistryDevice.get_or_none(RegistryDevice.device_id == device_id)
    if existing is None:
        registry_store.add_device({"device_id": device_id, "kind": kind, "catalog_id": catalog_id,
                                   "lifecycle_state": lifecycle_state, **values})
    else:
        # A device found by discovery waits as `registered` with no catalog row; approval completes it.
        if existing.lifecycle_state == "registered" and lifecycle_state == "configured":
            values["lifecycle_state"] = "configured"
        registry_store.update_device(device_id, {"catalog_id": catalog_id, **values})
    return get_device(device_id)


def get_device(device_id: str) -> RegistryDeviceView:
    """One registry row, with `last_error` (why it is not online, or None)."""
    device = RegistryDevice.get_or_none(RegistryDevice.device_id == device_id)
    if device is None:
        raise NotFoundError(f"device {device_id!r} does not exist", field="device_id")
    return _with_error(shaped(RegistryDeviceRow, row(device)), _last_errors([device_id]))


def list_devices(system_id: str | None = None, kind: str | None = None) -> list[RegistryDeviceView]:
    """Registry rows, optionally of one system or kind, each with `last_error`."""
    query = RegistryDevice.select().order_by(RegistryDevice.kind, RegistryDevice.name, RegistryDevice.device_id)
    if system_id is not None:
        query = query.where(RegistryDevice.system == system_id)
    if kind is not None:
        query = query.where(RegistryDevice.kind == kind)
    rows = [shaped(RegistryDeviceRow, row(d)) for d in query]
    errors = _last_errors([r["device_id"] for r in rows if r["health_status"] in ERROR_STATUSES])
    return [_with_error(r, errors) for r in rows]


#: Health states in which the newest health entry's error is shown.
ERROR_STATUSES = ("error", "offline")


def _last_errors(device_ids: list[str]) -> dict[str, str]:
    """The error of each device's newest health entry (SQLite takes the bare column from the MAX row)."""
    if not device_ids:
        return {}
    newest: Any = (DeviceHealth.select(DeviceHealth.device, DeviceHealth.diagnostics, fn.MAX(DeviceHealth.ts))
                   .where(DeviceHealth.device.in_(device_ids)).group_by(DeviceHealth.device).tuples())
    out = {}
    for device_id, diagnostics, _ in newest:
        try:
            error = json.loads(diagnostics or "{}").get("error")
        except (ValueError, AttributeError):
            error = None
        if isinstance(error, str) and error:
            out[device_id] = error
    return out


def _with_error(device: RegistryDeviceRow, errors: dict[str, str]) -> RegistryDeviceView:
    error = errors.get(device["device_id"]) if device["health_status"] in ERROR_STATUSES else None
    return RegistryDeviceView(**device, last_error=error)


def drop_orphans(keep_adapters: bool = False) -> list[str]:
    """Remove registry rows whose catalog device is gone (after CASCADE deletes), and the adapters that served
    only those devices (unbound instead when `keep_adapters`); returns the ids of the deleted adapters."""
    from appliance.catalog.deletion import drop_orphan_adapters

    with database.atomic():
        dead: set[tuple[str, str]] = set()
        for kind, (model, key) in CATALOG_KINDS.items():
            alive = model.select(getattr(model, key))
            registry_store.drop_without_catalog_device(kind)
            dead |= {(kind, str(a.device_id)) for a in Adapter.select().where(
                (Adapter.device_type == kind) & Adapter.device_id.is_null(False) & Adapter.device_id.not_in(alive))}
        # An adapter is its device's connection settings: it goes with the device, unless another device uses it.
        return drop_orphan_adapters(dead, keep_adapters)


def count_by_lifecycle() -> dict[str, int]:
    """How many devices are in each lifecycle state."""
    query = (RegistryDevice.select(RegistryDevice.lifecycle_state, fn.COUNT(RegistryDevice.device_id).alias("n"))
             .group_by(RegistryDevice.lifecycle_state))
    return {r.lifecycle_state: r.n for r in query}


MAX_REASON = 500


def set_maintenance(device_id: str, on: bool, reason: str | None = None,
                    expected_end_ms: int | None = None) -> RegistryDeviceView:
    """Put a device into maintenance (with a reason) or take it out; the change is kept in device_health."""
    get_device(device_id)
    check_bool(on, "on")
    now = now_ms()
    values: dict[str, Any]
    if on:
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError("a reason is required for maintenance", field="reason")
        reason = check_free_text(reason.strip(), "reason", max_len=MAX_REASON)
        if expected_end_ms is not None:
            check_int(expected_end_ms, "expected_end_ms", minimum=now)
        values = {"lifecycle_state": "maintenance", "health_status": "maintenance", "maintenance_reason": reason,
                  "maintenance_started_at": now, "maintenance_expected_end": expected_end_ms}
    else:
        values = {"lifecycle_state": "active", "health_status": "online", "maintenance_reason": None,
                  "maintenance_started_at": None, "maintenance_expected_end": None}
    with database.atomic():
        registry_store.update_device(device_id, {"updated_at": utc_now_iso(), **values})
        registry_store.add_health_entry(device_id, now, values["health_status"],
                                        {"maintenance": on, "reason": reason if on else None})
    return get_device(device_id)
