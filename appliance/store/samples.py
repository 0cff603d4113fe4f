"""Writing sample rows: one transaction per flush, each row with its place in the sync feed.

Every sample row carries `seq`, its position in the one global order of the sync feed (migration
11). A flush takes a block of seqs from the feed's sequence (`sqlite_sequence` of `sync_feed`, the
same counter the catalog and rollup triggers use), gives them to its rows in (table, device, ts)
order, and logs one `feed_spans` entry per run of a device's rows: (table, device, ts range,
seq range). That entry is all the feed needs to find the rows again; no per-row bookkeeping,
no trigger, no secondary index is written. A row written again (same device and ts) gets a new
seq, so the feed serves it once, in its latest version.

All code that writes sample rows goes through here (the sample writer, the clock re-stamp): it also
queues the rollup work of samples written at or below the rollups' watermark (late samples).

The foreign keys of a batch are checked here, once per key and batch, inside the writing transaction
(no other writer can delete a device meanwhile); the sample writer then inserts with SQLite's per-row
checks off, which were a third of an insert's cost.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Callable, Iterable, Mapping, Sequence

from appliance.store import rollup_queue
from appliance.store.details import CODEC, MIN_COMPRESS
from appliance.store.models import database

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


_PARENTS: dict[str, list[tuple[str, str, str]]] = {}


def parents(conn: sqlite3.Connection, table: str) -> list[tuple[str, str, str]]:
    """(column, parent table, parent column) of a sample table's foreign keys (from the schema, cached)."""
    found = _PARENTS.get(table)
    if found is None:
        found = _PARENTS[table] = [(row[3], row[2], row[4]) for row in
                                   conn.execute(f"PRAGMA foreign_key_list({table})")]
    return found


def orphans(conn: sqlite3.Connection, table: str, names: Sequence[str],
            rows: Sequence[tuple[Any, ...]]) -> set[int]:
    """Indexes of rows whose device, array or system no longer exists: one query per foreign key and batch
    instead of one lookup per row and key (the writer turns the per-row checks off: store/samples)."""
    bad: set[int] = set()
    for column, parent, key in parents(conn, table):
        if column not in names:
            continue
        at = names.index(column)
        values = set(_column(rows, at))
        values.discard(None)
        if not values:
            continue
        known = {r[0] for r in conn.execute(f"SELECT {key} FROM {parent} WHERE {key} IN "  # noqa: S608
                                            f"(SELECT value FROM json_each(?))", (json.dumps(sorted(values), allow_nan=False),))}
        if len(known) < len(values):
            bad.update(i for i, row in enumerate(rows) if at < len(row) and row[at] is not None
                       and row[at] not in known)
    return bad


#: The integers SQLite stores (a larger Python int raises OverflowError at bind time).
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1


def unstorable(table: str, names: Sequence[str], row: Any) -> str | None:
    """Why SQLite cannot store `row` of `table` (a value it cannot bind, no key), or None when it can."""
    if not isinstance(row, (tuple, list)) or not 0 < len(row) <= len(names):
        size = len(row) if isinstance(row, (tuple, list)) else type(row).__name__
        return f"{table}: a row of {size} values, where 1 to {len(names)} fit"
    for name, value in zip(names, row):
        reason = _unbindable(value)
        if reason is not None:
            return f"{table}.{name}: {reason}"
    ts_at, device_at = names.index("ts"), names.index(SAMPLE_TABLES[table])
    if max(ts_at, device_at) >= len(row) or not isinstance(row[ts_at], int) or not isinstance(row[device_at], str):
        return f"{table}: the row has no time and {SAMPLE_TABLES[table]} to be keyed by"
    return None


def _unbindable(value: Any) -> str | None:
    if value is None or isinstance(value, (float, bytes)):
        return None
    if isinstance(value, int):
        return None if INT64_MIN <= value <= INT64_MAX else f"{value} is outside SQLite's 64-bit integers"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{value!r} is not valid text"
        return None
    return f"a {type(value).__name__} is not a value SQLite stores"


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


def _runs(device: Any, stamps: Sequence[int], first_seq: int) -> list[tuple[Any, int, int, int, int]]:
    """(device, ts_lo, ts_hi, seq_from, seq_to) runs of one device's rows, ordered by ts, with consecutive seqs."""
    runs = []
    start = 0
    count = len(stamps)
    while start < count:
        end = min(count, start + RUN_MAX_ROWS)
        if stamps[end - 1] - stamps[start] > RUN_GAP_MS:  # rare: a late sample far from the others
            end = start + 1
            while end < min(count, start + RUN_MAX_ROWS) and stamps[end] - stamps[end - 1] <= RUN_GAP_MS:
                end += 1
        runs.append((device, stamps[start], stamps[end - 1], first_seq + start, first_seq + end - 1))
        start = end
    return runs


