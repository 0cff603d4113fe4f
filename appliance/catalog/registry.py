"""Registry rows of catalog devices: one per physical device, kept in step with the catalog."""

from __future__ import annotations

from typing import Any

from peewee import fn

from appliance.catalog.rows import row, utc_now_iso
from appliance.errors import ConflictError, NotFoundError
from appliance.store.models import Adapter, BatteryPack, Inverter, Meter, RegistryDevice, database

#: Catalog device kind -> (model, primary key column).
CATALOG_KINDS = {"inverter": (Inverter, "inverter_id"), "battery_pack": (BatteryPack, "pack_id"),
                 "meter": (Meter, "meter_id")}


def registry_id(kind: str, catalog_id: str) -> str:
    """The registry id of a catalog device: stable and readable, e.g. `inverter:powdrive1`."""
    return f"{kind}:{catalog_id}"


def sync_device(kind: str, catalog_id: str, *, name: str, system_id: str | None, hardware_id: str | None,
                device_type: str | None, lifecycle_state: str = "configured") -> dict[str, Any]:
    """Create or update the registry row of a catalog device."""
    device_id = registry_id(kind, catalog_id)
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
        RegistryDevice.insert(device_id=device_id, kind=kind, catalog_id=catalog_id,
                              lifecycle_state=lifecycle_state, **values).execute()
    else:
        RegistryDevice.update(**values).where(RegistryDevice.device_id == device_id).execute()
    return get_device(device_id)


def get_device(device_id: str) -> dict[str, Any]:
    """One registry row."""
    device = RegistryDevice.get_or_none(RegistryDevice.device_id == device_id)
    if device is None:
        raise NotFoundError(f"device {device_id!r} does not exist", field="device_id")
    return row(device)


def list_devices(system_id: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Registry rows, optionally of one system or kind."""
    query = RegistryDevice.select().order_by(RegistryDevice.kind, RegistryDevice.name, RegistryDevice.device_id)
    if system_id is not None:
        query = query.where(RegistryDevice.system == system_id)
    if kind is not None:
        query = query.where(RegistryDevice.kind == kind)
    return [row(d) for d in query]


def drop_orphans() -> None:
    """Remove registry rows and bound adapters whose catalog device is gone (after CASCADE deletes)."""
    with database.atomic():
        for kind, (model, key) in CATALOG_KINDS.items():
            alive = model.select(getattr(model, key))
            (RegistryDevice.delete()
             .where((RegistryDevice.kind == kind) & RegistryDevice.catalog_id.is_null(False)
                    & RegistryDevice.catalog_id.not_in(alive)).execute())
            # An adapter instance is its device's connection settings: it goes with the device.
            (Adapter.delete()
             .where((Adapter.device_type == kind) & Adapter.device_id.is_null(False)
                    & Adapter.device_id.not_in(alive)).execute())


def count_by_lifecycle() -> dict[str, int]:
    """How many devices are in each lifecycle state."""
    query = (RegistryDevice.select(RegistryDevice.lifecycle_state, fn.COUNT(RegistryDevice.device_id).alias("n"))
             .group_by(RegistryDevice.lifecycle_state))
    return {r.lifecycle_state: r.n for r in query}
