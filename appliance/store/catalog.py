"""SQL of the catalog's statements beyond one model row: adapter bindings, pack failover links, a pack's units
and cells, battery array attachments, group members, the default structure.

The catalog services create, change and delete single rows through the peewee models (their domain
objects); what changes several rows, or a row it has not loaded, is a function here.
"""

from __future__ import annotations

from typing import Mapping

from peewee import SQL

from appliance.store.models import (
    Adapter, AdapterBase, Battery, BatteryArray, BatteryArrayAttachment, BatteryCell, BatteryPackAdapter,
    DeviceGroupMember, Inverter, InverterArray, Meter, System, database,
)


def put_adapter_type(adapter_type: str, values: Mapping[str, object]) -> None:
    """Insert an adapter type, or change its columns when it exists (its created_at stays)."""
    if AdapterBase.get_or_none(AdapterBase.adapter_type == adapter_type) is None:
        AdapterBase.insert(adapter_type=adapter_type, **values).execute()
    else:
        AdapterBase.update(**values).where(AdapterBase.adapter_type == adapter_type).execute()


def bind_adapter(adapter_id: str, device_type: str | None, device_id: str | None) -> None:
    """Record which catalog device an adapter serves (None, None: none)."""
    Adapter.update(device_id=device_id, device_type=device_type).where(Adapter.adapter_id == adapter_id).execute()


def unbind_adapters_of(device_type: str, device_id: str) -> None:
    """Forget which adapters served a device."""
    (Adapter.update(device_id=None, device_type=None)
     .where((Adapter.device_type == device_type) & (Adapter.device_id == device_id)).execute())


def set_adapter_priority(adapter_id: str, priority: int) -> None:
    """An adapter's own copy of its failover priority."""
    Adapter.update(priority=priority).where(Adapter.adapter_id == adapter_id).execute()


def delete_adapter(adapter_id: str) -> None:
    """Delete one adapter instance (its devices keep their rows with no adapter: SET NULL)."""
    Adapter.delete().where(Adapter.adapter_id == adapter_id).execute()


def delete_all_adapters() -> None:
    """Delete every adapter instance."""
    Adapter.delete().execute()


def set_links_enabled(adapter_id: str, enabled: bool) -> None:
    """Enable or disable an adapter in every pack failover list it is in."""
    BatteryPackAdapter.update(enabled=enabled).where(BatteryPackAdapter.adapter == adapter_id).execute()


def put_pack_link(pack_id: str, adapter_id: str, priority: int, enabled: bool) -> None:
    """Put an adapter into a pack's failover list at `priority`, or change its place and flag there."""
    where = (BatteryPackAdapter.pack == pack_id) & (BatteryPackAdapter.adapter == adapter_id)
    if BatteryPackAdapter.get_or_none(where) is None:
        BatteryPackAdapter.insert(pack=pack_id, adapter=adapter_id, priority=priority, enabled=enabled).execute()
    else:
        BatteryPackAdapter.update(priority=priority, enabled=enabled).where(where).execute()


def set_pack_link_priority(pack_id: str, adapter_id: str, priority: int) -> None:
    """Move an adapter to `priority` in a pack's failover list."""
    (BatteryPackAdapter.update(priority=priority)
     .where((BatteryPackAdapter.pack == pack_id) & (BatteryPackAdapter.adapter == adapter_id)).execute())


def delete_pack_link(pack_id: str, adapter_id: str) -> bool:
    """Take an adapter out of a pack's failover list; False when it was not in it."""
    return bool(BatteryPackAdapter.delete()
                .where((BatteryPackAdapter.pack == pack_id) & (BatteryPackAdapter.adapter == adapter_id)).execute())


def set_inverter_adapter(inverter_id: str, adapter_id: str | None) -> None:
    """The adapter an inverter is polled through."""
    Inverter.update(adapter=adapter_id).where(Inverter.inverter_id == inverter_id).execute()


def set_meter_adapter(meter_id: str, adapter_id: str | None) -> None:
    """The adapter a meter is polled through."""
    Meter.update(adapter=adapter_id).where(Meter.meter_id == meter_id).execute()


def move_pack_parts(pack_id: str, battery_array_id: str) -> None:
    """Move a pack's battery units and cells to another battery array (the pack row itself is the caller's)."""
    Battery.update(battery_array=battery_array_id).where(Battery.pack == pack_id).execute()
    BatteryCell.update(battery_array=battery_array_id).where(BatteryCell.pack == pack_id).execute()


def drop_units_from(pack_id: str, first_index: int) -> None:
    """Delete a pack's battery units at index `first_index` and above (their cells go with them)."""
    Battery.delete().where((Battery.pack == pack_id) & (Battery.battery_index >= first_index)).execute()


def drop_cells_from(battery_id: str, first_index: int) -> None:
    """Delete a battery unit's cells at index `first_index` and above."""
    BatteryCell.delete().where((BatteryCell.battery == battery_id) & (BatteryCell.cell_index >= first_index)).execute()


def update_attachment(battery_array_id: str, attached_since: str, inverter_array_id: str | None,
                      detached_at: str | None) -> None:
    """Change the inverter array and the end of one attachment of a battery array (keyed by its start)."""
    (BatteryArrayAttachment.update(inverter_array=inverter_array_id, detached_at=detached_at)
     .where((BatteryArrayAttachment.battery_array == battery_array_id)
            & (BatteryArrayAttachment.attached_since == attached_since)).execute())


def end_attachment(battery_array_id: str, attached_since: str, at: str) -> None:
    """Set the end of one attachment of a battery array (keyed by its start)."""
    (BatteryArrayAttachment.update(detached_at=at)
     .where((BatteryArrayAttachment.battery_array == battery_array_id)
            & (BatteryArrayAttachment.attached_since == attached_since)).execute())


def put_group_member(group_id: str, device_id: str, role: str | None, priority: int | None) -> None:
    """Add a device to a group, or replace its role and priority there."""
    with database.atomic():
        (DeviceGroupMember.insert(group=group_id, device=device_id, role=role, priority=priority)
         .on_conflict_replace().execute())


def delete_group_member(group_id: str, device_id: str) -> bool:
    """Take a device out of a group; False when it was not in it."""
    return bool(DeviceGroupMember.delete()
                .where((DeviceGroupMember.group == group_id) & (DeviceGroupMember.device == device_id)).execute())


def has_systems() -> bool:
    """Whether any system exists."""
    return bool(System.select().exists())


def add_default_structure(system: Mapping[str, object], array: Mapping[str, object], battery_array: Mapping[str, object],
                          attached: tuple[str, str]) -> None:
    """Insert a system, an inverter array, a battery array and the attachment (battery array, inverter array)
    starting now, in the caller's transaction."""
    System.insert(**system).execute()
    InverterArray.insert(**array).execute()
    BatteryArray.insert(**battery_array).execute()
    BatteryArrayAttachment.insert(battery_array=attached[0], inverter_array=attached[1],
                                  attached_since=SQL("CURRENT_TIMESTAMP")).execute()
