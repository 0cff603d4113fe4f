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
from typing import Callable

from appliance.clock import DEFAULT_TOLERANCE_MS, MIN_SANE_MS, ClockGuard, clock_synchronised, sane_time
from appliance.store.models import database

log = logging.getLogger(__name__)

FLAG_UNSYNCED = 1
SEGMENT_SHIFT = 1
MAX_SEGMENT = (1 << 30) - 1
RECHECK_S = 60.0
#: Each sample table and the column that, with ts, is its primary key.
SAMPLE_TABLES = {"energy_samples": "inverter_id", "array_samples": "array_id", "battery_bank_samples": "pack_id",
                 "battery_unit_samples": "battery_id", "battery_cell_samples": "cell_id", "meter_samples": "meter_id"}


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
        changed = 0
        with database.atomic():
            for table in SAMPLE_TABLES:
                sql = f"UPDATE {table} SET flags = ? WHERE flags <> 0 AND flags <> ?"  # noqa: S608
                changed += database.execute_sql(sql, (FLAG_UNSYNCED, FLAG_UNSYNCED)).rowcount
        return changed

    def restamp(self) -> dict[str, int]:
        """When synchronised: move each segment's flagged samples by the jump measured since, and clear the flag."""
        result = {"moved": 0, "cleared": 0, "dropped": 0}
        if not self.synchronised():
            return result
        with self._lock:
            current = self._observe()
            offsets = dict(self._offsets)
        with database.atomic():
            for table, key in SAMPLE_TABLES.items():
                self._restamp_table(table, key, current, offsets, result)
            # A re-stamped row queued its old (pre-2024) bucket through the late-sample triggers: no rollup there.
            database.execute_sql("DELETE FROM rollup_dirty WHERE bucket_start < ?", (MIN_SANE_MS,))
        if any(result.values()):
            log.warning("clock synchronised: %d samples re-stamped, %d cleared, %d dropped (their new time was taken)",
                        result["moved"], result["cleared"], result["dropped"])
        return result

    def _restamp_table(self, table: str, key: str, current: int, offsets: dict[int, int],
                       result: dict[str, int]) -> None:
        """Re-stamp and clear one table's flagged rows, segment by segment."""
        segments = [row[0] for row in database.execute_sql(
            f"SELECT DISTINCT flags >> {SEGMENT_SHIFT} FROM {table} WHERE flags <> 0 AND flags & 1")]  # noqa: S608
        for segment in segments:
            where = f"flags <> 0 AND flags & 1 AND flags >> {SEGMENT_SHIFT} = ?"
            delta = current - offsets[segment] if segment in offsets else 0
            if abs(delta) <= self.tolerance_ms:
                # No jump since (or unknown): the stored time stands; only a time before 2024 stays out.
                result["cleared"] += database.execute_sql(
                    f"UPDATE {table} SET flags = 0 WHERE {where} AND ts >= ?",  # noqa: S608
                    (segment, MIN_SANE_MS)).rowcount
                continue
            # Row by row, the far end first, so a row never lands on a row of its own segment not yet moved.
            order = "DESC" if delta > 0 else "ASC"
            select = f"SELECT {key}, ts FROM {table} WHERE {where} ORDER BY ts {order}"  # noqa: S608
            keys = database.execute_sql(select, (segment,)).fetchall()
            cursor = database.connection().executemany(
                f"UPDATE OR IGNORE {table} SET ts = ts + ?, flags = 0 WHERE {key} = ? AND ts = ?",  # noqa: S608
                [(delta, device, ts) for device, ts in keys])
            result["moved"] += cursor.rowcount
            # A re-stamped time already holds a sample of that device: the flagged one cannot be placed.
            result["dropped"] += database.execute_sql(f"DELETE FROM {table} WHERE {where}",  # noqa: S608
                                                      (segment,)).rowcount
