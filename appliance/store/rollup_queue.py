"""SQL of the rollups' work queue: which 5-minute buckets hold samples newer than the watermark.

Sample tables are keyed (ts, device) (migration 13): the samples newer than the watermark are a
range at the end of the primary key.
"""

from __future__ import annotations

import sqlite3

from appliance.store.rollup_sources import BUCKET_MS, TRUSTED

#: The sample tables the rollups read.
ROLLED_TABLES = ("energy_samples", "meter_samples", "battery_bank_samples")


def queue_late(conn: sqlite3.Connection, table: str, keys: list[tuple[str, int]]) -> int:
    """Queue the 5-minute buckets of (device, ts) samples written at or below their table's watermark: a
    backfill, a slow device, a corrected value, a re-stamp. Return how many were late."""
    if table not in ROLLED_TABLES or not keys:
        return 0
    mark = watermark(conn, table)
    if mark is None:
        return 0
    late = {(table, device, ts - ts % BUCKET_MS) for device, ts in keys if ts <= mark}
    if late:
        queue(conn, sorted(late))
    return len(late)


def watermark(conn: sqlite3.Connection, table: str) -> int | None:
    """The newest sample of `table` already queued for rollups (None before the first run)."""
    row = conn.execute("SELECT rolled_to_ts FROM rollup_watermarks WHERE source_table = ?", (table,)).fetchone()
    return row[0] if row else None


def new_buckets(conn: sqlite3.Connection, table: str, device_column: str, after: int | None,
                upto: int, bucket_ms: int) -> list[tuple[str, int, int, int, int]]:
    """(device, bucket start, first ts, newest ts, count) of the trusted samples in (after, upto]."""
    low = after if after is not None else -(2 ** 62)
    return conn.execute(
        f"SELECT {device_column}, ts - ts % {bucket_ms} AS b, MIN(ts), MAX(ts), COUNT(*) FROM {table} "  # noqa: S608
        f"WHERE ts > ? AND ts <= ? AND {TRUSTED} GROUP BY {device_column}, b", (low, upto)).fetchall()


def last_trusted_at_or_before(conn: sqlite3.Connection, table: str, device_column: str, device: str,
                              ts: int, not_before: int | None = None) -> int | None:
    """The newest trusted sample of a device at or before `ts` (and not before `not_before`): a walk back
    from `ts` that stops at the first match, not a MAX over every row in range."""
    low = not_before if not_before is not None else -(2 ** 62)
    row = conn.execute(f"SELECT ts FROM {table} WHERE ts <= ? AND ts >= ? AND {device_column} = ? "  # noqa: S608
                       f"AND {TRUSTED} ORDER BY ts DESC LIMIT 1", (ts, low, device)).fetchone()
    return row[0] if row else None


def first_trusted_after(conn: sqlite3.Connection, table: str, device_column: str, device: str, after: int,
                        upto: int) -> int | None:
    """The oldest trusted sample of a device in (after, upto]."""
    row = conn.execute(f"SELECT ts FROM {table} WHERE ts > ? AND ts <= ? AND {device_column} = ? "  # noqa: S608
                       f"AND {TRUSTED} ORDER BY ts LIMIT 1", (after, upto, device)).fetchone()
    return row[0] if row else None


def queue(conn: sqlite3.Connection, items: list[tuple[str, str, int]]) -> None:
    """Queue (source table, device, bucket start) work items."""
    conn.executemany("INSERT OR IGNORE INTO rollup_dirty (source_table, device_id, bucket_start) VALUES (?, ?, ?)",
                     items)


def move_watermark(conn: sqlite3.Connection, table: str, ts: int) -> None:
    """Record that samples of `table` up to `ts` are queued."""
    conn.execute("INSERT INTO rollup_watermarks (source_table, rolled_to_ts) VALUES (?, ?) "
                 "ON CONFLICT (source_table) DO UPDATE SET rolled_to_ts = excluded.rolled_to_ts, "
                 "updated_at = CURRENT_TIMESTAMP", (table, ts))


def queued(conn: sqlite3.Connection) -> int:
    """How many work items wait in the queue."""
    return int(conn.execute("SELECT COUNT(*) FROM rollup_dirty").fetchone()[0])


def queued_items(conn: sqlite3.Connection, name: str, *, ordered: bool = False) -> list[tuple[str, int]]:
    """(device, bucket or hour start) of the work queued under `name` (a sample table or its hour queue);
    by device and start when `ordered`."""
    order = " ORDER BY device_id, bucket_start" if ordered else ""
    return conn.execute("SELECT device_id, bucket_start FROM rollup_dirty WHERE source_table = ?"  # noqa: S608
                        + order, (name,)).fetchall()


def forget_range(conn: sqlite3.Connection, name: str, device: str, lo: int, hi: int) -> None:
    """Take a device's queued items with a start in [lo, hi] off the queue (they are being recomputed)."""
    conn.execute("DELETE FROM rollup_dirty WHERE source_table = ? AND device_id = ? AND bucket_start BETWEEN ? AND ?",
                 (name, device, lo, hi))


def forget_device(conn: sqlite3.Connection, name: str, device: str) -> None:
    """Take every queued item of a device off the queue `name` (the device is gone from the catalog)."""
    conn.execute("DELETE FROM rollup_dirty WHERE source_table = ? AND device_id = ?", (name, device))


def forget(conn: sqlite3.Connection, items: list[tuple[str, str, int]]) -> None:
    """Take (queue name, device, start) work items off the queue (they are done)."""
    conn.executemany("DELETE FROM rollup_dirty WHERE source_table = ? AND device_id = ? AND bucket_start = ?", items)


def queue_everything(conn: sqlite3.Connection, table: str, device_column: str, system_id: str | None) -> None:
    """Queue every 5-minute bucket that holds trusted samples of a sample table (of one system, or all): a rebuild."""
    where = f"WHERE {TRUSTED}" + (" AND system_id = ?" if system_id is not None else "")
    params = (system_id,) if system_id is not None else ()
    conn.execute("INSERT OR IGNORE INTO rollup_dirty (source_table, device_id, bucket_start) "  # noqa: S608
                 f"SELECT DISTINCT '{table}', {device_column}, ts - ts % {BUCKET_MS} FROM {table} {where}", params)


def watermarks(conn: sqlite3.Connection) -> list[int]:
    """The watermark of every sample table that has one (the disk budget deletes only samples below all)."""
    return [int(r[0]) for r in conn.execute("SELECT rolled_to_ts FROM rollup_watermarks")]
