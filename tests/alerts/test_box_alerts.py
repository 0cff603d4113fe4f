"""The appliance's own alerts from real conditions: a database filled to SQLite's max_page_count (the disk
of a small filesystem), the writer failing on it; the system clock's synchronisation flag."""

from __future__ import annotations

import sqlite3

import pytest

from appliance.acquisition.timekeeping import Timekeeper
from appliance.alerts.box import DiskRoom
from appliance.alerts.service import Collaborators
from appliance.alerts.settings import PREFIX
from appliance.alerts.status import WriterState
from appliance.clock import clock_synchronised
from appliance.store.db import database_room
from appliance.store.models import AlertRow, database
from tests.alerts.conftest import make_rig

MB = 1024 * 1024


@pytest.fixture
def small_disk(db, home):
    """Every connection of the database may grow by 2 MB at most (SQLite's max_page_count): a small disk."""
    page_size = db.execute_sql("PRAGMA page_size").fetchone()[0]
    cap = db.execute_sql("PRAGMA page_count").fetchone()[0] + 2 * MB // page_size
    pragmas = db._pragmas.items() if isinstance(db._pragmas, dict) else db._pragmas
    db._pragmas = [*pragmas, ("max_page_count", cap)]  # connections opened from now on (the writer's)
    db.execute_sql(f"PRAGMA max_page_count = {cap}")  # and this thread's
    db.execute_sql("CREATE TABLE filler (data BLOB)")
    return db


def _fill_until(room_below: int | None = None) -> None:
    """Other data fills the database: until less than `room_below` is left, or until not one byte fits."""
    size = 65536
    while room_below is None or (database_room() or 0) >= room_below:
        try:
            with database.atomic():
                database.execute_sql(f"INSERT INTO filler VALUES (zeroblob({size}))")
        except Exception as exc:  # noqa: BLE001 - peewee wraps sqlite3's error
            assert "full" in str(exc)
            if size == 16:
                return
            size //= 4  # smaller pieces fill the last pages


def _room() -> DiskRoom | None:
    room = database_room()
    return None if room is None else DiskRoom(room, "the test's database")


def test_a_small_disk_filling_up_raises_disk_nearly_full_then_database_error_and_both_clear(small_disk, clock):
    def writer() -> WriterState:
        stats = rig.writer.stats
        return WriterState(rig.writer.alive, stats.last_flush_ms, stats.pending, stats.rows_written, stats.last_error)

    rig = make_rig(clock, Collaborators(disk_room=_room, database_problem=lambda: rig.writer.stats.last_error,
                                        writer=writer))
    try:
        rig.alerts.save_rule_settings({PREFIX + "disk_nearly_full.free_mb": "1", PREFIX + "disk_nearly_full.clear_s": "0",
                                       PREFIX + "database_error.clear_s": "0"})
        rig.step(times=2)
        assert rig.alerts.active() == []
        _fill_until(room_below=MB)
        rig.step()
        [disk] = rig.active("disk_nearly_full")
        assert disk.subject == "appliance" and disk.severity == "critical"
        assert "left for the database on the test's database (alert below 1 MB)" in disk.message
        assert AlertRow.get_by_id(disk.alert_id).ended_at is None, "written while there was still room"
        rig.step(times=3)
        assert len(rig.active("disk_nearly_full")) == 1 and AlertRow.select().count() == 1
        # Full: the sample writer cannot commit its rows.
        _fill_until()
        # Compact sample rows may still fit the free room of their last pages for a few polls.
        for _ in range(60):
            rig.step()
            if rig.active("database_error"):
                break
        [failed] = rig.active("database_error")
        assert "database or disk is full" in failed.message or "the disk is full" in failed.message
        assert rig.alerts.status()["appliance"]["writer"]["state"] == "down"
        acked = rig.alerts.acknowledge(failed.alert_id, "owner")
        assert acked.acknowledged_by == "owner"
        # Space comes back: the writer catches up, the waiting records are written, both alerts close.
        database.execute_sql("DELETE FROM filler")
        rig.step(times=3)
        assert rig.alerts.active() == [] and rig.alerts.engine.pending_writes() == 0
        rows = {r.kind: r for r in AlertRow.select()}
        assert set(rows) == {"disk_nearly_full", "database_error"}
        assert rows["database_error"].acknowledged_by == "owner" and rows["database_error"].ended_at is not None
        assert rows["disk_nearly_full"].ended_at is not None
    finally:
        rig.alerts.stop()
        rig.writer.stop()
        rig.pool.close_all()


