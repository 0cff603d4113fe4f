"""The catalog entities the API and the configuration pages edit: fields, choices, service calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Mapping, Sequence
from zoneinfo import available_timezones

from appliance.catalog import adapters, devices, groups, systems
from appliance.catalog.common import unknown_fields
from appliance.catalog.localization import CURRENCIES

Choices = Callable[[str | None], list[tuple[str, str]]]
#: What the catalog services hand back for an entity: one of their row shapes (TypedDicts).
Row = Mapping[str, object]


@dataclass(frozen=True)
class Field:
    """One editable field: its input kind, whether it is required, fixed after creation, and its choices."""

    name: str
    label: str
    kind: str = "text"  # text, int, float, select, bool
    required: bool = False
    create_only: bool = False
    choices: Choices | None = None
    help: str = ""


@dataclass(frozen=True)
class Entity:
    """A catalog entity with the service functions that read and change it."""

    kind: str
    plural: str
    label: str
    id_field: str
    fields: tuple[Field, ...]
    list: Callable[[str | None], Sequence[Row]]
    get: Callable[[str], Row]
    create: Callable[[dict[str, Any]], Row]
    update: Callable[..., Row]
    delete: Callable[..., None]
    columns: tuple[str, ...] = field(default=())

    def field(self, name: str) -> Field | None:
        """The field of this name."""
        return next((f for f in self.fields if f.name == name), None)

    def editable(self) -> tuple[Field, ...]:
        """Fields that may change after creation."""
        return tuple(f for f in self.fields if not f.create_only)


@lru_cache(maxsize=1)
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones() | {"UTC"}))


def timezone_choices(_: str | None) -> list[tuple[str, str]]:
    """Every IANA time zone."""
    return [(z, z) for z in _timezones()]


def _system_choices(_: str | None) -> list[tuple[str, str]]:
    return [(s["system_id"], s["name"]) for s in systems.list_systems()]


def _array_choices(system_id: str | None) -> list[tuple[str, str]]:
    return [(a["array_id"], a["name"]) for a in systems.list_arrays(system_id)]


def _adapter_choices(category: tuple[str, ...]) -> Choices:
    def choices(_: str | None) -> list[tuple[str, str]]:
        return [(a["adapter_id"], f"{a['adapter_id']} ({a['adapter_type']})") for a in adapters.list_adapters()
                if a["device_category"] in category]
    return choices


def _fixed(values: tuple[str, ...]) -> Choices:
    return lambda _: [(v, v) for v in values]


def _take(data: dict[str, Any], allowed: set[str], *positional: str) -> tuple[list[Any], dict[str, Any]]:
    unknown_fields(data, allowed)
    rest = dict(data)
    return [rest.pop(name, None) for name in positional], rest


def _create_system(data: dict[str, Any]) -> systems.SystemRow:
    (system_id, name), rest = _take(data, {"system_id", "name", "description", "timezone", "currency"}, "system_id",
                                    "name")
    return systems.create_system(system_id, name, **rest)


def _create_array(data: dict[str, Any]) -> systems.InverterArrayRow:
    args, _ = _take(data, {"array_id", "system_id", "name"}, "array_id", "system_id", "name")
    return systems.create_array(*args)


def _create_battery_array(data: dict[str, Any]) -> systems.BatteryArrayView:
    (ba_id, system_id, name), rest = _take(data, {"battery_array_id", "system_id", "name", "inverter_array_id"},
                                           "battery_array_id", "system_id", "name")
    created = systems.create_battery_array(ba_id, system_id, name)
    if rest.get("inverter_array_id"):
        systems.attach(ba_id, rest["inverter_array_id"])
    return systems.get_battery_array(created["battery_array_id"])


def _update_battery_array(battery_array_id: str, **changes: Any) -> systems.BatteryArrayView:
    unknown_fields(changes, {"name", "inverter_array_id"})
    target = changes.pop("inverter_array_id", ...)
    if changes:
        systems.update_battery_array(battery_array_id, **changes)
    else:
        systems.get_battery_array(battery_array_id)
    if target is not ...:
        current = systems.active_attachment(battery_array_id)
        if target:
            systems.attach(battery_array_id, target)
        elif current:
            systems.detach(battery_array_id)
    return systems.get_battery_array(battery_array_id)


def _create_inverter(data: dict[str, Any]) -> devices.InverterRow:
    allowed = {"inverter_id", "array_id", "name", "system_id", "model", "serial_number", "vendor", "phase_type",
               "adapter_id"}
    (inverter_id, array_id, name), rest = _take(data, allowed, "inverter_id", "array_id", "name")
    return devices.create_inverter(inverter_id, array_id, name, **rest)


def _create_pack(data: dict[str, Any]) -> devices.BatteryPackView:
    allowed = {"pack_id", "battery_array_id", "name", "system_id", "batteries", "cells_per_battery"}
    allowed |= devices.PACK_DETAILS
    (pack_id, ba_id, name), rest = _take(data, allowed, "pack_id", "battery_array_id", "name")
    return devices.create_battery_pack(pack_id, ba_id, name, **rest)


def _create_meter(data: dict[str, Any]) -> devices.MeterRow:
    allowed = {"meter_id", "system_id", "name", "array_id", "adapter_id", "model", "type"}
    (meter_id, system_id, name), rest = _take(data, allowed, "meter_id", "system_id", "name")
    return devices.create_meter(meter_id, system_id, name, **rest)


def _create_adapter(data: dict[str, Any]) -> adapters.AdapterRow:
    allowed = {"adapter_id", "adapter_type", "config", "name", "enabled", "priority"}
    (adapter_id, adapter_type, config), rest = _take(data, allowed, "adapter_id", "adapter_type", "config")
    return adapters.create_adapter(adapter_id, adapter_type, config if config is not None else {}, **rest)


def _create_group(data: dict[str, Any]) -> groups.GroupView:
    allowed = {"group_id", "name", "group_type", "system_id", "metadata"}
    (group_id, name, group_type), rest = _take(data, allowed, "group_id", "name", "group_type")
    return groups.create_group(group_id, name, group_type, **rest)


def _adapter_types(_: str | None) -> list[tuple[str, str]]:
    return [(t["adapter_type"], f"{t['adapter_type']} ({t['device_category']})")
            for t in adapters.list_adapter_types()]


ID_HELP = "letters, digits, '_', '.', ':' or '-'; cannot change later"

ENTITIES: tuple[Entity, ...] = (
    Entity("system", "systems", "System", "system_id", (
        Field("system_id", "Id", required=True, create_only=True, help=ID_HELP),
        Field("name", "Name", required=True),
        Field("description", "Description"),
        Field("timezone", "Time zone", "select", required=True, choices=timezone_choices),
        Field("currency", "Currency", "select", choices=_fixed(CURRENCIES),
              help="tariffs, costs and savings are in this currency; empty = the time zone's country's"),
    ), lambda s: systems.list_systems(), systems.get_system, _create_system, systems.update_system,
        systems.delete_system, ("system_id", "name", "timezone", "currency")),
    Entity("array", "arrays", "Inverter array", "array_id", (
        Field("array_id", "Id", required=True, create_only=True, help=ID_HELP),
        Field("system_id", "System", "select", required=True, create_only=True, choices=_system_choices),
        Field("name", "Name", required=True),
    ), systems.list_arrays, systems.get_array, _create_array, systems.update_array, systems.delete_array,
        ("array_id", "name", "system_id")),
    Entity("inverter", "inverters", "Inverter", "inverter_id", (
        Field("inverter_id", "Id", required=True, create_only=True, help=ID_HELP),
        Field("array_id", "Inverter array", "select", required=True, choices=_array_choices),
        Field("name", "Name", required=True),
        Field("model", "Model"), Field("serial_number", "Serial number"), Field("vendor", "Vendor"),
        Field("phase_type", "Phases", "select", choices=_fixed(devices.PHASE_TYPES)),
        Field("adapter_id", "Adapter", "select", choices=_adapter_choices(("inverter",))),
    ), lambda s: devices.list_inverters(s), devices.get_inverter, _create_inverter, devices.update_inverter,
        devices.delete_inverter, ("inverter_id", "name", "array_id", "model", "adapter_id")),
    Entity("battery_array", "battery-arrays", "Battery array", "battery_array_id", (
        Field("battery_array_id", "Id", required=True, create_only=True, help=ID_HELP),
        Field("system_id", "System", "select", required=True, create_only=True, choices=_system_choices),
        Field("name", "Name", required=True),
        Field("inverter_array_id", "Attached to inverter array", "select", choices=_array_choices,
              help="empty = not attached; changing it keeps the old attachment as history"),
    ), systems.list_battery_arrays, systems.get_battery_array, _create_battery_array, _update_battery_array,
        systems.delete_battery_array, ("battery_array_id", "name", "system_id", "attached_inverter_array_id")),
    Entity("battery_pack", "battery-packs", "Battery pack", "pack_id", (
        Field("pack_id", "Id", required=True, create_only=True, help=ID_HELP),
        Field("battery_array_id", "Battery array", "select", required=True,
              choices=lambda s: [(b["battery_array_id"], b["name"]) for b in systems.list_battery_arrays(s)]),
        Field("name", "Name", required=True),
        Field("batteries", "Battery units", "int"), Field("cells_per_battery", "Cells per unit", "int"),
        Field("chemistry", "Chemistry", "select", choices=_fixed(devices.CHEMISTRIES)),
        Field("nominal_kwh", "Nominal kWh", "float"), Field("max_charge_kw", "Max charge kW", "float"),
        Field("max_discharge_kw", "Max discharge kW", "float"),
        Field("soc_reserve_pct", "SOC reserve %", "float"),
    ), lambda s: devices.list_battery_packs(s), devices.get_battery_pack, _create_pack, devices.update_battery_pack,
        devices.delete_battery_pack, ("pack_id", "name", "battery_array_id", "batteries", "chemistry")),
    Entity("meter", "meters", "Meter", "meter_id", (
        Field("meter_id", "Id", required=True, create_only=True, help=ID_HELP),
        Field("system_id", "System", "select", required=True, create_only=True, choices=_system_choices),
        Field("name", "Name", required=True),
        Field("type", "Type", "select", choices=_fixed(devices.METER_TYPES)),
        Field("array_id", "Inverter array", "select", choices=_array_choices, help="empty = system level"),
        Field("model", "Model"),
        Field("adapter_id", "Adapter", "select", choices=_adapter_choices(("meter",))),
    ), devices.list_meters, devices.get_meter, _create_meter, devices.update_meter, devices.delete_meter,
        ("meter_id", "name", "type", "array_id", "adapter_id")),
    Entity("adapter", "adapters", "Adapter", "adapter_id", (
        Field("adapter_id", "Id", required=True, create_only=True, help=ID_HELP),
        Field("adapter_type", "Adapter type", "select", required=True, create_only=True, choices=_adapter_types),
        Field("name", "Name"),
        Field("enabled", "Enabled", "bool"),
    ), lambda s: adapters.list_adapters(), adapters.get_adapter, _create_adapter, adapters.update_adapter,
        adapters.delete_adapter, ("adapter_id", "adapter_type", "name", "device_type", "device_id", "enabled")),
    Entity("device_group", "device-groups", "Device group", "group_id", (
        Field("group_id", "Id", required=True, create_only=True, help=ID_HELP),
        Field("name", "Name", required=True),
        Field("group_type", "Type", "select", required=True, choices=_fixed(groups.GROUP_TYPES)),
        Field("system_id", "System", "select", create_only=True, choices=_system_choices,
              help="empty = a group across every system"),
    ), groups.list_groups, groups.get_group, _create_group, groups.update_group, groups.delete_group,
        ("group_id", "name", "group_type", "system_id")),
)

BY_PLURAL = {e.plural: e for e in ENTITIES}
