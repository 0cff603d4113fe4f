"""Writing sample rows: one transaction per flush, each row with its place in the sync feed.

Every sample row carries `seq`, its position in the one global order of the sync feed (migration
11). A flush takes a block of seqs from the feed's sequence (`sqlite_sequence` of `sync_feed`, the
same counter the catalog and rollup triggers use), gives them to its rows in (table, device, ts)
order, and logs one `feed_spans` entry per run of a device's rows: (table, device, ts range,
seq range). That entry is all the feed needs to find the rows again; no per-row bookkeeping,
no trigger, no secondary index is written. A row written again (same device and ts) gets a new
seq, so the feed serves it once, in its latest version.

All code that writes sample rows goes through here (the sample writer, the clock re-stamp).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from appliance.store.details import CODEC

#: Sample tables, their device column and their number in sync_tables.
SAMPLE_TABLES: dict[str, str] = {
    "energy_samples": "inverter_id", "array_samples": "array_id", "battery_bank_samples": "pack_id",
    "battery_unit_samples": "battery_id", "battery_cell_readings": "pack_id", "meter_samples": "meter_id"}
TABLE_IDS: dict[str, int] = {"energy_samples": 1, "array_samples": 2, "battery_bank_samples": 3,
                             "battery_unit_samples": 4, "battery_cell_readings": 5, "meter_samples": 6}
#: A device's rows further apart than this in one flush get separate change entries, so a late
#: sample does not make the feed walk everything in between.
RUN_GAP_MS = 3_600_000
#: At most this many rows per change entry: a feed page that resumes inside an entry re-reads it.
RUN_MAX_ROWS = 1000

Rows = Mapping[str, Sequence[tuple[Any, ...]]]


@dataclass(frozen=True)
class BatchResult:
    """What one flush wrote."""

    written: int
    dropped: int
    first_seq: int | None
    last_seq: int | None


def current_seq(conn: sqlite3.Connection) -> int:
    """The highest position given out in the sync feed's order (0 for a fresh feed)."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed'").fetchone()
    return int(row[0]) if row else 0


def _set_seq(conn: sqlite3.Connection, seq: int) -> None:
    if conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'sync_feed'", (seq,)).rowcount == 0:
        conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('sync_feed', ?)", (seq,))


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    # Same (device, ts) twice means the same sample: the later write wins instead of failing the batch.
    return (f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}, seq) "  # noqa: S608 - names from constants
            f"VALUES ({', '.join('?' * (len(columns) + 1))})")


def _runs(keyed: list[tuple[Any, int, int]]) -> list[tuple[Any, int, int, int, int]]:
    """(device, ts_lo, ts_hi, seq_from, seq_to) of consecutive rows, already ordered by device and ts."""
    runs: list[list[Any]] = []
    for device, ts, seq in keyed:
        if (runs and runs[-1][0] == device and ts - runs[-1][2] <= RUN_GAP_MS and seq == runs[-1][4] + 1
                and seq - runs[-1][3] < RUN_MAX_ROWS):
            runs[-1][2], runs[-1][4] = ts, seq
        else:
            runs.append([device, ts, ts, seq, seq])
    return [tuple(r) for r in runs]  # type: ignore[misc]


def log_changes(conn: sqlite3.Connection, table: str, keyed: list[tuple[Any, int, int]], now_ms: int) -> None:
    """Record (device, ts, seq) rows of `table` in the change log, one entry per run."""
    tid = TABLE_IDS[table]
    conn.executemany("INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [(to, first, tid, device, lo, hi, now_ms) for device, lo, hi, first, to in _runs(keyed)])


def write_batch(conn: sqlite3.Connection, batch: Rows, columns: Mapping[str, Sequence[str]], now_ms: int) -> BatchResult:
    """Write sample rows (tuples in `columns[table]` order, possibly without the last columns) and log them
    for the feed; the caller holds the write transaction. A row whose device was deleted meanwhile
    fails its foreign key and is dropped alone."""
    seq = current_seq(conn)
    first = seq + 1
    written = dropped = 0
    for table, rows in batch.items():
        if not rows:
            continue
        names = columns[table]
        device_at, ts_at = names.index(SAMPLE_TABLES[table]), names.index("ts")
        details_at = names.index("details") if "details" in names else None
        latest: dict[tuple[Any, int], tuple[Any, ...]] = {}
        for row in rows:
            latest[(row[device_at], row[ts_at])] = row
        ordered = sorted(latest.items(), key=lambda kv: (kv[0][0], kv[0][1]))
        by_width: dict[int, list[tuple[Any, ...]]] = {}
        keyed = []
        for (device, ts), row in ordered:
            seq += 1
            if details_at is not None and details_at < len(row) and isinstance(row[details_at], str):
                packed = CODEC.encode(conn, f"{table}:{device}", row[details_at], now_ms)
                row = (*row[:details_at], packed, *row[details_at + 1:])
            by_width.setdefault(len(row), []).append((*row, seq))
            keyed.append((device, ts, seq))
        failed: set[int] = set()
        for width, items in by_width.items():
            sql = _insert_sql(table, names[:width])
            try:
                conn.executemany(sql, items)
            except sqlite3.IntegrityError:
                for item in items:
                    try:
                        conn.execute(sql, item)
                    except sqlite3.IntegrityError:
                        failed.add(item[-1])
        dropped += len(failed)
        written += len(keyed) - len(failed)
        log_changes(conn, table, [k for k in keyed if k[2] not in failed], now_ms)
    if seq >= first:
        _set_seq(conn, seq)
        return BatchResult(written, dropped, first, seq)
    return BatchResult(written, dropped, None, None)


def refeed(conn: sqlite3.Connection, table: str, keys: Iterable[tuple[Any, int]], now_ms: int) -> int:
    """Give rows changed in place (a clock re-stamp) new feed positions, so a headend gets them again."""
    device = SAMPLE_TABLES[table]
    seq = current_seq(conn)
    keyed = []
    for dev, ts in sorted(set(keys)):
        seq += 1
        keyed.append((dev, ts, seq))
    if not keyed:
        return 0
    conn.executemany(f"UPDATE {table} SET seq = ? WHERE {device} = ? AND ts = ?",  # noqa: S608
                     [(s, d, t) for d, t, s in keyed])
    log_changes(conn, table, keyed, now_ms)
    _set_seq(conn, seq)
    return len(keyed)
