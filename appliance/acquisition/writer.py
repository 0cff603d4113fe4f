"""The one sample writer: readings queue up and are written in one transaction per flush."""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any

from peewee import DatabaseError as PeeweeDatabaseError

from appliance.acquisition.rows import COLUMNS, ENERGY_COLUMNS, Rows, array_row
from appliance.store.models import database

log = logging.getLogger(__name__)

_STOP = object()
_ENERGY = {name: i for i, name in enumerate(ENERGY_COLUMNS)}


@dataclass
class WriterStats:
    """What the writer has done, for /health and the benchmarks."""

    rows_written: int = 0
    flushes: int = 0
    pending: int = 0
    dropped: int = 0
    last_flush_ms: int | None = None
    last_error: str | None = None


def _sql(table: str, width: int | None = None) -> str:
    # Rows may stop short of the newest columns (flags): those keep their defaults.
    columns = COLUMNS[table][:width]
    # Same (device, ts) twice means the same sample: the later write wins instead of failing the batch.
    return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


class SampleWriter:
    """Owns every sample write; flushes at most every `flush_interval_s` or every `max_rows` rows."""

    def __init__(self, *, flush_interval_s: float = 1.0, max_rows: int = 2000, max_pending: int = 200_000) -> None:
        self.flush_interval_s = flush_interval_s
        self.max_rows = max_rows
        self.max_pending = max_pending
        self.stats = WriterStats()
        self._queue: queue.Queue[Any] = queue.Queue()
        self._pending: dict[str, list[tuple[Any, ...]]] = {}
        self._pending_count = 0
        self._latest_inverter: dict[str, tuple[Any, ...]] = {}
        self._thread: threading.Thread | None = None
        self._flushed = threading.Condition()
        self._failing = False

    def start(self) -> "SampleWriter":
        """Start the writer thread."""
        self._thread = threading.Thread(target=self._run, name="sample-writer", daemon=True)
        self._thread.start()
        return self

    def submit(self, rows: Rows) -> None:
        """Queue rows for the next flush (any thread)."""
        self._queue.put(rows)

    def stop(self, timeout: float = 10.0) -> None:
        """Flush what is queued and stop the thread (SIGTERM path)."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._thread = None

    def flush_now(self, timeout: float = 10.0) -> None:
        """Block until everything submitted so far is written (tests, backfill)."""
        marker = threading.Event()
        self._queue.put(marker)
        marker.wait(timeout)

    @property
    def alive(self) -> bool:
        """Whether the writer thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        deadline = time.monotonic() + self.flush_interval_s
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                item = None
            if item is _STOP:
                self._flush()
                database.close()
                return
            if isinstance(item, threading.Event):
                self._flush()
                item.set()
                continue
            if item is not None:
                self._add(item)
            if self._pending_count >= self.max_rows or time.monotonic() >= deadline:
                self._flush()
                deadline = time.monotonic() + self.flush_interval_s

    def _add(self, rows: Rows) -> None:
        for table, items in rows.items():
            if items:
                self._pending.setdefault(table, []).extend(items)
                self._pending_count += len(items)
        self._limit()

    def _limit(self) -> None:
        """While writes fail (a full disk), keep at most max_pending rows: the oldest go first."""
        over = self._pending_count - self.max_pending
        for table in list(self._pending):
            if over <= 0:
                break
            cut = min(over, len(self._pending[table]))
            del self._pending[table][:cut]
            self._pending_count -= cut
            self.stats.dropped += cut
            over -= cut
        self.stats.pending = self._pending_count

    def _derive_arrays(self) -> None:
        """array_samples from the newest row of each inverter, one per array touched in this batch."""
        touched: dict[tuple[str, str], int] = {}
        for row in self._pending.get("energy_samples", []):
            inverter, array, system, ts = row[_ENERGY["inverter_id"]], row[_ENERGY["array_id"]], \
                row[_ENERGY["system_id"]], row[_ENERGY["ts"]]
            if ts >= self._latest_inverter.get(inverter, (0,))[0]:
                self._latest_inverter[inverter] = row
            touched[(array, system)] = max(ts, touched.get((array, system), 0))
        for (array, system), ts in touched.items():
            members = [r for r in self._latest_inverter.values() if r[_ENERGY["array_id"]] == array]
            self._pending.setdefault("array_samples", []).append(array_row(array, system, ts, members))
            self._pending_count += 1

    def _flush(self) -> None:
        if not self._pending_count:
            return
        self._derive_arrays()
        batch, count = self._pending, self._pending_count
        try:
            self._write(batch)
        except (sqlite3.OperationalError, PeeweeDatabaseError) as exc:
            # Keep the rows (bounded) and retry at the next flush; log the first failure only.
            self.stats.last_error = str(exc)
            if not self._failing:
                log.error("cannot write samples (%s); keeping up to %d rows in memory and retrying",
                          exc, self.max_pending)
            self._failing = True
            self._pending.pop("array_samples", None)
            self._pending_count = sum(len(v) for v in self._pending.values())
            self._limit()
            return
        if self._failing:
            log.warning("sample writes work again")
            self._failing = False
        self._pending, self._pending_count = {}, 0
        self.stats.rows_written += count
        self.stats.flushes += 1
        self.stats.pending = 0
        self.stats.last_error = None
        self.stats.last_flush_ms = int(time.time() * 1000)
        with self._flushed:
            self._flushed.notify_all()

    def _write(self, batch: dict[str, list[tuple[Any, ...]]]) -> None:
        conn = database.connection()
        with database.atomic():
            for table, rows in batch.items():
                if not rows:
                    continue
                widths = {len(row) for row in rows}
                for width in sorted(widths):
                    same = rows if len(widths) == 1 else [row for row in rows if len(row) == width]
                    try:
                        conn.executemany(_sql(table, width), same)
                    except sqlite3.IntegrityError:
                        self._write_one_by_one(conn, table, same)

    def _write_one_by_one(self, conn: sqlite3.Connection, table: str, rows: list[tuple[Any, ...]]) -> None:
        """A row whose device was deleted meanwhile fails its foreign key: drop that row, keep the rest."""
        bad = 0
        for row in rows:
            try:
                conn.execute(_sql(table, len(row)), row)
            except sqlite3.IntegrityError:
                bad += 1
        if bad:
            self.stats.dropped += bad
            log.warning("dropped %d %s rows whose device no longer exists", bad, table)

