"""SQL of the clock re-stamp (acquisition/timekeeping.py): find, move and clear samples marked unsynchronised.

Every row changed here gets a new place in the sync feed (store.samples.refeed), so a headend that
already holds the marked row receives the corrected one.
"""

from __future__ import annotations

import sqlite3

from appliance.store.samples import SAMPLE_TABLES, refeed

FLAG_UNSYNCED = 1
SEGMENT_SHIFT = 1


def adopt(conn: sqlite3.Connection, now_ms: int) -> int:
    """Strip the clock segment from rows an earlier process marked (its offsets are unknown now)."""
    changed = 0
    for table, device in SAMPLE_TABLES.items():
        keys = conn.execute(f"SELECT {device}, ts FROM {table} WHERE flags <> 0 AND flags <> ?",  # noqa: S608
                            (FLAG_UNSYNCED,)).fetchall()
        if keys:
            conn.execute(f"UPDATE {table} SET flags = ? WHERE flags <> 0 AND flags <> ?",  # noqa: S608
                         (FLAG_UNSYNCED, FLAG_UNSYNCED))
            changed += refeed(conn, table, keys, now_ms)
    return changed


def segments(conn: sqlite3.Connection, table: str) -> list[int]:
    """The clock segments that have marked rows in `table`."""
    return [row[0] for row in conn.execute(
        f"SELECT DISTINCT flags >> {SEGMENT_SHIFT} FROM {table} WHERE flags <> 0 AND flags & 1")]  # noqa: S608


_SEGMENT = f"flags <> 0 AND flags & 1 AND flags >> {SEGMENT_SHIFT} = ?"


def clear(conn: sqlite3.Connection, table: str, segment: int, min_ts: int, now_ms: int) -> int:
    """Clear the mark of a segment's rows whose stored time stands (at or after `min_ts`)."""
    device = SAMPLE_TABLES[table]
    keys = conn.execute(f"SELECT {device}, ts FROM {table} WHERE {_SEGMENT} AND ts >= ?",  # noqa: S608
                        (segment, min_ts)).fetchall()
    conn.executemany(f"UPDATE {table} SET flags = 0 WHERE {device} = ? AND ts = ?", keys)  # noqa: S608
    refeed(conn, table, keys, now_ms)
    return len(keys)


def move(conn: sqlite3.Connection, table: str, segment: int, delta_ms: int, now_ms: int) -> tuple[int, int]:
    """Move a segment's rows by `delta_ms` and clear their mark; drop those whose new time is taken.

    Row by row, the far end first, so a row never lands on a row of its own segment not yet moved.
    Returns (moved, dropped)."""
    device = SAMPLE_TABLES[table]
    order = "DESC" if delta_ms > 0 else "ASC"
    keys = conn.execute(f"SELECT {device}, ts FROM {table} WHERE {_SEGMENT} ORDER BY ts {order}",  # noqa: S608
                        (segment,)).fetchall()
    moved = []
    for dev, ts in keys:
        cursor = conn.execute(f"UPDATE OR IGNORE {table} SET ts = ts + ?, flags = 0 "  # noqa: S608
                              f"WHERE {device} = ? AND ts = ?", (delta_ms, dev, ts))
        if cursor.rowcount:
            moved.append((dev, ts + delta_ms))
    dropped = conn.execute(f"DELETE FROM {table} WHERE {_SEGMENT}", (segment,)).rowcount  # noqa: S608
    refeed(conn, table, moved, now_ms)  # also queues the rollups of the new times that are late
    return len(moved), dropped


def forget_dirty_before(conn: sqlite3.Connection, before_ms: int) -> None:
    """Drop queued rollup work before `before_ms` (a re-stamped row queued its old, pre-2024 bucket)."""
    conn.execute("DELETE FROM rollup_dirty WHERE bucket_start < ?", (before_ms,))
