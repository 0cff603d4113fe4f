"""Approving and rejecting discovered devices: catalog row, adapter row, registry registered -> configured."""

from __future__ import annotations

from typing import Any

from appliance.catalog import adapters, devices, registry, systems
from appliance.catalog.defaults import ensure_defaults
from appliance.discovery import records
from appliance.discovery.records import ACTIVE, REJECTED
from appliance.errors import ConflictError, NotFoundError
from appliance.store import discovery as discovery_store
from appliance.store import registry as registry_store
from appliance.store.models import (BatteryArray, DeviceDiscovery, InverterArray, RegistryDevice, System,
                                    database)

DEFAULT_ARRAY, DEFAULT_BATTERY_ARRAY = "array1", "battery_array1"


def get_row(discovery_id: str) -> DeviceDiscovery:
    """One device_discovery row, or NotFoundError."""
    row = DeviceDiscovery.get_or_none(DeviceDiscovery.device_id == discovery_id)
    if row is None:
        raise NotFoundError(f"discovered device {discovery_id!r} does not exist", field="discovery_id")
    return row


def _system_id() -> str:
    ensure_defaults()
    first = System.get_or_none(System.system_id == "system") or System.select().order_by(System.system_id).first()
    return str(first.system_id)


def inverter_array(system_id: str) -> str:
    """The default inverter array: array1 if it exists, else the system's first (created when none)."""
    if InverterArray.get_or_none(InverterArray.array_id == DEFAULT_ARRAY) is not None:
        return DEFAULT_ARRAY
    first = (InverterArray.select().where(InverterArray.system == system_id)
             .order_by(InverterArray.array_id).first())
    if first is not None:
        return str(first.array_id)
    return str(systems.create_array(DEFAULT_ARRAY, system_id, "Default Inverter Array")["array_id"])


def battery_array(system_id: str) -> str:
    """The default battery array: battery_array1 if it exists, else the system's first (created when none)."""
    if BatteryArray.get_or_none(BatteryArray.battery_array_id == DEFAULT_BATTERY_ARRAY) is not None:
        return DEFAULT_BATTERY_ARRAY
    first = (BatteryArray.select().where(BatteryArray.system == system_id)
             .order_by(BatteryArray.battery_array_id).first())
    if first is not None:
        return str(first.battery_array_id)
    return str(systems.create_battery_array(DEFAULT_BATTERY_ARRAY, system_id, "Default Battery Array")
               ["battery_array_id"])


def _registry_row(row: DeviceDiscovery) -> RegistryDevice | None:
    registry_id = records.registry_of(row)
    return RegistryDevice.get_or_none(RegistryDevice.device_id == registry_id) if registry_id else None


def approve(discovery_id: str) -> dict[str, Any]:
    """Create the device's catalog row and adapter row; its registry row moves registered -> configured."""
    row = get_row(discovery_id)
    device = _registry_row(row)
    if device is None:
        # Rejected before (the registry row went with the rejection): the owner changed their mind.
        device = records.register(row)
    if device.kind == "battery_pack" and device.catalog_id is not None:
        return _add_route(row, str(device.catalog_id))
    if device.lifecycle_state != "registered" or device.catalog_id is not None:
        raise ConflictError(f"discovered device {discovery_id!r} is already in the catalog as "
                            f"{device.kind} {device.catalog_id!r}", field="discovery_id")
    kind = str(device.kind)
    # Routes to one device (a pack over TCP and over BLE) share one registry row: whichever is approved
    # first creates the catalog row under that row's id, and the others become its failover adapters.
    prefix = f"{kind}:"
    catalog_id = device.device_id[len(prefix):] if device.device_id.startswith(prefix) else discovery_id
    adapter_id = f"{catalog_id[:56]}_adapter"
    name, model, serial = device.name, row.model, row.serial_number
    config = {k: v for k, v in records.config_of(row).items() if k != "type"}
    with database.atomic():
        system_id = _system_id()
        adapters.create_adapter(adapter_id, str(row.adapter_type), config, name=f"{name} adapter"[:120])
        if kind == "inverter":
            devices.create_inverter(catalog_id, inverter_array(system_id), name, model=model,
                                    serial_number=serial, adapter_id=adapter_id)
        elif kind == "battery_pack":
            devices.create_battery_pack(catalog_id, battery_array(system_id), name)
            adapters.link_pack_adapter(catalog_id, adapter_id, priority=1)
        else:
            devices.create_meter(catalog_id, system_id, name, adapter_id=adapter_id, model=model)
        # The catalog's own sync leaves packs and meters without a hardware id; the serial number is ours.
        registry.sync_device(kind, catalog_id, name=name, system_id=system_id, hardware_id=serial,
                             device_type=str(row.adapter_type), lifecycle_state="configured")
        if row.status == REJECTED:
            discovery_store.update_found(discovery_id, {"status": ACTIVE})
    return entry(get_row(discovery_id))


def _add_route(row: DeviceDiscovery, pack_id: str) -> dict[str, Any]:
    """The same pack seen over another transport (its serial number matched): a failover adapter for it."""
    adapter_id = f"{pack_id[:40]}_{row.adapter_type}"
    config = {k: v for k, v in records.config_of(row).items() if k != "type"}
    if any(a["adapter_id"] == adapter_id for a in adapters.pack_adapters(pack_id)):
        raise ConflictError(f"discovered device {row.device_id!r} is already an adapter of battery pack "
                            f"{pack_id!r}", field="discovery_id")
    with database.atomic():
        adapters.create_adapter(adapter_id, str(row.adapter_type), config, name=f"{pack_id} via {row.source}"[:120])
        adapters.link_pack_adapter(pack_id, adapter_id)  # next priority: the first route found stays preferred
    return entry(get_row(row.device_id))


def reject(discovery_id: str) -> dict[str, Any]:
    """Mark a discovered device rejected: no catalog row, and its port is not probed again for it."""
    row = get_row(discovery_id)
    device = _registry_row(row)
    if device is not None and device.lifecycle_state != "registered":
        raise ConflictError(f"discovered device {discovery_id!r} is already in the catalog: delete "
                            f"{device.kind} {device.catalog_id!r} instead", field="discovery_id")
    with database.atomic():
        discovery_store.update_found(discovery_id, {"status": REJECTED, "next_retry_at": None, "registry": None})
        if device is not None:
            # Never approved, so not a device of this site: the registry keeps no row for it.
            registry_store.delete_device(device.device_id)
    return entry(get_row(discovery_id))


def entry(row: DeviceDiscovery) -> dict[str, Any]:
    """The inbox view of one discovered device."""
    device = _registry_row(row)
    state = device.lifecycle_state if device else None
    if row.status == REJECTED:
        approval = "rejected"
    else:
        approval = "pending" if state == "registered" else "approved"
    return {
        "discovery_id": row.device_id, "source": row.source, "port": row.port, "adapter_type": row.adapter_type,
        "category": row.device_type, "model": row.model, "serial_number": row.serial_number,
        "status": row.status, "approval": approval, "registry_id": records.registry_of(row),
        "lifecycle_state": state, "kind": device.kind if device else None,
        "catalog_id": device.catalog_id if device else None, "name": device.name if device else None,
        "failure_count": row.failure_count, "next_retry_at": row.next_retry_at, "last_seen_at": row.last_seen_at,
        "discovered_at": row.discovery_timestamp, "adapter_config": records.config_of(row),
    }
