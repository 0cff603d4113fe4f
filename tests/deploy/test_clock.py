"""appliance.clock with a controllable clock: sync state, sane times, jumps and safe intervals."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path

from appliance import clock
from appliance.clock import ClockGuard, Stamp, clock_synchronised, interval_s, sane_time, wall_interval_s

S = 1_000_000_000  # ns per second
T2025_MS = int(datetime(2025, 6, 1, tzinfo=timezone.utc).timestamp() * 1000)
T1970_MS = 3_600_000


class FakeClock:
    """Wall and monotonic clocks a test moves by hand."""

    def __init__(self, wall_ms: int) -> None:
        self.wall = wall_ms * 1_000_000
        self.mono = 1000 * S

    def tick(self, seconds: float) -> None:
        self.wall += int(seconds * S)
        self.mono += int(seconds * S)

    def set_wall(self, wall_ms: int) -> None:
        self.wall = wall_ms * 1_000_000

    def guard(self, **kwargs) -> ClockGuard:
        return ClockGuard(wall_ns=lambda: self.wall, mono_ns=lambda: self.mono, **kwargs)


def _runner(stdout: str = "", returncode: int = 0, error: Exception | None = None):
    def run(argv, **kwargs):
        assert argv == ["timedatectl", "show", "-p", "NTPSynchronized", "--value"]
        if error:
            raise error
        return subprocess.CompletedProcess(argv, returncode, stdout=stdout, stderr="")
    return run


def test_sane_time_rejects_1970_and_the_far_future():
    assert sane_time(T2025_MS)
    assert not sane_time(0) and not sane_time(T1970_MS)
    assert not sane_time(clock.MIN_SANE_MS - 1) and sane_time(clock.MIN_SANE_MS)
    assert not sane_time(clock.MAX_SANE_MS)


def test_synchronised_when_timesyncd_flag_exists(tmp_path: Path):
    flag = tmp_path / "synchronized"
    flag.touch()
    assert clock_synchronised(flag=flag, run=_runner(error=AssertionError("not asked")))


def test_timedatectl_answers_yes_or_no(tmp_path: Path):
    flag = tmp_path / "absent"
    assert clock_synchronised(flag=flag, run=_runner("yes\n"))
    assert not clock_synchronised(flag=flag, run=_runner("no\n"), now_ms=lambda: T2025_MS)


def test_unknown_sync_state_trusts_only_a_sane_year(tmp_path: Path):
    flag = tmp_path / "absent"
    for run in (_runner(error=FileNotFoundError("timedatectl")), _runner(returncode=1),
                _runner(error=subprocess.TimeoutExpired("timedatectl", 5)), _runner("maybe")):
        assert clock_synchronised(flag=flag, run=run, now_ms=lambda: T2025_MS)
        assert not clock_synchronised(flag=flag, run=run, now_ms=lambda: T1970_MS)


def test_steady_clock_has_no_jumps():
    fake = FakeClock(T2025_MS)
    guard = fake.guard()
    stamps = []
    for _ in range(5):
        stamps.append(guard.stamp())
        fake.tick(5)
    assert [s.jump_ms for s in stamps] == [0] * 5 and guard.jumps == 0
    assert all(s.sane for s in stamps)
    assert [s.ts_ms - T2025_MS for s in stamps] == [0, 5000, 10000, 15000, 20000]


def test_small_drift_within_tolerance_is_not_a_jump():
    fake = FakeClock(T2025_MS)
    guard = fake.guard(tolerance_ms=2000)
    guard.stamp()
    fake.tick(5)
    fake.wall += 1500 * 1_000_000
    assert guard.stamp().jump_ms == 0


def test_boot_in_1970_then_ntp_sets_the_clock_forward():
    fake = FakeClock(T1970_MS)
    guard = fake.guard()
    first = guard.stamp()
    assert not first.sane  # stored, but marked: rollups wait for a sane clock
    fake.tick(5)
    fake.set_wall(T2025_MS)
    second = guard.stamp()
    assert second.sane and second.jump_ms == T2025_MS - T1970_MS - 5000
    assert guard.jumps == 1
    # The energy layer integrates over the monotonic interval: 5 s, not 55 years.
    assert interval_s(first, second) == 5.0
    assert wall_interval_s(first.ts_ms, second.ts_ms) is None


def test_a_backward_jump_never_gives_a_negative_interval():
    fake = FakeClock(T2025_MS)
    guard = fake.guard()
    first = guard.stamp()
    fake.tick(10)
    fake.wall -= 3600 * S  # the clock is corrected an hour back
    second = guard.stamp()
    assert second.jump_ms == -3_600_000 and second.ts_ms < first.ts_ms
    assert interval_s(first, second) == 10.0
    assert wall_interval_s(first.ts_ms, second.ts_ms) is None


def test_intervals_that_are_not_positive_or_too_long_are_unusable():
    a = Stamp(ts_ms=T2025_MS, mono_ns=100 * S, jump_ms=0, sane=True)
    b = Stamp(ts_ms=T2025_MS + 5000, mono_ns=105 * S, jump_ms=0, sane=True)
    assert interval_s(a, b) == 5.0
    assert interval_s(b, a) is None and interval_s(a, a) is None
    assert interval_s(a, b, max_s=3) is None
    assert wall_interval_s(T2025_MS, T2025_MS + 5000) == 5.0
    assert wall_interval_s(T2025_MS, T2025_MS + 5000, max_s=3) is None
    assert wall_interval_s(T2025_MS + 5000, T2025_MS) is None


def test_the_real_clocks_work():
    guard = ClockGuard()
    first, second = guard.stamp(), guard.stamp()
    assert first.sane and second.jump_ms == 0
    assert interval_s(first, second) is None or interval_s(first, second) >= 0
    assert isinstance(clock_synchronised(), bool)
