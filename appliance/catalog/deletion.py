"""What deleting a catalog entity removes, cascades included, said before it happens; and the adapter rule.

`preview(kind, id)` lists every row a delete takes with it (and what it keeps), so the UI can ask the
owner to confirm the real consequences. `fingerprint` of a preview lets a confirmation refuse to run
when the catalog changed between showing and confirming. An adapter goes with its device only when no
other device uses it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Sequence

from peewee import fn

from appliance.catalog.common import get
from appliance.store import catalog as catalog_store
from appliance.store.models import (
    Adapter, Battery, BatteryArray, BatteryArrayAttachment, BatteryBankSample, BatteryCell, BatteryPack,
    BatteryPackAdapter, DeviceGroup, DeviceGroupMember, EnergySample, Inverter, InverterArray, Meter, MeterSample,
    BaseModel, RegistryDevice, System,
)

KINDS = ("system", "array", "inverter", "battery_array", "battery_pack", "meter", "adapter", "device_group")


@dataclass(frozen=True)
class Preview:
    """The consequences of one delete: `removes` and `keeps` are sentences, `history_since` the oldest sample."""

    kind: str
    entity_id: str
    name: str
    removes: tuple[str, ...] = field(default=())
    keeps: tuple[str, ...] = field(default=())
    history_since: int | None = None
    adapters_removed: tuple[str, ...] = field(default=())

    def fingerprint(self) -> str:
        """A short hash of what the delete does; a confirmation carries it so a changed catalog asks again."""
        body = json.dumps([self.kind, self.entity_id, self.removes, self.keeps, self.adapters_removed], allow_nan=False)
        return hashlib.sha256(body.encode()).hexdigest()[:16]


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _names(rows: Sequence[object], attr: str = "name", limit: int = 6) -> str:
    names = [str(getattr(r, attr)) for r in rows]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def adapter_users(adapter_id: str) -> set[tuple[str, str]]:
    """Every (kind, catalog id) that uses an adapter: inverters and meters by their adapter, packs by failover link."""
    users = {("inverter", i.inverter_id) for i in Inverter.select().where(Inverter.adapter == adapter_id)}
    users |= {("meter", m.meter_id) for m in Meter.select().where(Meter.adapter == adapter_id)}
    users |= {("battery_pack", link.pack_id)
              for link in BatteryPackAdapter.select().where(BatteryPackAdapter.adapter == adapter_id)}
    adapter = Adapter.get_or_none(Adapter.adapter_id == adapter_id)
    if adapter is not None and adapter.device_type and adapter.device_id:
        users.add((adapter.device_type, adapter.device_id))
    return users


def _device_adapters(devices: set[tuple[str, str]]) -> tuple[list[str], list[tuple[str, set[tuple[str, str]]]]]:
    """The adapters of some devices split into (removed with them, kept because another device uses them)."""
    candidates: set[str] = set()
    for kind, catalog_id in devices:
        candidates |= {a.adapter_id for a in Adapter.select().where((Adapter.device_type == kind)
                                                                    & (Adapter.device_id == catalog_id))}
        if kind == "inverter":
            candidates |= {i.adapter_id for i in Inverter.select().where(Inverter.inverter_id == catalog_id)
                           if i.adapter_id}
        elif kind == "meter":
            candidates |= {m.adapter_id for m in Meter.select().where(Meter.meter_id == catalog_id) if m.adapter_id}
        elif kind == "battery_pack":
            candidates |= {link.adapter_id for link in BatteryPackAdapter.select()
                           .where(BatteryPackAdapter.pack == catalog_id)}
    removed, kept = [], []
    for adapter_id in sorted(candidates):
        others = adapter_users(adapter_id) - devices
        if others:
            kept.append((adapter_id, others))
        else:
            removed.append(adapter_id)
    return removed, kept


def _oldest(devices: set[tuple[str, str]]) -> int | None:
    """The oldest stored sample of some devices (one index seek per device)."""
    found = []
    for kind, catalog_id in devices:
        if kind == "inverter":
            found.append(EnergySample.select(fn.MIN(EnergySample.ts)).where(EnergySample.inverter == catalog_id)
                         .scalar())
        elif kind == "meter":
            found.append(MeterSample.select(fn.MIN(MeterSample.ts)).where(MeterSample.meter == catalog_id).scalar())
        elif kind == "battery_pack":
            found.append(BatteryBankSample.select(fn.MIN(BatteryBankSample.ts))
                         .where(BatteryBankSample.pack == catalog_id).scalar())
    stamps = [s for s in found if s is not None]
    return min(stamps) if stamps else None


def _devices_of(kind: str, entity_id: str) -> tuple[list[Inverter], list[BatteryPack], list[Meter]]:
    """(inverters, packs, meters) that a delete of this entity removes."""
    inverters: list[Inverter] = []
    packs: list[BatteryPack] = []
    meters: list[Meter] = []
    if kind == "system":
        inverters = list(Inverter.select().where(Inverter.system == entity_id))
        packs = list(BatteryPack.select().where(BatteryPack.system == entity_id))
        meters = list(Meter.select().where(Meter.system == entity_id))
    elif kind == "array":
        inverters = list(Inverter.select().where(Inverter.array == entity_id))
    elif kind == "battery_array":
        packs = list(BatteryPack.select().where(BatteryPack.battery_array == entity_id))
    elif kind == "inverter":
        inverters = [get(Inverter, entity_id, "inverter")]
    elif kind == "battery_pack":
        packs = [get(BatteryPack, entity_id, "battery pack")]
    elif kind == "meter":
        meters = [get(Meter, entity_id, "meter")]
    return inverters, packs, meters


def _entity(kind: str, entity_id: str) -> BaseModel:
    models = {"system": (System, "system"), "array": (InverterArray, "inverter array"),
              "inverter": (Inverter, "inverter"), "battery_array": (BatteryArray, "battery array"),
              "battery_pack": (BatteryPack, "battery pack"), "meter": (Meter, "meter"), "adapter": (Adapter, "adapter"),
              "device_group": (DeviceGroup, "device group")}
    model, what = models[kind]
    return get(model, entity_id, what)


def preview(kind: str, entity_id: str) -> Preview:
    """What deleting one catalog entity removes and keeps (NotFoundError when it does not exist)."""
    if kind not in KINDS:
        raise ValueError(f"unknown catalog kind {kind!r}")
    entity = _entity(kind, entity_id)
    name = getattr(entity, "name", None) or entity_id
    if kind == "adapter":
        stays = tuple(f"{k.replace('_', ' ')} {c} stays, without this adapter: it is no longer read"
                      for k, c in sorted(adapter_users(entity_id)))
        return Preview(kind, entity_id, name, (f"adapter {entity_id} ({entity.adapter_type}) and its settings",),
                       stays, None, (entity_id,))
    if kind == "device_group":
        members = DeviceGroupMember.select().where(DeviceGroupMember.group == entity_id).count()
        return Preview(kind, entity_id, name, (f"device group {name}",),
                       (f"its {_plural(members, 'member')} stay as devices",) if members else ())
    inverters, packs, meters = _devices_of(kind, entity_id)
    devices = ({("inverter", i.inverter_id) for i in inverters} | {("battery_pack", p.pack_id) for p in packs}
               | {("meter", m.meter_id) for m in meters})
    removes: list[str] = []
    keeps: list[str] = []
    if kind == "system":
        arrays = list(InverterArray.select().where(InverterArray.system == entity_id))
        banks = list(BatteryArray.select().where(BatteryArray.system == entity_id))
        groups = DeviceGroup.select().where(DeviceGroup.system == entity_id).count()
        removes.append(f"system {name} with its time zone, currency and tariffs")
        if arrays:
            removes.append(f"{_plural(len(arrays), 'inverter array')}: {_names(arrays)}")
        if banks:
            removes.append(f"{_plural(len(banks), 'battery array')}: {_names(banks)}")
        if groups:
            removes.append(_plural(groups, "device group"))
    elif kind == "array":
        removes.append(f"inverter array {name}")
        moved = list(Meter.select().where(Meter.array == entity_id))
        if moved:
            keeps.append(f"{_plural(len(moved), 'meter')} ({_names(moved)}) stay, at system level")
        attached = BatteryArrayAttachment.select().where(BatteryArrayAttachment.inverter_array == entity_id).count()
        if attached:
            keeps.append("battery arrays attached to it stay, no longer attached")
    elif kind == "battery_array":
        removes.append(f"battery array {name}")
    if inverters:
        removes.append(f"{_plural(len(inverters), 'inverter')}: {_names(inverters)}")
    if packs:
        units = Battery.select().where(Battery.pack.in_([p.pack_id for p in packs])).count()
        cells = BatteryCell.select().where(BatteryCell.pack.in_([p.pack_id for p in packs])).count()
        detail = f" with {_plural(units, 'unit')} and {_plural(cells, 'cell')}" if units or cells else ""
        removes.append(f"{_plural(len(packs), 'battery pack')}: {_names(packs)}{detail}")
    if meters:
        removes.append(f"{_plural(len(meters), 'meter')}: {_names(meters)}")
    registered = RegistryDevice.select().where(RegistryDevice.catalog_id.in_([c for _, c in devices])).count() \
        if devices else 0
    if registered:
        removes.append(f"{_plural(registered, 'device registry entry', 'device registry entries')} "
                       "with their health log")
    removed, kept = _device_adapters(devices)
    if removed:
        removes.append(f"{_plural(len(removed), 'adapter')} used only by {'it' if len(devices) == 1 else 'them'}: "
                       f"{', '.join(removed)}")
    for adapter_id, others in kept:
        named = ", ".join(f"{k.replace('_', ' ')} {c}" for k, c in sorted(others))
        keeps.append(f"adapter {adapter_id} stays: {named} uses it")
    since = _oldest(devices)
    if since is not None:
        removes.append("all readings, rollups and energy history of these devices")
    return Preview(kind, entity_id, name, tuple(removes), tuple(keeps), since, tuple(removed))


def drop_orphan_adapters(dead: set[tuple[str, str]], keep: bool = False) -> list[str]:
    """After devices are gone: delete their adapters that no surviving device uses (or only unbind them when
    `keep`); an adapter another device uses is bound to that device instead. Returns the deleted ids."""
    deleted = []
    for adapter in Adapter.select().where(Adapter.device_id.is_null(False)):
        if (adapter.device_type, adapter.device_id) not in dead:
            continue
        others = adapter_users(adapter.adapter_id) - dead
        if others:
            kind, catalog_id = sorted(others)[0]
            catalog_store.bind_adapter(adapter.adapter_id, kind, catalog_id)
        elif keep:
            catalog_store.bind_adapter(adapter.adapter_id, None, None)
        else:
            catalog_store.delete_adapter(adapter.adapter_id)
            deleted.append(adapter.adapter_id)
    return deleted
