"""Wall-clock trust on a Pi without a real-time clock: is the time synchronised, sane, or jumping.

The Pi boots with the time of its last shutdown (fake-hwclock) or 1970 and corrects it when
systemd-timesyncd reaches a server. Samples taken before that are still stored but marked, and a
correction (a jump forward or back) must never give a negative interval to the energy layer.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

#: No sample of this product can be older: a clock before this is not set.
MIN_SANE_MS = int(datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
#: Nor newer: a clock after this is corrupt.
MAX_SANE_MS = int(datetime(2100, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
#: systemd-timesyncd touches this file once it has synchronised the clock (systemd >= 249).
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")
#: How far wall and monotonic clocks may drift apart between two stamps before it is a jump.
DEFAULT_TOLERANCE_MS = 2000

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def sane_time(ts_ms: int) -> bool:
    """True when a wall-clock time in ms since the epoch is plausible (2024 to 2100)."""
    return MIN_SANE_MS <= ts_ms < MAX_SANE_MS


def clock_synchronised(*, run: Runner = subprocess.run, flag: Path = TIMESYNC_FLAG,
                       now_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000) -> bool:
    """True when systemd reports the clock synchronised; when it cannot say, only if the time is sane."""
    if flag.exists():
        return True
    try:
        result = run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
                     capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        result = None
    answer = result.stdout.strip() if result is not None and result.returncode == 0 else ""
    if answer in ("yes", "no"):
        return answer == "yes"
    return sane_time(now_ms())  # unknown: no timedatectl, no systemd, or no D-Bus


@dataclass(frozen=True)
class Stamp:
    """When a sample was taken: the wall time to store and what the clock was doing."""

    ts_ms: int
    mono_ns: int
    #: Wall-clock jump since the previous stamp, in ms (positive forward, negative back), 0 if none.
    jump_ms: int
    #: False when the wall time cannot be right (before 2024): store it marked, roll it up later.
    sane: bool


class ClockGuard:
    """Stamps samples and detects wall-clock jumps by comparing the wall and monotonic clocks.

    Thread-safe: poll jobs of several devices stamp through one guard.
    """

    def __init__(self, *, wall_ns: Callable[[], int] = time.time_ns,
                 mono_ns: Callable[[], int] = time.monotonic_ns,
                 tolerance_ms: int = DEFAULT_TOLERANCE_MS) -> None:
        self._wall_ns = wall_ns
        self._mono_ns = mono_ns
        self._tolerance_ns = tolerance_ms * 1_000_000
        self._lock = threading.Lock()
        self._last: tuple[int, int] | None = None  # (wall_ns, mono_ns) of the previous stamp
        self.jumps = 0

    def stamp(self) -> Stamp:
        """The current time with the jump, if any, since the previous stamp."""
        with self._lock:
            wall, mono = self._wall_ns(), self._mono_ns()
            jump_ns = 0
            if self._last is not None:
                skew = (wall - self._last[0]) - (mono - self._last[1])
                if abs(skew) > self._tolerance_ns:
                    jump_ns = skew
                    self.jumps += 1
            self._last = (wall, mono)
        ts_ms = wall // 1_000_000
        return Stamp(ts_ms=ts_ms, mono_ns=mono, jump_ms=int(jump_ns / 1_000_000), sane=sane_time(ts_ms))


def interval_s(previous: Stamp, current: Stamp, max_s: float | None = None) -> float | None:
    """Seconds between two stamps for energy integration, or None when the interval is unusable.

    Measured on the monotonic clock, so a wall-clock jump between the stamps changes nothing;
    None when it is not positive (stamps out of order, or from another boot) or longer than max_s.
    """
    seconds = (current.mono_ns - previous.mono_ns) / 1e9
    if seconds <= 0 or (max_s is not None and seconds > max_s):
        return None
    return seconds


def wall_interval_s(previous_ms: int, current_ms: int, max_s: float | None = None) -> float | None:
    """Seconds between two stored wall times, or None when negative, zero, insane or longer than max_s."""
    if not (sane_time(previous_ms) and sane_time(current_ms)):
        return None
    seconds = (current_ms - previous_ms) / 1000
    if seconds <= 0 or (max_s is not None and seconds > max_s):
        return None
    return seconds


def now_ms() -> int:
    """The wall clock in epoch milliseconds."""
    return time.time_ns() // 1_000_000


def iso_ms(ms: int | None) -> str | None:
    """Epoch ms as ISO 8601 UTC with milliseconds ('2026-05-14T11:05:00.000Z'), the API's instants; None stays None."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_ms(text: str | None) -> int | None:
    """An ISO 8601 instant ('2026-05-14T11:05:00.000Z'; no zone means UTC) as epoch ms; None when absent or unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)