def log_changes(conn: sqlite3.Connection, table: str, keyed: Sequence[tuple[Any, int, int]], now_ms: int) -> None:
    """Record (device, ts, seq) rows of `table` (ordered by device and ts, seqs consecutive per device) in the
    change log, one entry per run."""
    tid = TABLE_IDS[table]
    entries: list[tuple[Any, int, int, int, int]] = []
    start, count = 0, len(keyed)
    while start < count:
        device = keyed[start][0]
        end = start + 1
        while end < count and keyed[end][0] == device:
            end += 1
        items = keyed[start:end]
        if items[-1][2] - items[0][2] != len(items) - 1:  # seqs with holes (rows dropped): one entry each
            entries += [(device, ts, ts, seq, seq) for _, ts, seq in items]
        else:
            entries += _runs(device, [ts for _, ts, _ in items], items[0][2])
        start = end
    conn.executemany("INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [(to, first, tid, device, lo, hi, now_ms) for device, lo, hi, first, to in entries])


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
        # Positions follow (device, ts). Same (device, ts) twice is the same sample: the sort is stable, so
        # the later row gets the later position and INSERT OR REPLACE keeps it; the earlier one's position
        # is a hole in its run, which the feed skips like any row written again.
        key_of = itemgetter(device_at, ts_at)
        ordered = sorted(rows, key=key_of)
        keys = list(map(key_of, ordered))
        missing = orphans(conn, table, names, ordered)
        if missing:  # a device deleted meanwhile: its rows go, the rest of the batch stays
            dropped += len(missing)
            keys = [k for i, k in enumerate(keys) if i not in missing]
            ordered = [r for i, r in enumerate(ordered) if i not in missing]
        if "details" in names:
            ordered = _encode_details(conn, table, ordered, names.index("details"), device_at, now_ms)
        seqs = range(seq + 1, seq + 1 + len(ordered))
        seq += len(ordered)
        widths = set(map(len, ordered))
        by_width: dict[int, list[tuple[Any, ...]]] = {}
        if len(widths) == 1:
            by_width[widths.pop()] = [(*row, position) for row, position in zip(ordered, seqs)]
        else:
            for row, position in zip(ordered, seqs):
                by_width.setdefault(len(row), []).append((*row, position))
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
        keyed = [(device, ts, position) for (device, ts), position in zip(keys, seqs)
                 if not failed or position not in failed]
        dropped += len(failed)
        written += len(keyed)
        log_changes(conn, table, keyed, now_ms)
        rollup_queue.queue_late(conn, table, keys)
    if seq >= first:
        _set_seq(conn, seq)
        return BatchResult(written, dropped, first, seq)
    return BatchResult(written, dropped, None, None)


def write_flush(batch: Rows, columns: Mapping[str, Sequence[str]], now_ms: int,
                inside: Callable[[sqlite3.Connection], None]) -> BatchResult:
    """Write one flush of the sample writer in one IMMEDIATE transaction, and `inside(conn)` (the health
    summary) before its commit. SQLite's per-row foreign-key checks are off meanwhile: write_batch checks
    the batch's parents once per key instead."""
    conn = database.connection()
    # The pragma only takes effect outside a transaction, hence before BEGIN and after COMMIT.
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = write_batch(conn, batch, columns, now_ms)
            inside(conn)
            conn.execute("COMMIT")
        except BaseException:
            # A full disk may already have rolled the transaction back: keep its error, not rollback's.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    return result


def _encode_details(conn: sqlite3.Connection, table: str, rows: list[tuple[Any, ...]], at: int, device_at: int,
                    now_ms: int) -> list[tuple[Any, ...]]:
    """The rows with their details JSON text in the stored form (store/details.py)."""
    texts = _column(rows, at)
    # Short JSON ("{}") is kept as it is: deflate would not make it shorter.
    if not any(isinstance(text, str) and len(text) >= MIN_COMPRESS for text in texts):
        return rows
    out = []
    for row, text in zip(rows, texts):
        if isinstance(text, str) and len(text) >= MIN_COMPRESS:
            row = (*row[:at], CODEC.encode(conn, f"{table}:{row[device_at]}", text, now_ms), *row[at + 1:])
        out.append(row)
    return out


def _column(rows: Sequence[tuple[Any, ...]], at: int) -> list[Any]:
    """Each row's value at `at` (None where a shorter row has none); in C when every row has it."""
    if rows and min(map(len, rows)) > at:
        return list(map(itemgetter(at), rows))
    return [row[at] if at < len(row) else None for row in rows]


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
    rollup_queue.queue_late(conn, table, [(d, t) for d, t, _ in keyed])
    _set_seq(conn, seq)
    return len(keyed)
