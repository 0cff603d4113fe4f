"""device_discovery and registry rows of discovered devices: proposal ids, new rows, moves, retry timers."""

from __future__ import annotations

import json
import re
from typing import Any

from appliance import backoff
from appliance.catalog import adapters, registry
from appliance.clock import utc_now_iso
from appliance.discovery.probe import Found, with_port
from appliance.store import discovery as discovery_store
from appliance.store import registry as registry_store
from appliance.store.models import DeviceDiscovery, RegistryDevice, database
from appliance.validation import ID_PATTERN

#: Driver category -> catalog device kind (a BESS is a battery pack in the hierarchy).
KINDS = {"inverter": "inverter", "battery": "battery_pack", "bess": "battery_pack", "meter": "meter"}
ACTIVE, INACTIVE, DISABLED, REJECTED = "active", "inactive", "disabled", "rejected"
#: First retry after a miss, doubling per failure up to the cap.
RETRY_BASE_MS, RETRY_CAP_MS = 30_000, 3_600_000


def kind_of(category: str) -> str:
    """The catalog kind (inverter | battery_pack | meter) of a driver category."""
    return KINDS[category]


def sanitise(text: str, limit: int = 56) -> str:
    """Text made into an id (pattern ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$), leaving room for suffixes."""
    cleaned = re.sub(r"[^A-Za-z0-9_.:-]+", "_", text).strip("_.:-")
    cleaned = re.sub(r"^[^A-Za-z0-9]+", "", cleaned)[:limit].rstrip("_.:-")
    return cleaned or "device"


def propose_id(found: Found) -> str:
    """A free catalog id for a new device: adapter type and serial number, else where it answered."""
    if found.serial_number:
        base = sanitise(f"{found.adapter_type}_{found.serial_number}")
    else:
        where = found.port.rsplit("/", 1)[-1]
        unit = f"_u{found.unit_id}" if found.unit_id is not None else ""
        base = sanitise(f"{found.adapter_type}_{where}{unit}")
    kind = kind_of(found.category)
    candidate, n = base, 1
    while (DeviceDiscovery.get_or_none(DeviceDiscovery.device_id == candidate) is not None
           or RegistryDevice.get_or_none(RegistryDevice.device_id == registry.registry_id(kind, candidate))):
        n += 1
        candidate = f"{base}_{n}"
    assert ID_PATTERN.match(candidate)
    return candidate


def display_name(found: Found) -> str:
    """A readable default name: model and serial number."""
    parts = [found.model or found.adapter_type, found.serial_number or found.port]
    return " ".join(p for p in parts if p)[:120]


def create(found: Found, now_ms: int) -> DeviceDiscovery:
    """A device_discovery row for a new device, and its registry row in lifecycle `registered`."""
    catalog_id = propose_id(found)
    kind = kind_of(found.category)
    with database.atomic():
        owner = (RegistryDevice.get_or_none(RegistryDevice.hardware_id == found.serial_number)
                 if found.serial_number else None)
        if owner is not None:
            # Configured by hand (config.yaml, the UI) before discovery saw it: link, do not duplicate.
            registry_id = owner.device_id
        else:
            registry_id = registry.registry_id(kind, catalog_id)
            registry_store.add_device({
                "device_id": registry_id, "kind": kind, "device_type": found.adapter_type,
                "name": display_name(found), "catalog_id": None, "hardware_id": found.serial_number,
                "lifecycle_state": "registered",
                "metadata": json.dumps({"source": found.source, "port": found.port, "model": found.model},
                                       allow_nan=False),
                "updated_at": utc_now_iso()})
        discovery_store.add_found({
            "device_id": catalog_id, "device_type": found.category, "serial_number": found.serial_number,
            "port": found.port, "adapter_config": json.dumps(found.adapter_config, sort_keys=True, allow_nan=False),
            "status": ACTIVE, "is_auto_discovered": True, "adapter_type": found.adapter_type, "model": found.model,
            "source": found.source, "registry": registry_id, "failure_count": 0, "next_retry_at": None,
            "last_seen_at": now_ms})
    return DeviceDiscovery.get_by_id(catalog_id)


