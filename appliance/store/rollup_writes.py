"""SQL of the rollups' writes: rows updated in place, and only when their values change.

A rollup run recomputes whole hours and days although one 5-minute bucket changed. Deleting and
inserting every recomputed row moved hourly and daily rows to new rowids and rewrote their five
indexes; each row also re-entered the sync feed. Here a recomputed row is an upsert whose UPDATE
runs only when a value differs, so an unchanged row costs no page, no index entry and no feed entry,
and rows that have no source any more are deleted.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Sequence


def _upsert(table: str, keys: Sequence[str], values: Sequence[str]) -> str:
    """ON CONFLICT ... DO UPDATE of `values`, only when one of them differs."""
    old = ", ".join(f"{table}.{c}" for c in values)
    new = ", ".join(f"excluded.{c}" for c in values)
    sets = ", ".join(f"{c} = excluded.{c}" for c in values)
    return f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets} WHERE ({old}) IS NOT ({new})"


def _split(keys: Sequence[str], parents: Sequence[str], columns: Sequence[str]) -> list[str]:
    """The columns an upsert sets: not the key, and not the parents. SQLite rewrites the index entries of
    every column an UPDATE sets, changed or not, and the parent ids are what the indexes hold."""
    return [c for c in columns if c not in keys and c not in parents]


def put_rows(conn: sqlite3.Connection, table: str, keys: Sequence[str], columns: Sequence[str],
             rows: Sequence[Sequence[Any]], parents: Sequence[str] = ()) -> None:
    """Insert or update rows (tuples in `columns` order); `parents` (the array or system a row belongs to)
    are set only where they differ, as when a device moved."""
    if not rows:
        return
    conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
                     + _upsert(table, keys, _split(keys, parents, columns)), rows)
    if parents:
        at = [columns.index(c) for c in (*parents, *keys)]
        conn.executemany(f"UPDATE {table} SET {', '.join(f'{p} = ?' for p in parents)} "  # noqa: S608
                         f"WHERE {' AND '.join(f'{k} = ?' for k in keys)} "
                         f"AND ({', '.join(parents)}) IS NOT ({', '.join('?' * len(parents))})",
                         [(*(row[i] for i in at), *(row[columns.index(p)] for p in parents)) for row in rows])


def put_select(conn: sqlite3.Connection, table: str, keys: Sequence[str], columns: Sequence[str], select: str,
               params: Sequence[Any] | dict[str, Any], parents: Sequence[str] = ()) -> None:
    """Insert or update the rows of `select` (its columns in `columns` order; it must have a WHERE);
    `parents` are set only where they differ."""
    conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) {select}"
                 + _upsert(table, keys, _split(keys, parents, columns)), params)
    if parents:
        conn.execute(f"WITH x({', '.join(columns)}) AS ({select}) "  # noqa: S608
                     f"UPDATE {table} SET {', '.join(f'{p} = x.{p}' for p in parents)} FROM x "
                     f"WHERE {' AND '.join(f'{table}.{k} = x.{k}' for k in keys)} "
                     f"AND ({', '.join(f'{table}.{p}' for p in parents)}) IS NOT "
                     f"({', '.join(f'x.{p}' for p in parents)})", params)


def drop_five_except(conn: sqlite3.Connection, table: str, key: str, device: str, lo: int, hi: int,
                     kept: Sequence[int]) -> None:
    """Delete a device's 5-minute rows in [lo, hi] whose bucket is not in `kept` (no samples any more)."""
    conn.execute(f"DELETE FROM {table} WHERE {key} = ? AND bucket_start BETWEEN ? AND ? "  # noqa: S608
                 "AND bucket_start NOT IN (SELECT value FROM json_each(?))", (device, lo, hi, _json(kept)))


def drop_sums_without_children(conn: sqlite3.Connection, table: str, child: str, key: str, device: str,
                               lo: int, hi: int) -> None:
    """Delete a level's 5-minute rows in [lo, hi) that no child row adds up to any more."""
    conn.execute(f"DELETE FROM {table} WHERE {key} = ?1 AND bucket_start >= ?2 AND bucket_start < ?3 "  # noqa: S608
                 f"AND NOT EXISTS (SELECT 1 FROM {child} c WHERE c.{key} = ?1 "
                 f"AND c.bucket_start = {table}.bucket_start)", (device, lo, hi))


def drop_hours_without_source(conn: sqlite3.Connection, table: str, source: str, key: str, device: str, day: str,
                              lo: int, hi: int, *, source_is_hourly: bool = False) -> None:
    """Delete a device's hourly rows of `day` in [lo, hi) that no longer have rows below them."""
    inside = ("s.date = ?2 AND s.hour_start = {t}.hour_start" if source_is_hourly else
              "s.bucket_start >= {t}.hour_start AND s.bucket_start < {t}.hour_start + 3600000").format(t=table)
    conn.execute(f"DELETE FROM {table} WHERE {key} = ?1 AND date = ?2 AND hour_start >= ?3 "  # noqa: S608
                 f"AND hour_start < ?4 AND NOT EXISTS (SELECT 1 FROM {source} s WHERE s.{key} = ?1 AND {inside})",
                 (device, day, lo, hi))


def drop_periods_without_source(conn: sqlite3.Connection, table: str, source: str, key: str, device: str,
                                lo: int, hi: int, width_ms: int) -> None:
    """Delete a device's rows of `width_ms` periods in [lo, hi) that have no 5-minute row any more."""
    conn.execute(f"DELETE FROM {table} WHERE {key} = ?1 AND bucket_start >= ?2 AND bucket_start < ?3 "  # noqa: S608
                 f"AND NOT EXISTS (SELECT 1 FROM {source} s WHERE s.{key} = ?1 AND s.bucket_start >= "
                 f"{table}.bucket_start AND s.bucket_start < {table}.bucket_start + {int(width_ms)})",
                 (device, lo, hi))


def drop_day(conn: sqlite3.Connection, table: str, key: str, device: str, date_column: str, day: str) -> None:
    """Delete a device's daily row of `day` (its hours are gone)."""
    conn.execute(f"DELETE FROM {table} WHERE {key} = ? AND {date_column} = ?", (device, day))  # noqa: S608


def drop_day_without_hours(conn: sqlite3.Connection, table: str, hourly: str, key: str, device: str,
                           date_column: str, day: str) -> None:
    """Delete a device's daily row of `day` when it has no hourly row any more."""
    conn.execute(f"DELETE FROM {table} WHERE {key} = ?1 AND {date_column} = ?2 "  # noqa: S608
                 f"AND NOT EXISTS (SELECT 1 FROM {hourly} WHERE {key} = ?1 AND date = ?2)", (device, day))


def _json(values: Sequence[int]) -> str:
    return "[" + ",".join(str(int(v)) for v in values) + "]"
