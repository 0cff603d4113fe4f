"""SQL of market data (price and signal series) and of the cost columns of the daily summaries.

A series' points are keyed (type, IFNULL(system_id, ''), ts): '' is the scope of the points for all
systems. The unique index of migration 8 on that key serves every lookup here.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Sequence

from appliance.store.models import database

#: Level -> (hourly table, daily table, key column) of the levels whose days carry costs.
COST_TABLES = {"system": ("system_hourly_energy", "system_daily_summary", "system_id"),
               "array": ("array_hourly_energy", "array_daily_summary", "array_id")}
_LATEST = ("SELECT ts, value FROM market_data WHERE type_id = ? AND IFNULL(system_id, '') = ? AND ts <= ? "
           "ORDER BY ts DESC LIMIT 1")
_WITHIN = ("SELECT ts, value FROM market_data WHERE type_id = ? AND IFNULL(system_id, '') = ? AND ts > ? "
           "AND ts < ? ORDER BY ts")

#: A point to store: (type_id, system_id or None, ts, value, metadata JSON).
PointRow = tuple[int, str | None, int, float, str]
#: A stored point: (id, type_id, system_id or None, ts, value, metadata JSON).
StoredPoint = tuple[int, int, str | None, int, float, str | None]
#: An hour's grid exchange and consumption: (hour start, import kWh, export kWh, load kWh).
HourEnergy = tuple[int, float | None, float | None, float | None]


def _conn(conn: sqlite3.Connection | None) -> sqlite3.Connection:
    return conn if conn is not None else database.connection()


def type_ids(conn: sqlite3.Connection | None = None) -> dict[str, int]:
    """The market data types: name -> type id."""
    return {name: tid for tid, name in _conn(conn).execute("SELECT type_id, name FROM market_data_types")}


def upsert_points(conn: sqlite3.Connection, rows: Sequence[PointRow]) -> None:
    """Insert points, replacing the value and metadata of a point with the same type, scope and ts."""
    conn.executemany(
        "INSERT INTO market_data (type_id, system_id, ts, value, metadata) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (type_id, IFNULL(system_id, ''), ts) DO UPDATE SET value = excluded.value, "
        "metadata = excluded.metadata", rows)


def delete_points_from(type_id: int, system_id: str, start_ms: int) -> None:
    """Delete a system's own points of a type from `start_ms` on (a tariff plan replaces them)."""
    database.connection().execute("DELETE FROM market_data WHERE type_id = ? AND system_id = ? AND ts >= ?",
                                  (type_id, system_id, start_ms))


def next_point_after(conn: sqlite3.Connection, type_id: int, scope: str, ts: int) -> int | None:
    """When the first point of a type and scope ('' = all systems) after `ts` is, or None."""
    row = conn.execute("SELECT MIN(ts) FROM market_data WHERE type_id = ? AND IFNULL(system_id, '') = ? "
                       "AND ts > ?", (type_id, scope, ts)).fetchone()
    return None if row[0] is None else int(row[0])


def steps(conn: sqlite3.Connection, type_id: int, scope: str, lo: int, hi: int) -> list[tuple[int, float]]:
    """(ts, value) of the points of one type and scope ('' = all systems) that decide its value in [lo, hi):
    the last one at or before lo, then those inside."""
    before = conn.execute(_LATEST, (type_id, scope, lo)).fetchone()
    within = conn.execute(_WITHIN, (type_id, scope, lo, hi)).fetchall()
    return ([(before[0], before[1])] if before else []) + [(r[0], r[1]) for r in within]


def select_points(conn: sqlite3.Connection, type_id: int | None, system_id: str | None, start_ms: int | None,
                  end_ms: int | None, limit: int) -> list[StoredPoint]:
    """Stored points in [start_ms, end_ms) oldest first (then by type and id), at most `limit`; of one type when
    given, and a system's own and the all-systems points when `system_id` is given."""
    where: list[str] = []
    params: list[Any] = []
    if type_id is not None:
        where.append("type_id = ?")
        params.append(type_id)
    if system_id is not None:
        where.append("(system_id = ? OR system_id IS NULL)")
        params.append(system_id)
    for value, op in ((start_ms, ">="), (end_ms, "<")):
        if value is not None:
            where.append(f"ts {op} ?")
            params.append(value)
    sql = ("SELECT id, type_id, system_id, ts, value, metadata FROM market_data"  # noqa: S608
           + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY ts, type_id, id LIMIT ?")
    return conn.execute(sql, (*params, limit)).fetchall()


def summary_dates(conn: sqlite3.Connection, system_id: str, first: str, last: str) -> list[str]:
    """The local dates first..last that have a system daily summary, in order."""
    return [r[0] for r in conn.execute("SELECT date FROM system_daily_summary WHERE system_id = ? AND date BETWEEN ? "
                                       "AND ? ORDER BY date", (system_id, first, last)).fetchall()]


def arrays_of_day(conn: sqlite3.Connection, system_id: str, day: str) -> list[str]:
    """The arrays of a system that have a daily summary of `day`."""
    return [r[0] for r in conn.execute("SELECT array_id FROM array_daily_summary WHERE system_id = ? AND date = ?",
                                       (system_id, day))]


def hour_energies(conn: sqlite3.Connection, level: str, key: str, day: str) -> list[HourEnergy]:
    """A system's or array's hours of one local date, oldest first (see HourEnergy)."""
    hourly, _, column = COST_TABLES[level]
    return conn.execute("SELECT hour_start, grid_import_energy_kwh, grid_export_energy_kwh, load_energy_kwh "  # noqa: S608
                        f"FROM {hourly} WHERE {column} = ? AND date = ? ORDER BY hour_start", (key, day)).fetchall()


def set_day_costs(conn: sqlite3.Connection, level: str, key: str, day: str, import_cost: float | None,
                  export_revenue: float | None, saving: float | None, currency: str | None) -> None:
    """Write the cost columns of a system's or array's daily summary of `day`."""
    _, daily, column = COST_TABLES[level]
    conn.execute(f"UPDATE {daily} SET import_cost = ?, export_revenue = ?, saving = ?, currency = ? "  # noqa: S608
                 f"WHERE {column} = ? AND date = ?", (import_cost, export_revenue, saving, currency, key, day))