def register(row: DeviceDiscovery) -> RegistryDevice:
    """A `registered` registry row for a discovery row that has none (approving a rejected device)."""
    kind = kind_of(str(row.device_type))
    registry_id = registry.registry_id(kind, str(row.device_id))
    name = " ".join(p for p in (row.model or row.adapter_type, row.serial_number or row.port) if p)[:120]
    with database.atomic():
        registry_store.add_device({"device_id": registry_id, "kind": kind, "device_type": row.adapter_type,
                                   "name": name, "catalog_id": None, "hardware_id": row.serial_number,
                                   "lifecycle_state": "registered", "updated_at": utc_now_iso()})
        discovery_store.update_found(row.device_id, {"registry": registry_id})
    return RegistryDevice.get_by_id(registry_id)


def config_of(row: DeviceDiscovery) -> dict[str, Any]:
    """The row's saved adapter config."""
    try:
        value = json.loads(row.adapter_config or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _port_of(config: dict[str, Any]) -> str | None:
    if "serial_port" in config:
        return str(config["serial_port"])
    if "bt_addresses" in config:
        return ",".join(config["bt_addresses"])
    if "host" in config:
        return f"{config['host']}:{config.get('port')}"
    return None


def move(row: DeviceDiscovery, new_port: str) -> None:
    """Point a known device at its new port: its discovery row and the adapters of its catalog device."""
    old_config = config_of(row)
    new_config = with_port(str(row.adapter_type), old_config, new_port)
    with database.atomic():
        discovery_store.update_found(row.device_id, {
            "port": new_port, "adapter_config": json.dumps(new_config, sort_keys=True, allow_nan=False)})
        registry_id = registry_of(row)
        device = RegistryDevice.get_or_none(RegistryDevice.device_id == registry_id) if registry_id else None
        if device is None or device.catalog_id is None:
            return
        old_port = _port_of({**old_config, "type": row.adapter_type})
        for adapter in adapters.list_adapters(device.kind, device.catalog_id):
            config = adapter["config_json"] if isinstance(adapter["config_json"], dict) else {}
            # Only the adapter that used the old port moves; a pack's other (failover) adapters stay.
            if adapter["adapter_type"] == row.adapter_type and _port_of(config) in (old_port, row.port):
                adapters.update_adapter(adapter["adapter_id"], config=with_port(adapter["adapter_type"], config,
                                                                                  new_port))


def mark_seen(row: DeviceDiscovery, now_ms: int) -> None:
    """The device answered: active, failures cleared. A device already so is written again only when its
    last_seen_at is an hour old: every scan rewriting every row (and its sync-feed entry) wore the SD card."""
    settled = row.status == ACTIVE and not row.failure_count and row.next_retry_at is None
    if settled and row.last_seen_at is not None and 0 <= now_ms - row.last_seen_at < SEEN_REFRESH_MS:
        return
    discovery_store.update_found(row.device_id, {"status": ACTIVE, "failure_count": 0, "next_retry_at": None,
                                                 "last_seen_at": now_ms})


#: How stale a settled device's last_seen_at may get before a scan writes it again.
SEEN_REFRESH_MS = 3_600_000


def retry_delay_ms(failures: int) -> int:
    """Exponential backoff: 30 s, 60 s, 120 s ... capped at an hour."""
    return int(backoff.delay(failures, RETRY_BASE_MS, RETRY_CAP_MS))


def mark_missing(row: DeviceDiscovery, now_ms: int, max_failures: int) -> str:
    """The device did not answer: one more failure, a retry timer, `disabled` after max_failures."""
    failures = int(row.failure_count or 0) + 1
    status = DISABLED if failures >= max_failures else INACTIVE
    retry = None if status == DISABLED else now_ms + retry_delay_ms(failures)
    discovery_store.update_found(row.device_id, {"status": status, "failure_count": failures,
                                                 "next_retry_at": retry})
    return status


def registry_of(row: DeviceDiscovery) -> str | None:
    """The registry id a discovery row points at (the raw foreign key, without loading the row)."""
    value = row.__data__.get("registry")
    return str(value) if value else None
