"""Adapter types (adapter_base, from the driver registry), adapter instances and pack failover links."""

from __future__ import annotations

import json
from typing import TypedDict

from appliance.catalog.common import ensure_new, get, parent, save, unknown_fields
from appliance.catalog.validation import check_adapter_config
from appliance.clock import utc_now_iso
from appliance.drivers import DRIVERS
from appliance.errors import NotFoundError, ValidationError
from appliance.jsontypes import JsonObject
from appliance.store import catalog as catalog_store
from appliance.store.models import Adapter, AdapterBase, BatteryPack, BatteryPackAdapter, database
from appliance.store.rowtypes import AdapterBaseRow, AdapterRow, shaped
from appliance.store.rows import row
from appliance.validation import check_bool, check_id, check_int, check_name

#: Which catalog device kind each adapter category may serve.
DEVICE_TYPES = {"inverter": ("inverter",), "battery": ("battery_pack",), "bess": ("battery_pack",),
                "meter": ("meter",), "generic": ("inverter", "battery_pack", "meter")}


class PackAdapterLink(TypedDict):
    """An adapter's place in a battery pack's failover list."""

    pack_id: str
    adapter_id: str
    priority: int
    enabled: bool


def sync_adapter_types() -> int:
    """Fill adapter_base from DRIVERS (at start-up); return how many types are registered."""
    with database.atomic():
        for driver in DRIVERS:
            values = {
                "device_category": driver.category, "name": driver.name, "description": driver.description,
                "config_schema": json.dumps(driver.config_schema, sort_keys=True, allow_nan=False),
                "supported_transports": json.dumps(list(driver.transports), allow_nan=False),
                "default_config": json.dumps(driver.default_config, sort_keys=True, allow_nan=False),
                "version": "1", "updated_at": utc_now_iso(),
            }
            catalog_store.put_adapter_type(driver.adapter_type, values)
    return len(DRIVERS)


def list_adapter_types() -> list[AdapterBaseRow]:
    """Every registered adapter type with its schema and defaults."""
    query = AdapterBase.select().order_by(AdapterBase.device_category, AdapterBase.adapter_type)
    return [shaped(AdapterBaseRow, row(a)) for a in query]


def get_adapter_type(adapter_type: str) -> AdapterBaseRow:
    """One adapter type."""
    return shaped(AdapterBaseRow, row(get(AdapterBase, adapter_type, "adapter type")))


def create_adapter(adapter_id: str, adapter_type: str, config: JsonObject, *, name: str | None = None,
                   enabled: bool = True, priority: int = 1) -> AdapterRow:
    """Create an adapter instance; its config must match the adapter type's JSON schema."""
    check_id(adapter_id, "adapter_id")
    base = AdapterBase.get_or_none(AdapterBase.adapter_type == adapter_type)
    if base is None:
        raise ValidationError(f"adapter_type: unknown adapter type {adapter_type!r}", field="adapter_type")
    ensure_new(Adapter, adapter_id, "adapter_id", "adapter")
    adapter = Adapter(adapter_id=adapter_id, adapter_type=adapter_type, device_category=base.device_category,
                      name=check_name(name) if name is not None else None,
                      config_json=json.dumps(check_adapter_config(adapter_type, config), sort_keys=True,
                                             allow_nan=False),
                      priority=check_int(priority, "priority", minimum=1, maximum=99),
                      enabled=check_bool(enabled, "enabled"))
    save(adapter, force_insert=True)
    return get_adapter(adapter_id)


def get_adapter(adapter_id: str) -> AdapterRow:
    """One adapter instance with its decoded config."""
    return shaped(AdapterRow, row(get(Adapter, adapter_id, "adapter")))


def list_adapters(device_type: str | None = None, device_id: str | None = None) -> list[AdapterRow]:
    """Adapter instances, optionally those of one device."""
    query = Adapter.select().order_by(Adapter.adapter_id)
    if device_type is not None:
        query = query.where(Adapter.device_type == device_type)
    if device_id is not None:
        query = query.where(Adapter.device_id == device_id)
    return [shaped(AdapterRow, row(a)) for a in query]


