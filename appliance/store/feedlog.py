"""SQL of the sync feed: its two logs, and the rows they point at.

`sync_feed` holds one entry per changed catalog, registry, dispatch or health row (written by the
triggers of migration 6), and the entries of sample and rollup rows written before migration 13.
`feed_spans` holds one entry per run of rows that carry their own position (`seq`): a device's sample
rows of one flush (store/samples.py), a rollup row (the triggers of migration 13). Both logs share
one sequence, so a position (a cursor) orders every change.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Sequence

from appliance.store import cells as cell_store
from appliance.store.details import CODEC
from appliance.store.samples import SAMPLE_TABLES, current_seq

#: Tables whose rows carry `seq`: their device column and the column a span's [lo, hi] bounds (with the
#: device, a prefix of the primary key, so a span is found by a seek).
SPAN_TABLES: dict[str, tuple[str, str]] = {
    **{table: (device, "ts") for table, device in SAMPLE_TABLES.items()},
    **{table: (device, "bucket_start") for table, device in (
        ("energy_5m", "inverter_id"), ("array_5m", "array_id"), ("system_5m", "system_id"),
        ("meter_5m", "meter_id"), ("meter_30m", "meter_id"), ("battery_bank_5m", "pack_id"))},
    **{table: (device, "date") for table, device in (
        ("hourly_energy", "inverter_id"), ("array_hourly_energy", "array_id"),
        ("system_hourly_energy", "system_id"), ("meter_hourly_energy", "meter_id"),
        ("battery_bank_hourly", "pack_id"), ("daily_summary", "inverter_id"),
        ("array_daily_summary", "array_id"), ("system_daily_summary", "system_id"),
        ("battery_bank_daily", "pack_id"))},
    "meter_daily": ("meter_id", "day"),
}



@dataclass(frozen=True)
class Single:
    """A sync_feed entry: one row's key, at position `seq`."""

    seq: int
    tid: int
    key: tuple[Any, ...]
    op: str
    ts: int


@dataclass(frozen=True)
class Span:
    """A feed_spans entry: `device`'s rows of table `tid` ordered in [lo, hi], seq in [seq_from, seq]."""

    seq: int
    seq_from: int
    tid: int
    device: str
    lo: Any
    hi: Any
    ts: int


