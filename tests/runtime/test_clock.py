"""Time without a real-time clock: samples are marked until the clock is synchronised, then re-stamped.

A controllable wall and monotonic clock drive the ClockGuard, the Timekeeper and the DevicePoller.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from appliance.acquisition.live import LiveCache
from appliance.acquisition.service import Acquisition
from appliance.acquisition.timekeeping import FLAG_UNSYNCED, Timekeeper
from appliance.acquisition.writer import SampleWriter
from appliance.catalog import adapters, devices, systems
from appliance.clock import MIN_SANE_MS, ClockGuard
from appliance.drivers.connect import LinkPool
from appliance.energy.rollups import roll_up
from appliance.sim.jkbms_gateway import JkGatewaySim
from appliance.store.models import database

REAL_MS = int(datetime(2026, 6, 3, 10, 0, tzinfo=timezone.utc).timestamp() * 1000)
SAMPLE_TABLES = ("battery_bank_samples", "battery_unit_samples", "battery_cell_readings")


class Clocks:
    """A wall clock and a monotonic clock in ms that a test moves together, or the wall alone (a jump)."""

    def __init__(self, wall_ms: int, mono_ms: int = 5_000_000) -> None:
        self.wall, self.mono = wall_ms, mono_ms
        self.synced = False
        self.asked = 0

    def advance(self, seconds: float) -> None:
        self.wall += int(seconds * 1000)
        self.mono += int(seconds * 1000)

    def jump(self, seconds: float) -> None:
        self.wall += int(seconds * 1000)

    def synchronised(self) -> bool:
        self.asked += 1
        return self.synced

    def timekeeper(self) -> Timekeeper:
        guard = ClockGuard(wall_ns=lambda: self.wall * 1_000_000, mono_ns=lambda: self.mono * 1_000_000)
        return Timekeeper(guard=guard, synchronised=self.synchronised, monotonic=lambda: self.mono / 1000)


def _rows(sql: str, *params) -> list[tuple]:
    return database.execute_sql(sql, params).fetchall()


def _rollup_tables() -> list[str]:
    return [r[0] for r in _rows("SELECT name FROM sqlite_schema WHERE type = 'table' AND (name LIKE '%5m' "
                                "OR name LIKE '%30m' OR name LIKE '%hourly%' OR name LIKE '%daily%')")]


def _check_rollups_sane() -> int:
    """No negative energy and nothing before 2024 in any rollup table; return how many rows they hold."""
    total = 0
    for table in _rollup_tables():
        columns = [r[1] for r in _rows(f"PRAGMA table_info({table})")]
        total += _rows(f"SELECT COUNT(*) FROM {table}")[0][0]  # noqa: S608
        for column in columns:
            if ("energy" in column or column.endswith("_kwh")) and not column.startswith("net_"):  # net: signed
                negative = _rows(f"SELECT COUNT(*) FROM {table} WHERE {column} < 0")[0][0]  # noqa: S608
                assert negative == 0, (table, column)
            if column in ("bucket_start", "hour_start"):
                early = _rows(f"SELECT COUNT(*) FROM {table} WHERE {column} < ?", MIN_SANE_MS)[0][0]  # noqa: S608
                assert early == 0, table
            if column in ("date", "day"):
                assert _rows(f"SELECT COUNT(*) FROM {table} WHERE {column} < '2024'")[0][0] == 0, table  # noqa: S608
    return total


@pytest.fixture
def pack(db):
    sim = JkGatewaySim().start()
    systems.create_system("home", "Home", timezone="Europe/Berlin")
    systems.create_battery_array("bank", "home", "Bank")
    devices.create_battery_pack("p1", "bank", "JK pack", nominal_kwh=5.0)
    adapters.create_adapter("p1_tcp", "jkbms_tcpip", {"host": "127.0.0.1", "port": sim.port, "timeout_s": 0.5,
                                                      "protocol": "jkpb"})
    adapters.link_pack_adapter("p1", "p1_tcp")
    yield sim
    sim.stop()


@pytest.fixture
def rig(pack):
    """A pack polled through the Acquisition with a controllable clock; the clock starts in 1970."""
    clocks = Clocks(wall_ms=1_000_000)
    keeper = clocks.timekeeper()
    writer = SampleWriter(flush_interval_s=0.05).start()
    pool = LinkPool()
    acq = Acquisition(None, writer, pool, LiveCache(clock=lambda: clocks.wall), clock=lambda: clocks.wall,
                      poller_options={"timekeeper": keeper})
    acq.sync()
    yield clocks, keeper, acq, writer
    writer.stop()
    pool.close_all()


def _poll(clocks: Clocks, acq: Acquisition, writer: SampleWriter, count: int) -> int:
    got = 0
    for _ in range(count):
        got += acq.poll_all()
        clocks.advance(5)
    writer.flush_now()
    return got


def _flagged(table: str = "battery_bank_samples") -> int:
    return _rows(f"SELECT COUNT(*) FROM {table} WHERE flags & 1")[0][0]  # noqa: S608


def test_the_synchronised_answer_is_cached_for_a_minute() -> None:
    clocks = Clocks(REAL_MS)
    keeper = clocks.timekeeper()
    assert keeper.flags(clocks.wall) & FLAG_UNSYNCED
    clocks.synced = True
    for _ in range(11):
        clocks.advance(5)
        assert keeper.flags(clocks.wall) & FLAG_UNSYNCED  # still the cached answer
    assert clocks.asked == 1
    clocks.advance(5)
    assert keeper.flags(clocks.wall) == 0
    assert clocks.asked == 2


def test_a_sane_time_is_needed_even_when_synchronised() -> None:
    clocks = Clocks(1_000_000)
    clocks.synced = True
    keeper = clocks.timekeeper()
    assert keeper.flags(clocks.wall) & FLAG_UNSYNCED
    assert keeper.flags(REAL_MS) == 0


def test_samples_before_sync_are_stored_marked_then_restamped_and_rolled_up(rig) -> None:
    clocks, keeper, acq, writer = rig
    # An earlier boot rolled up to yesterday: re-stamped 1970 rows then pass the late-sample triggers.
    database.execute_sql("INSERT INTO rollup_watermarks (source_table, rolled_to_ts) VALUES (?, ?)",
                         ("battery_bank_samples", REAL_MS - 86_400_000))
    assert _poll(clocks, acq, writer, 24) == 24  # two minutes in 1970: stored, marked
    assert _flagged() == 24 and _flagged("battery_cell_readings") > 0
    clocks.jump((REAL_MS - clocks.wall) / 1000)  # the clock is set: a jump forward of 56 years
    assert _poll(clocks, acq, writer, 24) == 24  # sane now, but not yet reported synchronised
    assert _flagged() == 48 and keeper.segment == 2

    roll_up(now_ms=clocks.wall)
    assert _check_rollups_sane() == 0  # the rollups of those periods wait
    assert keeper.restamp() == {"moved": 0, "cleared": 0, "dropped": 0}  # not synchronised yet

    clocks.synced = True
    clocks.advance(60)
    assert _poll(clocks, acq, writer, 12) == 12
    result = keeper.restamp()
    assert result["dropped"] == 0 and result["moved"] >= 24 and result["cleared"] >= 24
    for table in SAMPLE_TABLES:
        assert _flagged(table) == 0, table
        assert _rows(f"SELECT COUNT(*) FROM {table} WHERE ts < ?", MIN_SANE_MS)[0][0] == 0  # noqa: S608
    stamps = [r[0] for r in _rows("SELECT ts FROM battery_bank_samples ORDER BY ts")]
    # The 1970 polls now sit just before the jump, 5 s apart, as the monotonic clock measured them.
    assert stamps[23] < REAL_MS <= stamps[24] and stamps[24] - stamps[23] == 5000
    assert all(0 < b - a <= 65_000 for a, b in zip(stamps, stamps[1:]))

    roll_up(now_ms=clocks.wall + 600_000)
    assert _check_rollups_sane() > 0
    first = _rows("SELECT MIN(bucket_start), SUM(sample_count) FROM battery_bank_5m")[0]
    assert first[0] <= stamps[0] and first[1] >= 48


def test_a_clock_that_jumps_back_and_forth_never_gives_negative_energy(rig) -> None:
    clocks, keeper, acq, writer = rig
    clocks.synced = True
    clocks.jump((REAL_MS - clocks.wall) / 1000)
    assert _poll(clocks, acq, writer, 30) == 30
    roll_up(now_ms=clocks.wall)
    clocks.jump(-1800)  # NTP steps the clock back half an hour
    assert _poll(clocks, acq, writer, 30) == 30  # polling goes on: no backoff or cell timer waits for the clock
    roll_up(now_ms=clocks.wall)
    clocks.jump(7200)  # and forward two hours
    assert _poll(clocks, acq, writer, 30) == 30
    roll_up(now_ms=clocks.wall + 600_000)
    assert _check_rollups_sane() > 0
    assert _flagged() == 0 and keeper.segment == 3


def test_flags_of_an_earlier_process_lose_their_segment_and_only_sane_times_are_released(rig) -> None:
    clocks, _, acq, writer = rig
    assert _poll(clocks, acq, writer, 3) == 3  # in 1970, marked with segment 1
    clocks.jump((REAL_MS - clocks.wall) / 1000)
    assert _poll(clocks, acq, writer, 3) == 3  # sane, marked with segment 2
    restarted = clocks.timekeeper()  # a new process: it cannot know the offsets of those segments
    assert restarted.adopt() > 0
    assert _rows("SELECT DISTINCT flags FROM battery_bank_samples") == [(FLAG_UNSYNCED,)]
    clocks.synced = True
    result = restarted.restamp()
    assert result["moved"] == 0 and result["cleared"] >= 3
    assert _rows("SELECT COUNT(*) FROM battery_bank_samples WHERE flags & 1 AND ts < ?", MIN_SANE_MS)[0][0] == 3
    roll_up(now_ms=clocks.wall + 600_000)
    _check_rollups_sane()


def test_a_small_jump_moves_every_sample_without_losing_one(rig) -> None:
    clocks, keeper, acq, writer = rig
    clocks.jump((REAL_MS - clocks.wall) / 1000)
    keeper.flags(clocks.wall)  # the first stamp: segment 1 starts at the set clock
    assert _poll(clocks, acq, writer, 6) == 6
    clocks.jump(10)  # NTP steps 10 s forward: less than the span of the segment, so the moves overlap
    assert _poll(clocks, acq, writer, 6) == 6
    clocks.synced = True
    clocks.advance(60)
    before = sorted(r[0] for r in _rows("SELECT ts FROM battery_bank_samples"))
    result = keeper.restamp()
    after = sorted(r[0] for r in _rows("SELECT ts FROM battery_bank_samples"))
    assert result["dropped"] == 0 and len(after) == len(before) == 12 and _flagged() == 0
    assert after[:6] == [ts + 10_000 for ts in before[:6]] and after[6:] == before[6:]


def test_polls_racing_the_first_check_wait_for_its_answer() -> None:
    clocks = Clocks(REAL_MS)
    gate = threading.Event()

    def slow_yes() -> bool:
        gate.wait(5)
        return True

    keeper = Timekeeper(guard=ClockGuard(), synchronised=slow_yes)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(keeper.flags(clocks.wall))) for _ in range(8)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join(5)
    assert results == [0] * 8