def update_adapter(adapter_id: str, **changes: object) -> AdapterRow:
    """Change an adapter's name, config (validated again) or enabled flag."""
    unknown_fields(changes, {"name", "config", "enabled"})
    adapter = get(Adapter, adapter_id, "adapter")
    if "name" in changes:
        adapter.name = check_name(changes["name"]) if changes["name"] is not None else None
    if "config" in changes:
        adapter.config_json = json.dumps(check_adapter_config(adapter.adapter_type, changes["config"]),
                                         sort_keys=True, allow_nan=False)
    if "enabled" in changes:
        adapter.enabled = check_bool(changes["enabled"], "enabled")
        catalog_store.set_links_enabled(adapter_id, adapter.enabled)
    adapter.updated_at = utc_now_iso()
    save(adapter)
    return get_adapter(adapter_id)


def delete_adapter(adapter_id: str) -> None:
    """Delete an adapter; devices using it keep their row with no adapter (SET NULL)."""
    get(Adapter, adapter_id, "adapter").delete_instance()


def bind(adapter_id: str, device_type: str, device_id: str, field: str = "adapter_id") -> Adapter:
    """Mark an adapter as serving a device; its category must fit the device kind."""
    adapter = parent(Adapter, adapter_id, field, "adapter")
    if device_type not in DEVICE_TYPES.get(adapter.device_category, ()):
        raise ValidationError(f"{field}: adapter {adapter_id!r} is a {adapter.device_category} adapter, "
                              f"it cannot serve a {device_type.replace('_', ' ')}", field=field)
    if adapter.device_id not in (None, device_id) and adapter.device_type is not None:
        raise ValidationError(f"{field}: adapter {adapter_id!r} already serves {adapter.device_type} "
                              f"{adapter.device_id!r}", field=field)
    catalog_store.bind_adapter(adapter_id, device_type, device_id)
    return adapter


def unbind_device(device_type: str, device_id: str) -> None:
    """Forget which device adapters served (the device is gone or changed adapter)."""
    catalog_store.unbind_adapters_of(device_type, device_id)


def link_pack_adapter(pack_id: str, adapter_id: str, *, priority: int | None = None,
                      enabled: bool = True) -> PackAdapterLink:
    """Add an adapter to a battery pack's failover list (lower priority number = preferred)."""
    parent(BatteryPack, pack_id, "pack_id", "battery pack")
    with database.atomic():
        adapter = bind(adapter_id, "battery_pack", pack_id)
        if priority is None:
            last = (BatteryPackAdapter.select(BatteryPackAdapter.priority).where(BatteryPackAdapter.pack == pack_id)
                    .order_by(BatteryPackAdapter.priority.desc()).first())
            priority = (last.priority + 1) if last else 1
        priority = check_int(priority, "priority", minimum=1, maximum=99)
        catalog_store.put_pack_link(pack_id, adapter_id, priority, check_bool(enabled, "enabled"))
        catalog_store.set_adapter_priority(adapter.adapter_id, priority)
    return {"pack_id": pack_id, "adapter_id": adapter_id, "priority": priority, "enabled": enabled}


def unlink_pack_adapter(pack_id: str, adapter_id: str) -> None:
    """Remove an adapter from a pack's failover list."""
    if not catalog_store.delete_pack_link(pack_id, adapter_id):
        raise NotFoundError(f"adapter {adapter_id!r} is not linked to battery pack {pack_id!r}", field="adapter_id")
    catalog_store.bind_adapter(adapter_id, None, None)


def pack_adapters(pack_id: str) -> list[AdapterRow]:
    """A pack's adapters in failover order: priority, then id for a stable tie-break."""
    query = (BatteryPackAdapter.select(BatteryPackAdapter, Adapter).join(Adapter)
             .where(BatteryPackAdapter.pack == pack_id)
             .order_by(BatteryPackAdapter.priority, BatteryPackAdapter.adapter))
    out = []
    for link in query:
        item = shaped(AdapterRow, row(link.adapter))
        item["priority"], item["enabled"] = link.priority, bool(link.enabled)
        out.append(item)
    return out


def reorder_pack_adapters(pack_id: str, adapter_ids: list[str]) -> list[AdapterRow]:
    """Set a pack's failover order: the first id gets priority 1."""
    current = {a["adapter_id"] for a in pack_adapters(pack_id)}
    if set(adapter_ids) != current or len(adapter_ids) != len(current):
        raise ValidationError(f"adapter_ids must list each of the pack's adapters once: {sorted(current)}",
                              field="adapter_ids")
    with database.atomic():
        for position, adapter_id in enumerate(adapter_ids, start=1):
            catalog_store.set_pack_link_priority(pack_id, adapter_id, position)
            catalog_store.set_adapter_priority(adapter_id, position)
    return pack_adapters(pack_id)