def singles_after(conn: sqlite3.Connection, after: int, limit: int) -> list[Single]:
    """sync_feed entries after position `after`, in order."""
    return [Single(seq, tid, tuple(json.loads(key)), op, ts) for seq, tid, key, op, ts in conn.execute(
        "SELECT seq, tid, key, op, ts FROM sync_feed WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))]


def spans_after(conn: sqlite3.Connection, after: int, limit: int) -> list[Span]:
    """feed_spans entries that end after position `after`, in order."""
    return [Span(*row) for row in conn.execute(
        "SELECT seq, seq_from, tid, device_id, lo, hi, ts FROM feed_spans WHERE seq > ? "
        "ORDER BY seq LIMIT ?", (after, limit))]


def decoded(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A row as the feed and the API show it: details and cells decoded, `seq` left out."""
    row.pop("seq", None)
    if "details" in row and table in SAMPLE_TABLES:
        row["details"] = json.dumps(CODEC.decode(conn, row["details"]), sort_keys=True, allow_nan=False)
    if table == "battery_cell_readings" and row.get("cells") is not None:
        row["cells"] = {"version": cell_store.VERSION, "units": [u.to_json() for u in cell_store.decode(row["cells"])]}
    return row


def span_rows(conn: sqlite3.Connection, table: str, span: Span, after: int, limit: int) -> list[dict[str, Any]]:
    """The rows of a span still at their place (seq in the span and after `after`), by seq."""
    device, order = SPAN_TABLES[table]
    # The primary key finds the run; the seq test drops rows written again since.
    cursor = conn.execute(f"SELECT * FROM {table} WHERE {device} = ? AND {order} BETWEEN ? AND ? "  # noqa: S608
                          "AND seq BETWEEN ? AND ? ORDER BY seq LIMIT ?",
                          (span.device, span.lo, span.hi, max(span.seq_from, after + 1), span.seq, limit))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def fetch(conn: sqlite3.Connection, table: str, key_columns: Sequence[str],
          keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The current rows of `table` with these primary keys, by key: one primary-key search per key (a
    row-value IN over many keys made SQLite scan a WITHOUT ROWID table)."""
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    # Table and column names come from sync_tables (written by the migrations), never from a client.
    sql = f"SELECT * FROM {table} WHERE {' AND '.join(f'{c} = ?' for c in key_columns)}"  # noqa: S608
    names: list[str] | None = None
    for key in dict.fromkeys(keys):
        cursor = conn.execute(sql, key)
        names = names or [d[0] for d in cursor.description]
        values = cursor.fetchone()
        if values is not None:
            found[key] = dict(zip(names, values))
    return found


def backlog(conn: sqlite3.Connection, after: int) -> int:
    """Changes after position `after`: entries of sync_feed plus the positions of sample runs."""
    singles = conn.execute("SELECT COUNT(*) FROM sync_feed WHERE seq > ?", (after,)).fetchone()[0]
    spans = conn.execute("SELECT COALESCE(SUM(seq - MAX(seq_from, ?) + 1), 0) FROM feed_spans WHERE seq > ?",
                         (after + 1, after)).fetchone()[0]
    return int(singles) + int(spans)


def oldest_after(conn: sqlite3.Connection, after: int) -> int | None:
    """When the oldest change after position `after` was made (epoch ms); None when nothing waits."""
    single = conn.execute("SELECT ts FROM sync_feed WHERE seq > ? ORDER BY seq LIMIT 1", (after,)).fetchone()
    span = conn.execute("SELECT ts FROM feed_spans WHERE seq > ? ORDER BY seq LIMIT 1", (after,)).fetchone()
    found = [int(row[0]) for row in (single, span) if row is not None]
    return min(found) if found else None


def first_kept(conn: sqlite3.Connection, cutoff_ms: int) -> int | None:
    """The first position whose change is at or after `cutoff_ms` (None: every change is older).

    Change times grow with the position, so this walks the oldest entries only (an index on the time
    would cost every flush a page)."""
    single = conn.execute("SELECT seq FROM sync_feed WHERE ts >= ? ORDER BY seq LIMIT 1", (cutoff_ms,)).fetchone()
    span = conn.execute("SELECT seq_from FROM feed_spans WHERE ts >= ? ORDER BY seq LIMIT 1",
                        (cutoff_ms,)).fetchone()
    found = [row[0] for row in (single, span) if row is not None]
    return min(found) if found else None


def durable_upserts(conn: sqlite3.Connection, upto: int, tids: Sequence[int]) -> list[tuple[int, str]]:
    """(tid, key) of upsert entries of these tables at or before position `upto`, in order."""
    marks = ", ".join("?" * len(tids))
    return conn.execute(f"SELECT tid, key FROM sync_feed WHERE seq <= ? AND op = 'upsert' "  # noqa: S608
                        f"AND tid IN ({marks}) ORDER BY seq", (upto, *tids)).fetchall()


def drop_upto(conn: sqlite3.Connection, upto: int) -> int:
    """Delete every entry at or before position `upto`; return how many."""
    singles = conn.execute("DELETE FROM sync_feed WHERE seq <= ?", (upto,)).rowcount
    spans = conn.execute("DELETE FROM feed_spans WHERE seq <= ?", (upto,)).rowcount
    return int(singles) + int(spans)


def carried_tables(conn: sqlite3.Connection) -> list[tuple[int, str, str, tuple[str, ...]]]:
    """(number, name, kind, key columns) of every table the feed carries."""
    return [(int(tid), str(name), str(kind), tuple(json.loads(keys)))
            for tid, name, kind, keys in conn.execute("SELECT tid, name, kind, key_columns FROM sync_tables")]


def head(conn: sqlite3.Connection) -> int:
    """The highest position ever given out (0 when the feed is empty)."""
    return current_seq(conn)


def reannounce(conn: sqlite3.Connection, entries: list[tuple[int, str]], now_ms: int) -> None:
    """Append upsert entries for rows that outlive the feed window."""
    conn.executemany("INSERT INTO sync_feed (tid, key, op, ts) VALUES (?, ?, 'upsert', ?)",
                     [(tid, key, now_ms) for tid, key in entries])


def set_horizon(conn: sqlite3.Connection, horizon: int) -> None:
    """Store the position up to which changes were pruned."""
    conn.execute("UPDATE sync_state SET value = ?, updated_at = CURRENT_TIMESTAMP WHERE key = 'feed.horizon'",
                 (json.dumps(horizon, allow_nan=False),))
