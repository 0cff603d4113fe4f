"""Sample clock flags on a Pi without a real-time clock: mark samples until the time is synchronised, then fix them.

Every poll is stamped through one ClockGuard. A measured wall-clock jump starts a new clock segment, and
each segment remembers its offset (wall minus monotonic). A sample taken while the clock is not
synchronised (or not sane) is stored with bit 1 of `flags` set and its segment number above it; the
rollups leave it out. Once the clock is synchronised, `restamp()` moves each segment's samples by the
jump measured since (the current offset minus the segment's) and clears the flag, so the rollups pick
them up through their late-sample triggers; a segment without a jump only has its flag cleared.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from appliance.clock import DEFAULT_TOLERANCE_MS, MIN_SANE_MS, ClockGuard, clock_synchronised, now_ms, sane_time
from appliance.store import restamp as restamp_store
from appliance.store.models import database
from appliance.store.samples import SAMPLE_TABLES

log = logging.getLogger(__name__)

FLAG_UNSYNCED = restamp_store.FLAG_UNSYNCED
SEGMENT_SHIFT = restamp_store.SEGMENT_SHIFT
MAX_SEGMENT = (1 << 30) - 1
RECHECK_S = 60.0
__all__ = ["SAMPLE_TABLES", "Timekeeper"]


class Timekeeper:
    """Flags for each poll's samples, and the re-stamp of flagged samples once the clock is synchronised."""

    def __init__(self, *, guard: ClockGuard | None = None, synchronised: Callable[[], bool] = clock_synchronised,
                 recheck_s: float = RECHECK_S, monotonic: Callable[[], float] = time.monotonic,
                 tolerance_ms: int = DEFAULT_TOLERANCE_MS) -> None:
        self.guard = guard or ClockGuard()
        self._ask = synchronised
        self.recheck_s = recheck_s
        self._monotonic = monotonic
        self.tolerance_ms = tolerance_ms
        self._lock = threading.Lock()
        self._asking = threading.Lock()
        self._checked_at: float | None = None
        self._synced = False
        self.segment = 1
        self._offsets: dict[int, int] = {}  # segment -> its offset (wall minus monotonic, ms), once it flagged

    def synchronised(self) -> bool:
        """Whether the clock is synchronised: asked at most every `recheck_s`, cached in between."""
        if self._fresh():
            return self._synced
        # One thread asks; the others keep the previous answer meanwhile, or wait for the very first one.
        if not self._asking.acquire(blocking=self._checked_at is None):
            return self._synced
        try:
            if self._fresh():
                return self._synced
            answer = bool(self._ask())
            with self._lock:
                if answer != self._synced or self._checked_at is None:
                    log.log(logging.INFO if answer else logging.WARNING, "system clock %s",
                            "synchronised" if answer else "not synchronised: samples are marked")
                self._synced, self._checked_at = answer, self._monotonic()
            return answer
        finally:
            self._asking.release()

    def _fresh(self) -> bool:
        with self._lock:
            return self._checked_at is not None and self._monotonic() - self._checked_at < self.recheck_s

    def flags(self, ts_ms: int) -> int:
        """Stamp one poll taken at `ts_ms`: 0 when its time can be trusted, else the flag and clock segment."""
        synced = self.synchronised()
        with self._lock:
            offset = self._observe()
            if synced and sane_time(ts_ms):
                return 0
            self._offsets.setdefault(self.segment, offset)
            return FLAG_UNSYNCED | (self.segment << SEGMENT_SHIFT)

    def _observe(self) -> int:
        """Stamp through the guard (under the lock); a jump starts a new segment. Return the offset now."""
        stamp = self.guard.stamp()
        if stamp.jump_ms:
            log.warning("wall clock jumped by %+.1f s", stamp.jump_ms / 1000)
            self.segment = min(self.segment + 1, MAX_SEGMENT)
        return stamp.ts_ms - stamp.mono_ns // 1_000_000

    def adopt(self) -> int:
        """At start: samples flagged by an earlier process keep the flag but lose their segment (offset unknown)."""
        with database.atomic():
            return restamp_store.adopt(database.connection(), now_ms())

    def restamp(self) -> dict[str, int]:
        """When synchronised: move each segment's flagged samples by the jump measured since, and clear the flag."""
        result = {"moved": 0, "cleared": 0, "dropped": 0}
        if not self.synchronised():
            return result
        with self._lock:
            current = self._observe()
            offsets = dict(self._offsets)
        with database.atomic():
            conn = database.connection()
            for table in SAMPLE_TABLES:
                self._restamp_table(conn, table, current, offsets, result)
            # A re-stamped row queued its old (pre-2024) bucket through the late-sample triggers: no rollup there.
            restamp_store.forget_dirty_before(conn, MIN_SANE_MS)
        if any(result.values()):
            log.warning("clock synchronised: %d samples re-stamped, %d cleared, %d dropped (their new time was taken)",
                        result["moved"], result["cleared"], result["dropped"])
        return result

    def _restamp_table(self, conn: Any, table: str, current: int, offsets: dict[int, int],
                       result: dict[str, int]) -> None:
        """Re-stamp and clear one table's flagged rows, segment by segment."""
        now = now_ms()
        for segment in restamp_store.segments(conn, table):
            delta = current - offsets[segment] if segment in offsets else 0
            if abs(delta) <= self.tolerance_ms:
                # No jump since (or unknown): the stored time stands; only a time before 2024 stays out.
                result["cleared"] += restamp_store.clear(conn, table, segment, MIN_SANE_MS, now)
                continue
            moved, dropped = restamp_store.move(conn, table, segment, delta, now)
            result["moved"] += moved
            # A re-stamped time already holds a sample of that device: the flagged one cannot be placed.
            result["dropped"] += dropped
