"""The catalog as the energy service reads it: systems' zones and currencies, devices' parents, capacities."""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

from appliance.store.models import database

#: Chartable level -> (catalog table, its key column); every such row names its system.
LEVEL_TABLES = {"system": ("systems", "system_id"), "array": ("arrays", "array_id"),
                "inverter": ("inverters", "inverter_id"), "meter": ("meters", "meter_id"),
                "battery_pack": ("battery_packs", "pack_id")}

#: A device's parent ids: (array, system) of an inverter, (system, array) of a meter, (battery array, system) of
#: a pack, in the order of the 5-minute tables' parent columns.
Parents = tuple[str | None, str | None]


def _conn(conn: sqlite3.Connection | None) -> sqlite3.Connection:
    return conn if conn is not None else database.connection()


class SystemLocale(NamedTuple):
    """A system's time zone name and currency (either may be unset)."""

    timezone: str | None
    currency: str | None


def system_zones(conn: sqlite3.Connection | None = None) -> dict[str, str | None]:
    """Every system's IANA time zone name (None when unset), by system id."""
    return {str(s): tz for s, tz in _conn(conn).execute("SELECT system_id, timezone FROM systems")}


def system_ids(conn: sqlite3.Connection | None = None) -> set[str]:
    """The ids of every system."""
    return {str(r[0]) for r in _conn(conn).execute("SELECT system_id FROM systems")}


def system_exists(system_id: str, conn: sqlite3.Connection | None = None) -> bool:
    """Whether a system of this id exists."""
    return _conn(conn).execute("SELECT 1 FROM systems WHERE system_id = ?", (system_id,)).fetchone() is not None


def system_locale(system_id: str, conn: sqlite3.Connection | None = None) -> SystemLocale | None:
    """A system's time zone and currency, or None when there is no such system."""
    row = _conn(conn).execute("SELECT timezone, currency FROM systems WHERE system_id = ?", (system_id,)).fetchone()
    return SystemLocale(row[0], row[1]) if row is not None else None


def system_of(level: str, entity_id: str) -> str | None:
    """The system of a system, array, inverter, meter or battery pack (None when there is no such entity)."""
    table, key = LEVEL_TABLES[level]
    row = database.connection().execute(f"SELECT system_id FROM {table} WHERE {key} = ?",  # noqa: S608
                                        (entity_id,)).fetchone()
    return str(row[0]) if row is not None else None


def inverters_of(system_id: str, conn: sqlite3.Connection | None = None) -> list[str]:
    """The ids of a system's inverters."""
    return [str(r[0]) for r in _conn(conn).execute("SELECT inverter_id FROM inverters WHERE system_id = ?",
                                                   (system_id,)).fetchall()]


def inverter_parents(conn: sqlite3.Connection) -> dict[str, Parents]:
    """Every inverter's (array, system)."""
    return {i: (a, s) for i, a, s in conn.execute("SELECT inverter_id, array_id, system_id FROM inverters")}


def meter_parents(conn: sqlite3.Connection) -> dict[str, Parents]:
    """Every meter's (system, array or None)."""
    return {m: (s, a) for m, s, a in conn.execute("SELECT meter_id, system_id, array_id FROM meters")}


def pack_parents(conn: sqlite3.Connection) -> dict[str, Parents]:
    """Every battery pack's (battery array, system)."""
    return {p: (b, s) for p, b, s in conn.execute("SELECT pack_id, battery_array_id, system_id FROM battery_packs")}


def pack_capacities(conn: sqlite3.Connection) -> list[tuple[str, str, float]]:
    """(pack, system, nominal kWh) of every pack with a capacity."""
    return conn.execute("SELECT pack_id, system_id, nominal_kwh FROM battery_packs WHERE nominal_kwh > 0").fetchall()


def array_capacities(conn: sqlite3.Connection) -> dict[str, float]:
    """Per inverter array, the nominal kWh of the packs of the battery arrays attached to it now."""
    return {a: kwh for a, kwh in conn.execute(
        "SELECT a.inverter_array_id, SUM(p.nominal_kwh) FROM battery_array_attachments a "
        "JOIN battery_packs p ON p.battery_array_id = a.battery_array_id "
        "WHERE a.detached_at IS NULL AND p.nominal_kwh > 0 GROUP BY a.inverter_array_id")}
