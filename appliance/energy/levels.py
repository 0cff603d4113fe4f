"""Hourly and daily rollups of one local day at inverter, array and system level.

Every level is recomputed from the level below (store.rollup_levels), so the sums hold by construction;
here are the daily row's figures that are not plain sums: peak hours, weighted means, cycles.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from zoneinfo import ZoneInfo

from appliance.energy import market
from appliance.energy.localtime import local_hour
from appliance.store import rollup_levels as sql
from appliance.store.rollup_levels import ARRAY, INVERTER, SYSTEM, Level
from appliance.store.sqltypes import SqlRow


def _total(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _peak_hour(hours: list[SqlRow], column: int, tz: ZoneInfo) -> int | None:
    best = max((h for h in hours if h[column] is not None and h[column] > 0), key=lambda h: h[column], default=None)
    return None if best is None else local_hour(best[0], tz)


def _mean(hours: list[SqlRow], column: int) -> float | None:
    weight = sum(h[-1] or 0 for h in hours if h[column] is not None)
    return sum(h[column] * (h[-1] or 0) for h in hours if h[column] is not None) / weight if weight else None


def daily(conn: sqlite3.Connection, level: Level, key: str, parents: tuple[str, ...], day_start: int, day_end: int,
          day: date, tz: ZoneInfo, nominal_kwh: float | None) -> None:
    """Recompute one daily summary row of a level from its hourly rows (energies) and 5-minute rows (peaks)."""
    iso = day.isoformat()
    hours = sql.day_hours(conn, level, key, iso)
    if not hours:
        sql.drop_daily(conn, level, key, iso)
        return
    pv, load, charge, discharge, imported, exported = (_total([h[i] for h in hours]) for i in range(1, 7))
    max_pv, max_load, min_soc, max_soc, avg_soc, max_grid, min_grid = sql.day_peaks(conn, level, key, day_start,
                                                                                     day_end)
    cycles = discharge / nominal_kwh if discharge is not None and nominal_kwh else None
    values = (iso, key, *parents, day.timetuple().tm_yday, day.year,
              pv, max_pv, _mean(hours, 7), _peak_hour(hours, 1, tz),
              load, max_load, _mean(hours, 8), _peak_hour(hours, 2, tz),
              min_soc, max_soc, avg_soc, cycles, imported, exported,
              None if max_grid is None else max(max_grid, 0.0), None if min_grid is None else max(-min_grid, 0.0),
              sum(h[-1] or 0 for h in hours))
    sql.put_daily(conn, level, values)


def roll_energy_day(conn: sqlite3.Connection, inverters: dict[str, str], system_id: str, hours: tuple[int, int],
                    day_bounds: tuple[int, int], day: date, tz: ZoneInfo, arrays: set[str],
                    array_kwh: dict[str, float], system_kwh: float | None) -> None:
    """Recompute the hours [lo, hi) of a day of some inverters (id -> array), then of every array of the system,
    then of the system; and the daily rows of all of them."""
    iso = day.isoformat()
    (lo, hi), (day_start, day_end) = hours, day_bounds
    for inverter, array_id in sorted(inverters.items()):
        sql.device_hours(conn, inverter, day_start, lo, hi, iso)
        daily(conn, INVERTER, inverter, (array_id, system_id), day_start, day_end, day, tz, array_kwh.get(array_id))
    # Every array of the system, not only the changed ones: an array that lost an inverter is redone too.
    for array_id in sorted(arrays | set(inverters.values())):
        sql.sum_five_minutes(conn, ARRAY, INVERTER, array_id, lo, hi)
        sql.sum_hours(conn, ARRAY, INVERTER, array_id, iso, lo, hi)
        daily(conn, ARRAY, array_id, (system_id,), day_start, day_end, day, tz, array_kwh.get(array_id))
    sql.sum_five_minutes(conn, SYSTEM, ARRAY, system_id, lo, hi)
    sql.sum_hours(conn, SYSTEM, ARRAY, system_id, iso, lo, hi)
    daily(conn, SYSTEM, system_id, (), day_start, day_end, day, tz, system_kwh)
    market.fill_day(conn, system_id, iso)  # the day's import cost, export revenue and saving at its tariffs