def test_the_clock_not_synchronised_raises_until_timesyncd_flags_it(home, clock, tmp_path):
    flag = tmp_path / "synchronized"  # systemd-timesyncd touches /run/systemd/timesync/synchronized

    def no_timedatectl(*args, **kwargs):
        raise FileNotFoundError("timedatectl")

    keeper = Timekeeper(synchronised=lambda: clock_synchronised(run=no_timedatectl, flag=flag, now_ms=lambda: 0),
                        recheck_s=0)
    rig = make_rig(clock, Collaborators(clock_synchronised=keeper.synchronised))
    try:
        rig.alerts.save_rule_settings({PREFIX + "clock_unsynced.hold_s": "60"})
        rig.step(times=6)
        assert rig.active("clock_unsynced") == []
        rig.step(seconds=60)
        [alert] = rig.active("clock_unsynced")
        assert "not synchronised" in alert.message
        rig.step(times=3)
        assert AlertRow.select().where(AlertRow.kind == "clock_unsynced").count() == 1
        flag.touch()
        rig.step()
        assert rig.active("clock_unsynced") == [] and rig.alerts.status()["appliance"]["clock"]["state"] == "ok"
    finally:
        rig.alerts.stop()
        rig.writer.stop()
        rig.pool.close_all()


def test_a_broken_collaborator_is_logged_and_leaves_the_other_rules_running(home, clock, caplog):
    def broken() -> DiskRoom:
        raise sqlite3.OperationalError("disk I/O error")

    rig = make_rig(clock, Collaborators(disk_room=broken, clock_synchronised=lambda: False))
    try:
        rig.alerts.save_rule_settings({PREFIX + "clock_unsynced.hold_s": "0"})
        rig.step()
        assert [a.kind for a in rig.alerts.active()] == ["clock_unsynced"]
        assert "disk I/O error" in caplog.text
    finally:
        rig.alerts.stop()
        rig.writer.stop()
        rig.pool.close_all()


def test_alerts_that_cannot_be_written_are_kept_listed_and_written_later(home, clock):
    rig = make_rig(clock, Collaborators(clock_synchronised=lambda: False))
    blocker = sqlite3.connect(database.database, timeout=0)
    try:
        rig.alerts.save_rule_settings({PREFIX + "clock_unsynced.hold_s": "0", PREFIX + "database_error.clear_s": "0"})
        database.execute_sql("PRAGMA busy_timeout = 0")  # this thread's connection: fail at once, not in 5 s
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the database's write lock
        rig.alerts.tick()
        rig.alerts.tick()
        found = {a.kind: a for a in rig.alerts.active()}
        assert set(found) == {"clock_unsynced", "database_error"}
        assert "locked" in found["database_error"].message
        assert rig.alerts.engine.pending_writes() == 2 and AlertRow.select().count() == 0
        assert rig.alerts.status()["appliance"]["alerts_pending_writes"] == 2
        blocker.rollback()
        rig.alerts.tick()
        assert rig.alerts.engine.pending_writes() == 0
        rows = {r.kind: r for r in AlertRow.select()}
        assert rows["clock_unsynced"].ended_at is None and rows["database_error"].ended_at is not None
    finally:
        blocker.close()
        rig.alerts.stop()
        rig.writer.stop()
        rig.pool.close_all()


def test_control_events_open_write_mismatch_and_budget_alerts_and_a_good_write_ends_them(home, clock):
    """Issue 11's audit log feeds these; until it lands, the source is whatever the runtime passes in."""
    from appliance.alerts.box import ControlEvent, ControlEvents

    log: list[ControlEvent] = [ControlEvent(1, "write_mismatch", "inverter:inv1", "an old one, before this start", 0)]
    source = ControlEvents(lambda: max(e.event_id for e in log), lambda after: [e for e in log if e.event_id > after])
    rig = make_rig(clock, Collaborators(control_events=source))
    try:
        rig.alerts.tick()
        assert rig.alerts.active() == [], "events of earlier runs were seen then"
        log.append(ControlEvent(2, "write_mismatch", "inverter:inv1", "register 142 reads 500, 300 was written",
                                clock.now))
        log.append(ControlEvent(3, "budget_exhausted", "inverter:inv1", "the day's 100 writes are used up", clock.now))
        rig.step()
        found = {a.kind: a for a in rig.alerts.active()}
        assert set(found) == {"write_mismatch", "write_budget_exhausted"}
        assert found["write_mismatch"].message == "Inverter: register 142 reads 500, 300 was written"
        log.append(ControlEvent(4, "write_mismatch", "inverter:inv1", "again", clock.now))
        rig.step()
        assert len(rig.rows("write_mismatch")) == 1, "raised again while open: the same alert"
        log.append(ControlEvent(5, "write", "inverter:inv1", "written and read back", clock.now))
        rig.step()
        assert rig.alerts.active() == []
    finally:
        rig.alerts.stop()
        rig.writer.stop()
        rig.pool.close_all()
