"""The catalog as the energy service reads it: systems' zones and currencies, devices' parents, capacities.

Simple lookups by key: peewee queries over the catalog models (docs/decisions.md, "SQL has one home").
"""

from __future__ import annotations

from typing import Any, NamedTuple

from peewee import fn

from appliance.store.models import BatteryArrayAttachment, BatteryPack, Inverter, InverterArray, Meter, System

#: Chartable level -> (its key field, its system field) in the catalog models.
LEVEL_TABLES: dict[str, tuple[Any, Any]] = {
    "system": (System.system_id, System.system_id), "array": (InverterArray.array_id, InverterArray.system),
    "inverter": (Inverter.inverter_id, Inverter.system), "meter": (Meter.meter_id, Meter.system),
    "battery_pack": (BatteryPack.pack_id, BatteryPack.system)}

#: A device's parent ids: (array, system) of an inverter, (system, array) of a meter, (battery array, system) of
#: a pack, in the order of the 5-minute tables' parent columns.
Parents = tuple[str | None, str | None]


def _tuples(query: Any) -> list[tuple[Any, ...]]:
    """A query's rows as plain tuples (peewee applies each field's conversion)."""
    return list(query.tuples())


class SystemLocale(NamedTuple):
    """A system's time zone name and currency (either may be unset)."""

    timezone: str | None
    currency: str | None


def system_zones() -> dict[str, str | None]:
    """Every system's IANA time zone name (None when unset), by system id."""
    return {str(s): tz for s, tz in _tuples(System.select(System.system_id, System.timezone))}


def system_ids() -> set[str]:
    """The ids of every system."""
    return {str(s) for (s,) in _tuples(System.select(System.system_id))}


def system_exists(system_id: str) -> bool:
    """Whether a system of this id exists."""
    return bool(System.select().where(System.system_id == system_id).exists())


def system_locale(system_id: str) -> SystemLocale | None:
    """A system's time zone and currency, or None when there is no such system."""
    rows = _tuples(System.select(System.timezone, System.currency).where(System.system_id == system_id).limit(1))
    return SystemLocale(rows[0][0], rows[0][1]) if rows else None


def system_of(level: str, entity_id: str) -> str | None:
    """The system of a system, array, inverter, meter or battery pack (None when there is no such entity)."""
    key, system = LEVEL_TABLES[level]
    rows = _tuples(key.model.select(system).where(key == entity_id).limit(1))
    return str(rows[0][0]) if rows else None


def inverters_of(system_id: str) -> list[str]:
    """The ids of a system's inverters."""
    return [str(i) for (i,) in _tuples(Inverter.select(Inverter.inverter_id).where(Inverter.system == system_id))]


def inverter_parents() -> dict[str, Parents]:
    """Every inverter's (array, system)."""
    return {i: (a, s) for i, a, s in _tuples(Inverter.select(Inverter.inverter_id, Inverter.array, Inverter.system))}


def meter_parents() -> dict[str, Parents]:
    """Every meter's (system, array or None)."""
    return {m: (s, a) for m, s, a in _tuples(Meter.select(Meter.meter_id, Meter.system, Meter.array))}


def pack_parents() -> dict[str, Parents]:
    """Every battery pack's (battery array, system)."""
    return {p: (b, s) for p, b, s in
            _tuples(BatteryPack.select(BatteryPack.pack_id, BatteryPack.battery_array, BatteryPack.system))}


def pack_capacities() -> list[tuple[str, str, float]]:
    """(pack, system, nominal kWh) of every pack with a capacity."""
    return [(p, s, kwh) for p, s, kwh in _tuples(
        BatteryPack.select(BatteryPack.pack_id, BatteryPack.system, BatteryPack.nominal_kwh)
        .where(BatteryPack.nominal_kwh > 0))]


def array_capacities() -> dict[str, float]:
    """Per inverter array, the nominal kWh of the packs of the battery arrays attached to it now."""
    query = (BatteryArrayAttachment
             .select(BatteryArrayAttachment.inverter_array, fn.SUM(BatteryPack.nominal_kwh))
             .join(BatteryPack, on=(BatteryPack.battery_array == BatteryArrayAttachment.battery_array))
             .where(BatteryArrayAttachment.detached_at.is_null() & (BatteryPack.nominal_kwh > 0))
             .group_by(BatteryArrayAttachment.inverter_array))
    return {a: kwh for a, kwh in _tuples(query)}
