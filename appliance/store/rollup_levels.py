"""SQL of the hourly and daily rollups at inverter, array and system level.

Every level is recomputed from the level below (the changed hours of a local day, then the whole
daily row), so the sums hold by construction: an hour = its 5-minute buckets, a day = its hours,
an array = its inverters, a system = its arrays. The daily row's figures that are not plain sums
(peak hours, weighted means, cycles) are computed by energy.levels from the rows read here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Sequence

from appliance.store import rollup_writes as writes
from appliance.store.sqltypes import SqlRow

ENERGIES = ("solar_energy_kwh", "load_energy_kwh", "battery_charge_energy_kwh", "battery_discharge_energy_kwh",
            "grid_import_energy_kwh", "grid_export_energy_kwh")
AVERAGES = ("avg_solar_power_w", "avg_load_power_w", "avg_battery_power_w", "avg_grid_power_w")
# How the 5-minute columns of the devices add up to their array's (and arrays to their system's).
FIVE_MIN_SUMS = (*((c, "SUM") for c in AVERAGES), ("avg_soc_pct", "AVG"), ("min_soc_pct", "MIN"),
                 ("max_soc_pct", "MAX"), ("max_solar_power_w", "SUM"), ("max_load_power_w", "SUM"),
                 ("max_grid_power_w", "SUM"), ("min_grid_power_w", "SUM"), *((c, "SUM") for c in ENERGIES),
                 ("sample_count", "SUM"))
#: The columns of a daily summary row after its key and parents, in the order of energy.levels' values.
DAILY_COLUMNS = ("day_of_year", "year", "pv_energy_kwh", "pv_max_power_w", "pv_avg_power_w", "pv_peak_hour",
                 "load_energy_kwh", "load_max_power_w", "load_avg_power_w", "load_peak_hour", "battery_min_soc_pct",
                 "battery_max_soc_pct", "battery_avg_soc_pct", "battery_cycles", "grid_energy_imported_kwh",
                 "grid_energy_exported_kwh", "grid_max_import_w", "grid_max_export_w", "sample_count")

#: One hour of a day_hours answer: (hour_start, the six ENERGIES, avg solar W, avg load W, sample count).
HourRow = SqlRow
#: A day's peaks from its 5-minute rows: (max solar W, max load W, min SOC, max SOC, mean SOC, max grid W,
#: min grid W), each None when unknown.
DayPeaks = SqlRow


@dataclass(frozen=True)
class Level:
    """The tables and key of one level of the hierarchy."""

    key: str
    five: str
    hourly: str
    daily: str
    parents: tuple[str, ...]  # id columns after the key, in the tables' order


INVERTER = Level("inverter_id", "energy_5m", "hourly_energy", "daily_summary", ("array_id", "system_id"))
ARRAY = Level("array_id", "array_5m", "array_hourly_energy", "array_daily_summary", ("system_id",))
SYSTEM = Level("system_id", "system_5m", "system_hourly_energy", "system_daily_summary", ())


def weighted(column: str) -> str:
    """SQL: the sample-weighted mean of a per-bucket average."""
    return f"SUM({column} * sample_count) / SUM(CASE WHEN {column} IS NOT NULL THEN sample_count END)"


def device_hours(conn: sqlite3.Connection, key: str, day_start: int, lo: int, hi: int, day: str) -> None:
    """Recompute an inverter's hourly rows [lo, hi) of one local day from its 5-minute rows."""
    hour = "?1 + ((bucket_start - ?1) / 3600000) * 3600000"
    columns = ("inverter_id", "array_id", "system_id", "date", "hour_start", *ENERGIES, *AVERAGES, "sample_count")
    writes.put_select(
        conn, "hourly_energy", ("inverter_id", "date", "hour_start"), columns,
        f"SELECT inverter_id, array_id, system_id, ?3, {hour} AS h, {', '.join(f'SUM({c})' for c in ENERGIES)}, "  # noqa: S608
        f"{', '.join(weighted(c) for c in AVERAGES)}, SUM(sample_count) FROM energy_5m "
        f"WHERE inverter_id = ?4 AND bucket_start >= ?5 AND bucket_start < ?2 GROUP BY h",
        (day_start, hi, day, key, lo), parents=("array_id", "system_id"))
    writes.drop_hours_without_source(conn, "hourly_energy", "energy_5m", "inverter_id", key, day, lo, hi)


