"""The one sample writer: readings queue up in memory and are written in one transaction per flush.

Group commits are what keep an SD card alive: every commit rewrites at least one page per table
and device it touches, whatever it adds, so the disk writes per day fall with the flush interval.
With a RAM spool (acquisition/spool.py) a crash loses nothing and the interval is long; without one a
kill -9 loses at most one interval. A power cut loses at most one interval either way; SIGTERM flushes.
While someone looks at the UI, `freshen` keeps what it shows at most a few minutes old.
The default intervals and the measurements behind them are in docs/performance.md.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Callable, Protocol

from peewee import DatabaseError as PeeweeDatabaseError

from appliance.acquisition.rows import COLUMNS, ENERGY_COLUMNS, Rows, array_row
from appliance.acquisition.spool import Spool
from appliance.clock import now_ms
from appliance.settings import check_flush_interval
from appliance.store import samples as sample_store
from appliance.store import settings as settings_store
from appliance.store.details import CODEC
from appliance.store.models import database

log = logging.getLogger(__name__)

#: Seconds between flushes without a RAM spool, where the interval is what a crash loses: the measured
#: trade-off of docs/performance.md ("Write path").
DEFAULT_FLUSH_INTERVAL_S = 300.0
#: Seconds between flushes with a RAM spool, where a crash loses nothing and only a power cut loses an interval.
SPOOLED_FLUSH_INTERVAL_S = 1800.0
#: While the UI is in use, what it shows from the database is at most this old (`freshen`).
FRESH_S = 300.0
#: The app setting that says up to which spool generation the database holds the rows (same transaction).
SPOOL_KEY = "writer.spool_committed"

_STOP = object()
_ENERGY = {name: i for i, name in enumerate(ENERGY_COLUMNS)}
_TS, _INVERTER, _ARRAY, _SYSTEM = (_ENERGY[c] for c in ("ts", "inverter_id", "array_id", "system_id"))


class Participant(Protocol):
    """Work written inside a flush's transaction (the health summary), and whether some is due."""

    def due(self, now_ms: int) -> bool:
        """Whether there is something to write even when no sample is pending."""

    def write(self, conn: sqlite3.Connection, now_ms: int) -> None:
        """Write it, inside the flush's transaction."""


#: Work done after a flush committed, in the writer thread (rollups, checkpoints).
AfterFlush = Callable[[], Any]


@dataclass
class WriterStats:
    """What the writer has done, for /health and the benchmarks."""

    rows_written: int = 0
    flushes: int = 0
    pending: int = 0
    dropped: int = 0
    last_flush_ms: int | None = None
    last_error: str | None = None


