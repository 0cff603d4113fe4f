"""Wall-clock trust on a Pi without a real-time clock: is the time synchronised, sane, or jumping.

The Pi boots with the time of its last shutdown (fake-hwclock) or 1970 and corrects it when
systemd-timesyncd reaches a server. Samples taken before that are still stored but marked, and a
correction (a jump forward or back) must never give a negative interval to the energy layer.
"""

from __future__ import annotations

import math
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Callable

from appliance.errors import ValidationError

#: No sample of this product can be older: a clock before this is not set.
MIN_SANE_MS = int(datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
#: Nor newer: a clock after this is corrupt.
MAX_SANE_MS = int(datetime(2100, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
#: systemd-timesyncd touches this file once it has synchronised the clock (systemd >= 249).
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")
#: How far wall and monotonic clocks may drift apart between two stamps before it is a jump.
DEFAULT_TOLERANCE_MS = 2000

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def now_ms() -> int:
    """The wall clock in epoch milliseconds (the one "now" of the appliance; tests pass their own clock)."""
    return time.time_ns() // 1_000_000


def sane_time(ts_ms: int) -> bool:
    """True when a wall-clock time in ms since the epoch is plausible (2024 to 2100)."""
    return MIN_SANE_MS <= ts_ms < MAX_SANE_MS


def clock_synchronised(*, run: Runner = subprocess.run, flag: Path = TIMESYNC_FLAG,
                       now_ms: Callable[[], int] = now_ms) -> bool:
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


def utc_now_iso() -> str:
    """The current UTC time as ISO 8601 with milliseconds and '+00:00', as the store's *_at text columns hold it."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def iso_ms(ms: int | None) -> str | None:
    """Epoch ms as ISO 8601 UTC with milliseconds ('2026-05-14T11:05:00.000Z'), the API's instants; None stays None."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


#: The instants an API accepts: from 1970 to 10**14 ms (the year 5138); anything else is a unit or typing mistake.
MAX_INSTANT_MS = 10 ** 14
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also takes "²" and "١", which int() refuses


def parse_instant(value: Any, field: str, *, zone: tzinfo = timezone.utc) -> int:
    """Epoch ms from the one rule for instants: a whole number, or a string of ASCII digits, is epoch ms; any
    other string is ISO 8601 ('Z' or an offset; none means `zone`, UTC unless
    given; a date alone is its midnight). From 1970 to MAX_INSTANT_MS; ValidationError naming `field` otherwise."""
    if isinstance(value, bool):
        raise ValidationError(f"{field} must be epoch milliseconds or an ISO 8601 time", field=field)
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        digits = value.strip().lstrip("0") or "0"
        value = int(digits) if len(digits) <= 16 else math.inf  # more digits are out of range: never convert them
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value != int(value) or not 0 <= value < MAX_INSTANT_MS:
            raise ValidationError(f"{field} must be whole epoch milliseconds from 1970 to the year 5138", field=field)
        return int(value)
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be epoch milliseconds or an ISO 8601 time", field=field)
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{field} {value!r} is not an ISO 8601 time", field=field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    ms = (moment - _EPOCH) // _MS  # exact: timestamp() * 1000 turns .123 s into 122.99999 ms
    if not 0 <= ms < MAX_INSTANT_MS:
        raise ValidationError(f"{field} {value!r} is outside 1970 to the year 5138", field=field)
    return ms


def parse_ms(text: str | None) -> int | None:
    """A stored instant (ISO 8601 or epoch ms text) as epoch ms by `parse_instant`'s rule; None when absent or
    unreadable (a reader of what the appliance wrote itself, where a bad value is shown as unknown)."""
    if not text:
        return None
    try:
        return parse_instant(text, "instant")
    except ValidationError:
        return None
