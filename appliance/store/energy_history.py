"""SQL of the energy read side: chart series from the rollup tables, a system's days and hours.

Every query walks a rollup table's primary key (entity, time): one index range per chart.
"""

from __future__ import annotations

import sqlite3
from typing import TypedDict, cast

from appliance.store.models import database
from appliance.store.sqltypes import SqlRow

#: Level -> (5-minute, hourly, daily table, key column) of the levels with energy rollups.
ENERGY_TABLES = {"system": ("system_5m", "system_hourly_energy", "system_daily_summary", "system_id"),
                 "array": ("array_5m", "array_hourly_energy", "array_daily_summary", "array_id"),
                 "inverter": ("energy_5m", "hourly_energy", "daily_summary", "inverter_id")}
_FIVE = ("avg_solar_power_w, avg_load_power_w, avg_grid_power_w, avg_battery_power_w, {soc}, solar_energy_kwh, "
         "load_energy_kwh, grid_import_energy_kwh, grid_export_energy_kwh, battery_charge_energy_kwh, "
         "battery_discharge_energy_kwh")
_METER = {"5m": ("meter_5m", "bucket_start", "bucket_start >= ?3"),
          "1h": ("meter_hourly_energy", "hour_start", "date BETWEEN ?4 AND ?5 AND hour_start >= ?3")}
_PACK = {"5m": ("battery_bank_5m", "bucket_start", "bucket_start >= ?3"),
         "1h": ("battery_bank_hourly", "hour_start", "date BETWEEN ?4 AND ?5 AND hour_start >= ?3")}
_HOURLY = ("SELECT hour_start, solar_energy_kwh, load_energy_kwh, grid_import_energy_kwh, grid_export_energy_kwh, "
           "battery_charge_energy_kwh, battery_discharge_energy_kwh FROM system_hourly_energy "
           "WHERE system_id = ? AND date = ? ORDER BY hour_start")
_SYSTEM_DAYS = (
    "SELECT d.date, d.pv_energy_kwh, d.pv_peak_hour, d.load_energy_kwh, d.grid_energy_imported_kwh, "
    "d.grid_energy_exported_kwh, h.c, h.d, d.battery_cycles, d.battery_min_soc_pct, d.battery_max_soc_pct, "
    "d.import_cost, d.export_revenue, d.saving, d.currency "
    "FROM system_daily_summary d LEFT JOIN (SELECT date, SUM(battery_charge_energy_kwh) AS c, "
    "SUM(battery_discharge_energy_kwh) AS d FROM system_hourly_energy WHERE system_id = ?1 "
    "AND date BETWEEN ?2 AND ?3 GROUP BY date) h ON h.date = d.date "
    "WHERE d.system_id = ?1 AND d.date BETWEEN ?2 AND ?3")

#: A chart point of an energy level: (start ms, solar W, load W, grid W, battery W, SOC %, solar kWh, load kWh,
#: import kWh, export kWh, charge kWh, discharge kWh).
EnergyPoint = SqlRow
#: A day of an energy level: (local date, mean solar W, mean load W, mean SOC %, solar kWh, load kWh,
#: import kWh, export kWh, charge kWh, discharge kWh).
EnergyDay = SqlRow
#: An hour of a system: (hour start ms, solar, load, import, export, charge, discharge kWh).
SystemHour = SqlRow


class SystemDay(TypedDict):
    """A system's daily summary of one local date, with the day's battery energies from its hours."""

    date: str
    pv_energy_kwh: float | None
    pv_peak_hour: int | None
    load_energy_kwh: float | None
    import_kwh: float | None
    export_kwh: float | None
    charge_kwh: float | None
    discharge_kwh: float | None
    cycles: float | None
    min_soc_pct: float | None
    max_soc_pct: float | None
    import_cost: float | None
    export_revenue: float | None
    saving: float | None
    currency: str | None


_SYSTEM_DAY_KEYS = tuple(SystemDay.__annotations__)


def _conn() -> sqlite3.Connection:
    conn: sqlite3.Connection = database.connection()
    return conn


def energy_five_minutes(level: str, entity: str, start: int, end: int) -> list[EnergyPoint]:
    """An entity's 5-minute rows in [start, end), oldest first."""
    five, _, _, key = ENERGY_TABLES[level]
    return _conn().execute(
        f"SELECT bucket_start, {_FIVE.format(soc='avg_soc_pct')} FROM {five} "  # noqa: S608
        f"WHERE {key} = ? AND bucket_start >= ? AND bucket_start < ? ORDER BY bucket_start",
        (entity, start, end)).fetchall()