def sum_five_minutes(conn: sqlite3.Connection, target: Level, child: Level, key: str, lo: int, hi: int) -> None:
    """Recompute an array's (or system's) 5-minute rows [lo, hi) as the sums of its children's."""
    aggregates = ", ".join(f"{fn}({c})" for c, fn in FIVE_MIN_SUMS)
    ids = (target.key, "bucket_start", *target.parents)
    writes.put_select(conn, target.five, (target.key, "bucket_start"), (*ids, *(c for c, _ in FIVE_MIN_SUMS)),
                      f"SELECT {', '.join(ids)}, {aggregates} FROM {child.five} "  # noqa: S608
                      f"WHERE {target.key} = ? AND bucket_start >= ? AND bucket_start < ? GROUP BY bucket_start",
                      (key, lo, hi), parents=target.parents)
    writes.drop_sums_without_children(conn, target.five, child.five, target.key, key, lo, hi)


def sum_hours(conn: sqlite3.Connection, target: Level, child: Level, key: str, day: str, lo: int, hi: int) -> None:
    """Recompute an array's (or system's) hourly rows [lo, hi) of one day as the sums of its children's."""
    columns = (*ENERGIES, *AVERAGES, "sample_count")
    ids = (target.key, *target.parents, "date", "hour_start")
    writes.put_select(conn, target.hourly, (target.key, "date", "hour_start"), (*ids, *columns),
                      f"SELECT {', '.join(ids)}, {', '.join(f'SUM({c})' for c in columns)} FROM {child.hourly} "  # noqa: S608
                      f"WHERE {target.key} = ? AND date = ? AND hour_start >= ? AND hour_start < ? GROUP BY hour_start",
                      (key, day, lo, hi), parents=target.parents)
    writes.drop_hours_without_source(conn, target.hourly, child.hourly, target.key, key, day, lo, hi,
                                     source_is_hourly=True)


def day_hours(conn: sqlite3.Connection, level: Level, key: str, day: str) -> list[HourRow]:
    """The hourly rows of one entity's local day, oldest first (see HourRow)."""
    return conn.execute(
        f"SELECT hour_start, {', '.join(ENERGIES)}, avg_solar_power_w, avg_load_power_w, sample_count "  # noqa: S608
        f"FROM {level.hourly} WHERE {level.key} = ? AND date = ? ORDER BY hour_start", (key, day)).fetchall()


def day_peaks(conn: sqlite3.Connection, level: Level, key: str, day_start: int, day_end: int) -> DayPeaks:
    """One entity's peaks and mean SOC over the 5-minute rows of [day_start, day_end) (see DayPeaks)."""
    return tuple(conn.execute(
        f"SELECT MAX(max_solar_power_w), MAX(max_load_power_w), MIN(min_soc_pct), MAX(max_soc_pct), "  # noqa: S608
        f"{weighted('avg_soc_pct')}, MAX(max_grid_power_w), MIN(min_grid_power_w) FROM {level.five} "
        f"WHERE {level.key} = ? AND bucket_start >= ? AND bucket_start < ?", (key, day_start, day_end)).fetchone())


def put_daily(conn: sqlite3.Connection, level: Level, row: Sequence[object]) -> None:
    """Insert or update one daily summary row: (date, key, *parents, *DAILY_COLUMNS' values)."""
    columns = ("date", level.key, *level.parents, *DAILY_COLUMNS)
    writes.put_rows(conn, level.daily, ("date", level.key), columns, [row], parents=level.parents)


def drop_daily(conn: sqlite3.Connection, level: Level, key: str, day: str) -> None:
    """Delete one entity's daily row of `day` (its hours are gone)."""
    writes.drop_day(conn, level.daily, level.key, key, "date", day)