class SampleWriter:
    """Owns every sample write; flushes at most every `flush_interval_s` or every `max_rows` rows."""

    def __init__(self, *, flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S, max_rows: int = 20_000,
                 max_pending: int = 200_000, wall_ms: Callable[[], int] | None = None,
                 spool: Spool | None = None) -> None:
        self.flush_interval_s = check_flush_interval(flush_interval_s)
        self.spool = spool
        #: Off during a backfill on a virtual clock: its rows are made again by running it again.
        self.spooling = True
        self.max_rows = max_rows
        self.max_pending = max_pending
        self.stats = WriterStats()
        # Change times in the feed are real time, even while a backfill holds the process's clock.
        self._wall_ms = wall_ms or now_ms
        self._queue: queue.Queue[Any] = queue.Queue()
        self._pending: dict[str, list[tuple[Any, ...]]] = {}
        self._pending_count = 0
        self._latest: dict[str, tuple[Any, ...]] = {}  # inverter -> its newest row written
        self._thread: threading.Thread | None = None
        self._failing = False
        self._participants: list[Participant] = []
        self._after: list[AfterFlush] = []
        self._flushed_at = time.monotonic()
        self._watched_at = float("-inf")
        self._freshen_lock = threading.Lock()
        self._committing: int | None = None  # the spool generation the flush in progress commits

    def add_participant(self, work: Participant) -> None:
        """Let `work` write inside every flush's transaction (before the commit)."""
        self._participants.append(work)

    def after_flush(self, work: AfterFlush) -> None:
        """Run `work()` in the writer thread after every committed flush."""
        self._after.append(work)

    def start(self) -> "SampleWriter":
        """Take back what the RAM spool holds from before a crash, then start the writer thread."""
        if self.spool is not None:
            committed = settings_store.get_json(SPOOL_KEY, 0)
            records = self.spool.recover(committed if isinstance(committed, int) else 0)
            for rows in records:
                self._add(rows)
            if records:
                log.warning("recovered %d rows from the RAM spool (%s): the process stopped without a flush",
                            self._pending_count, self.spool.folder)
        self._thread = threading.Thread(target=self._run, name="sample-writer", daemon=True)
        self._thread.start()
        return self

    def submit(self, rows: Rows) -> None:
        """Queue rows for the next flush (any thread)."""
        self._queue.put(rows)

    def stop(self, timeout: float = 30.0) -> None:
        """Flush what is queued and stop the thread (SIGTERM path)."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._thread = None

    def flush_now(self, timeout: float = 60.0, *, after: bool = True) -> None:
        """Block until everything submitted so far is written (tests, backfill, shutdown)."""
        marker = _Marker(after)
        self._queue.put(marker)
        marker.done.wait(timeout)

    def freshen(self, max_age_s: float = FRESH_S, timeout: float = 2.0) -> bool:
        """Flush now if rows wait and the last flush is older than `max_age_s` (someone looks at the UI);
        waits up to `timeout` for it. True when it flushed."""
        self._watched_at = time.monotonic()
        if not self._pending_count or self._watched_at - self._flushed_at < max_age_s or not self.alive:
            return False
        with self._freshen_lock:  # concurrent requests: one flush, the others find it done
            if time.monotonic() - self._flushed_at < max_age_s:
                return False
            self.flush_now(timeout)
            return True

    def watched_within(self, seconds: float) -> bool:
        """Whether someone looked at the UI (`freshen`) in the last `seconds`."""
        return time.monotonic() - self._watched_at < seconds

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
                self._flush(after=False)  # shutting down: rollups catch up at the next start
                if self.spool is not None:
                    self.spool.close()
                database.close()
                return
            if isinstance(item, _Marker):
                self._flush(after=item.after, force=True)
                item.done.set()
                deadline = max(deadline, self._flushed_at + self.flush_interval_s)  # a full interval from it
                continue
            if item is not None:
                if self.spool is not None and self.spooling:
                    self.spool.append(item)
                self._add(item)
            if self._pending_count >= self.max_rows or time.monotonic() >= deadline:
                self._flush(after=True)
                deadline = time.monotonic() + self.flush_interval_s

    def _add(self, rows: Rows) -> None:
        for table, items in rows.items():
            if items:
                pending = self._pending.get(table)
                if pending is None:
                    self._pending[table] = list(items)
                else:
                    pending.extend(items)
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

    def _arrays(self, rows: list[tuple[Any, ...]]) -> tuple[list[tuple[Any, ...]], dict[str, tuple[Any, ...]]]:
        """array_samples rows for a batch of inverter rows: one per array and poll instant, the array's sum at
        that instant from each of its inverters' latest reading at or before it (array rows follow the polls,
        not the flushes). Returns them and each inverter's newest row after the batch."""
        latest = dict(self._latest)
        out: list[tuple[Any, ...]] = []
        ordered = sorted(rows, key=itemgetter(_TS))
        by_array: dict[str, dict[str, tuple[Any, ...]]] = {}
        for row in latest.values():
            if ordered and row[_TS] <= ordered[0][_TS]:  # a late batch does not sum newer readings in
                by_array.setdefault(row[_ARRAY], {})[row[_INVERTER]] = row
        at = 0
        while at < len(ordered):
            ts = ordered[at][_TS]
            touched: dict[str, str] = {}
            while at < len(ordered) and ordered[at][_TS] == ts:
                row = ordered[at]
                members = by_array.get(row[_ARRAY])
                if members is None:
                    members = by_array[row[_ARRAY]] = {}
                members[row[_INVERTER]] = row
                if row[_TS] >= latest.get(row[_INVERTER], row)[_TS]:
                    latest[row[_INVERTER]] = row
                touched[row[_ARRAY]] = row[_SYSTEM]
                at += 1
            for array, system in touched.items():
                out.append(array_row(array, system, ts, list(by_array[array].values())))
        return out, latest

    def _flush(self, *, after: bool, force: bool = False) -> None:
        if not self._pending_count and not any(p.due(self._wall_ms()) for p in self._participants):
            if after and force:
                self._run_after()
            return
        generation = self._committing = self.spool.rotate() if self.spool is not None else None
        try:
            arrays, latest = self._arrays(self._pending.get("energy_samples", []))
            batch = {**self._pending, "array_samples": self._pending.get("array_samples", []) + arrays}
            result = self._write(batch)
        except Exception as exc:  # noqa: BLE001 - the writer thread outlives any batch
            CODEC.forget()  # a dictionary made in the rolled-back transaction does not exist
            if self._drop_unstorable():
                # One bad value must not hold back every reading after it: the rest is written now. Their
                # spool generation is marked written with them, so the dropped rows do not come back either.
                self._flush(after=after, force=force)
                return
            # Keep the rows (bounded) and retry at the next flush; log the first failure only.
            self.stats.last_error = str(exc)
            if not self._failing:
                log.error("cannot write samples (%s); keeping up to %d rows in memory and retrying",
                          exc, self.max_pending, exc_info=not isinstance(exc, (sqlite3.Error, PeeweeDatabaseError)))
            self._failing = True
            self._limit()
            return
        if self._failing:
            log.warning("sample writes work again")
            self._failing = False
        if self.spool is not None and generation is not None:
            self.spool.drop_through(generation)
        self._flushed_at = time.monotonic()
        self._latest = latest
        self._pending, self._pending_count = {}, 0
        self.stats.rows_written += result.written
        self.stats.dropped += result.dropped
        if result.dropped:
            log.warning("dropped %d sample rows whose device no longer exists", result.dropped)
        self.stats.flushes += 1
        self.stats.pending = 0
        self.stats.last_error = None
        self.stats.last_flush_ms = self._wall_ms()
        if after:
            self._run_after()

    def _drop_unstorable(self) -> int:
        """Drop the pending rows SQLite cannot store, logging why; how many went."""
        gone = 0
        for table, rows in self._pending.items():
            names = COLUMNS.get(table)
            reasons = [sample_store.unstorable(table, names, row) if names else f"{table}: not a sample table"
                       for row in rows]
            bad = sum(reason is not None for reason in reasons)
            if bad:
                first = next(reason for reason in reasons if reason is not None)
                log.error("dropped %d sample rows SQLite cannot store, the first because %s", bad, first)
                self._pending[table] = [row for row, reason in zip(rows, reasons) if reason is None]
                gone += bad
        self._pending_count -= gone
        self.stats.dropped += gone
        self.stats.pending = self._pending_count
        return gone

    def _write(self, batch: dict[str, list[tuple[Any, ...]]]) -> sample_store.BatchResult:
        now = self._wall_ms()
        generation = self._committing

        def participants(conn: sqlite3.Connection) -> None:
            for work in self._participants:
                work.write(conn, now)
            if generation is not None:  # with the rows, in their transaction: a replay after a crash skips them
                settings_store.put_json_on(conn, SPOOL_KEY, generation)

        return sample_store.write_flush(batch, COLUMNS, now, participants)

    def _run_after(self) -> None:
        for work in self._after:
            try:
                work()
            except Exception:  # noqa: BLE001 - a failing rollup or checkpoint must not stop the writer
                log.exception("work after a flush failed")


class _Marker:
    """A flush request in the queue; `done` is set when everything before it is written."""

    def __init__(self, after: bool) -> None:
        self.after = after
        self.done = threading.Event()
