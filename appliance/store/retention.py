"""SQL of retention: delete rows older than a cutoff, a batch per transaction, so the writer never waits long.

Raw samples go device-independent by their primary key (ts, device) through store.space; here are the
rollup tables, grouped by the retention setting that keeps them.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

from appliance.store import space
from appliance.store.transactions import guarded


class Aggregate(NamedTuple):
    """A rollup table and how its old rows are found: key columns, time column, and whether that holds epoch
    ms ("ms") or a local date ("date")."""

    table: str
    key: str
    column: str
    kind: str


#: Retention setting -> the aggregate tables it keeps. WITHOUT ROWID tables are addressed by their primary
#: key, rowid tables by rowid.
AGGREGATES: dict[str, tuple[Aggregate, ...]] = {
    "five_minute_days": tuple(Aggregate(t, k, "bucket_start", "ms") for t, k in (
        ("energy_5m", "inverter_id, bucket_start"), ("array_5m", "array_id, bucket_start"),
        ("system_5m", "system_id, bucket_start"), ("meter_5m", "meter_id, bucket_start"),
        ("battery_bank_5m", "pack_id, bucket_start"))),
    "thirty_minute_days": (Aggregate("meter_30m", "meter_id, bucket_start", "bucket_start", "ms"),),
    "hourly_days": tuple(Aggregate(t, "rowid", "hour_start", "ms") for t in (
        "hourly_energy", "array_hourly_energy", "system_hourly_energy", "meter_hourly_energy",
        "battery_bank_hourly")),
    "daily_days": (Aggregate("daily_summary", "rowid", "date", "date"),
                   Aggregate("array_daily_summary", "rowid", "date", "date"),
                   Aggregate("system_daily_summary", "rowid", "date", "date"),
                   Aggregate("meter_daily", "rowid", "day", "date"),
                   Aggregate("battery_bank_daily", "rowid", "date", "date")),
}


def delete_aggregates_before(conn: sqlite3.Connection, aggregate: Aggregate, cutoff: int | str, batch: int) -> int:
    """Delete an aggregate table's rows older than `cutoff` (ms or a date), `batch` rows per transaction;
    return how many. A failure is a StoreError naming the table."""
    deleted = 0
    # Row values address WITHOUT ROWID tables by their primary key; rowid tables by rowid.
    target = f"({aggregate.key})" if "," in aggregate.key else aggregate.key
    sql = (f"DELETE FROM {aggregate.table} WHERE {target} IN "  # noqa: S608 - names from the constants above
           f"(SELECT {aggregate.key} FROM {aggregate.table} WHERE {aggregate.column} < ? LIMIT ?)")
    while True:
        with guarded(conn, f"retention of {aggregate.table}"):
            count = conn.execute(sql, (cutoff, batch)).rowcount
        deleted += count
        if count < batch:
            return deleted


def delete_raw_before(conn: sqlite3.Connection, table: str, cutoff_ms: int, batch: int) -> int:
    """Delete about `batch` of a sample table's rows older than `cutoff_ms` in one transaction; return how many."""
    with guarded(conn, f"retention of {table}"):
        return space.delete_raw_before(conn, table, cutoff_ms, batch)


def drop_dirty_before(conn: sqlite3.Connection, cutoff_ms: int) -> int:
    """Forget, in one transaction, the queued rollup work whose samples are older than `cutoff_ms` (gone)."""
    with guarded(conn, "retention of rollup_dirty"):
        return space.drop_dirty_before(conn, cutoff_ms)