def energy_hours(level: str, entity: str, first: str, last: str, start: int, end: int) -> list[EnergyPoint]:
    """An entity's hours in [start, end) (local dates first..last), oldest first; SOC from the 5-minute rows."""
    five, hourly, _, key = ENERGY_TABLES[level]
    # Hourly tables have no SOC: take it from the 5-minute rows of the hour while they are kept.
    soc = (f"(SELECT SUM(f.avg_soc_pct * f.sample_count) / SUM(CASE WHEN f.avg_soc_pct IS NOT NULL "  # noqa: S608
           f"THEN f.sample_count END) FROM {five} f WHERE f.{key} = h.{key} AND f.bucket_start >= h.hour_start "
           f"AND f.bucket_start < h.hour_start + 3600000)")
    return _conn().execute(
        f"SELECT hour_start, {_FIVE.format(soc=soc)} FROM {hourly} h "  # noqa: S608
        f"WHERE {key} = ? AND date BETWEEN ? AND ? AND hour_start >= ? AND hour_start < ? "
        f"ORDER BY hour_start", (entity, first, last, start, end)).fetchall()


def energy_days(level: str, entity: str, first: str, last: str) -> list[EnergyDay]:
    """An entity's daily rows of local dates first..last, oldest first, with the battery energies of its hours."""
    _, hourly, daily, key = ENERGY_TABLES[level]
    return _conn().execute(
        f"SELECT d.date, d.pv_avg_power_w, d.load_avg_power_w, d.battery_avg_soc_pct, "  # noqa: S608
        f"d.pv_energy_kwh, "
        f"d.load_energy_kwh, d.grid_energy_imported_kwh, d.grid_energy_exported_kwh, h.c, h.d FROM {daily} d "
        f"LEFT JOIN (SELECT date, SUM(battery_charge_energy_kwh) AS c, SUM(battery_discharge_energy_kwh) AS d "
        f"FROM {hourly} WHERE {key} = ?1 AND date BETWEEN ?2 AND ?3 GROUP BY date) h ON h.date = d.date "
        f"WHERE d.{key} = ?1 AND d.date BETWEEN ?2 AND ?3 ORDER BY d.date", (entity, first, last)).fetchall()


def meter_points(resolution: str, meter: str, start: int, end: int, first: str,
                 last: str) -> list[tuple[int, float | None, float | None, float | None]]:
    """A meter's 5-minute ("5m") or hourly ("1h") rows in [start, end): (start ms, mean W, import, export kWh)."""
    table, ts, where = _METER[resolution]
    return _conn().execute(
        f"SELECT {ts}, avg_power_w, import_energy_kwh, export_energy_kwh FROM {table} "  # noqa: S608
        f"WHERE meter_id = ?1 AND {where} AND {ts} < ?2 ORDER BY {ts}",
        (meter, end, start, *((first, last) if resolution == "1h" else ()))).fetchall()


def meter_days(meter: str, first: str, last: str) -> list[tuple[str, float | None, float | None]]:
    """A meter's days first..last: (local date, import kWh, export kWh), oldest first."""
    return _conn().execute(
        "SELECT day, import_energy_kwh, export_energy_kwh FROM meter_daily WHERE meter_id = ? "
        "AND day BETWEEN ? AND ? ORDER BY day", (meter, first, last)).fetchall()


def pack_points(resolution: str, pack: str, start: int, end: int, first: str,
                last: str) -> list[tuple[int, float | None, float | None, float | None, float | None]]:
    """A pack's 5-minute ("5m") or hourly ("1h") rows in [start, end): (start ms, mean W, mean SOC %, charge,
    discharge kWh)."""
    table, ts, where = _PACK[resolution]
    return _conn().execute(
        f"SELECT {ts}, avg_power_w, avg_soc_pct, charge_energy_kwh, "  # noqa: S608
        f"discharge_energy_kwh FROM {table} WHERE pack_id = ?1 AND {where} AND {ts} < ?2 ORDER BY {ts}",
        (pack, end, start, *((first, last) if resolution == "1h" else ()))).fetchall()


def pack_days(pack: str, first: str, last: str) -> list[tuple[str, float | None, float | None, float | None]]:
    """A pack's days first..last: (local date, mean SOC %, charge kWh, discharge kWh), oldest first."""
    return _conn().execute(
        "SELECT date, avg_soc_pct, charge_energy_kwh, discharge_energy_kwh FROM battery_bank_daily "
        "WHERE pack_id = ? AND date BETWEEN ? AND ? ORDER BY date", (pack, first, last)).fetchall()


def system_days(system_id: str, first: str, last: str) -> list[SystemDay]:
    """A system's daily summaries of local dates first..last (only days that have one)."""
    rows = _conn().execute(_SYSTEM_DAYS, (system_id, first, last))
    return [cast(SystemDay, dict(zip(_SYSTEM_DAY_KEYS, r))) for r in rows]


def system_hours(system_id: str, day: str) -> list[SystemHour]:
    """A system's hourly rows of one local date, oldest first."""
    return _conn().execute(_HOURLY, (system_id, day)).fetchall()
