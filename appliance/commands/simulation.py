"""Backfill on a virtual clock: `appliance simulate` and `appliance demo --backfill`.

Both run the pipeline of live operation (pollers, drivers, decoders, rows, the sample writer, the
rollups) against the demo's simulators, reached in-process (sim/inprocess.py), so a simulated day
costs CPU only. A terminal sees a progress bar; a pipe gets only the summary.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, TextIO

from appliance import malloc
from appliance.runtime import Runtime

BACKFILL_STEP_S = 60.0
#: Simulated seconds between commits of the writer during a backfill: a commit rewrites the pages it
#: touches, whatever it adds, so fewer, bigger commits write less (about 1,500 readings of the demo).
FLUSH_EVERY_S = 24 * 3600.0
#: Simulated seconds between rollup runs during a backfill (larger runs are cheaper per bucket).
ROLLUP_EVERY_S = 24 * 3600.0


@dataclass(frozen=True)
class BackfillResult:
    """What a backfill did."""

    days: float
    readings: int
    wall_s: float
    cpu_s: float


class Progress:
    """A one-line progress bar on a terminal; silent on a pipe."""

    def __init__(self, stream: TextIO | None = None, *, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.active = bool(getattr(self.stream, "isatty", lambda: False)())
        self._shown = -1.0

    def update(self, fraction: float, detail: str) -> None:
        """Redraw when the shown percentage changes."""
        if not self.active or round(fraction * 1000) == self._shown:
            return
        self._shown = round(fraction * 1000)
        done = int(self.width * fraction)
        self.stream.write(f"\r[{'#' * done}{' ' * (self.width - done)}] {fraction:6.1%} {detail}\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        if self.active and self._shown >= 0:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def backfill(runtime: Runtime, site: Any, days: float, *, step_s: float = BACKFILL_STEP_S,
             progress: Callable[[float, str], None] | None = None) -> BackfillResult:
    """Fill `days` of history up to now through the live pipeline, as fast as the CPU allows.

    The runtime's `backfill_pool` (set by build_demo) reaches the simulators in-process; without one
    the backfill polls through the runtime's own buses, at their speed."""
    started, cpu = time.monotonic(), time.process_time()
    now = time.time()
    start = now - days * 86400
    runtime.clock.hold(start)
    site.state.t = start
    site.state.day = ""
    real_pool, real_discovery_pool = runtime.acquisition.pool, runtime.discovery.pool
    pool = runtime.backfill_pool() if runtime.backfill_pool is not None else real_pool
    runtime.discovery.pool = pool
    runtime.acquisition.use_pool(pool)
    polls = 0
    runtime.writer.spooling = False  # a crash loses nothing a rerun would not make again; the spool would fill
    try:
        runtime.discover()
        steps = int(math.ceil((now - start) / step_s))
        flush_every = max(1, int(FLUSH_EVERY_S / step_s))
        rollup_every = max(1, int(ROLLUP_EVERY_S / step_s))
        for step in range(steps):
            runtime.clock.hold(start + step * step_s)
            polls += runtime.acquisition.poll_all()
            if step % flush_every == flush_every - 1:
                runtime.writer.flush_now(after=False)
            if step % rollup_every == rollup_every - 1:
                runtime.roll_up()
            if progress is not None:
                elapsed = max(time.monotonic() - started, 1e-9)
                progress((step + 1) / steps, f"day {(step + 1) * step_s / 86400:.1f}/{days:g}, "
                                             f"{polls:,} readings, {polls / elapsed:,.0f}/s")
    finally:
        runtime.clock.release()
        runtime.writer.flush_now(after=False)
        runtime.roll_up()
        runtime.writer.spooling = True
        runtime.discovery.pool = real_discovery_pool
        runtime.acquisition.use_pool(real_pool)
        if pool is not real_pool:
            pool.close_all()
        malloc.trim()  # the backfill's garbage would otherwise stay resident for the life of the process
    return BackfillResult(days, polls, time.monotonic() - started, time.process_time() - cpu)


def summary(result: BackfillResult, db_path: Any) -> str:
    """The one line a pipe gets: readings, time, and the database's size per reading."""
    size = sum(os.path.getsize(f"{db_path}{suffix}") for suffix in ("", "-wal") if os.path.exists(f"{db_path}{suffix}"))
    per = size / result.readings if result.readings else float("nan")
    return (f"simulated {result.days:g} days: {result.readings:,} readings into {db_path} in {result.wall_s:.1f} s "
            f"({result.cpu_s:.1f} s CPU); database {size / 1e6:.1f} MB, {per:,.0f} bytes per reading")
