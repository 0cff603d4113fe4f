"""The RAM spool: a crash loses no reading the writer held, nothing is written twice, and it lives in RAM only."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from appliance.acquisition import spool as spool_mod
from appliance.acquisition.spool import Spool, decode_record, encode_record, filesystem_of
from appliance.acquisition.writer import SPOOL_KEY, SampleWriter
from appliance.store import settings as settings_store
from appliance.store.models import EnergySample
from tests.acquisition.test_kill9 import STEP_MS, ingest_script
from tests.acquisition.test_writer import _home, _rows

RAM = Path("/dev/shm")
needs_ram = pytest.mark.skipif(filesystem_of(RAM) not in spool_mod.RAM_FILESYSTEMS, reason="/dev/shm is not tmpfs")


@pytest.fixture
def ram_folder():
    folder = Path(tempfile.mkdtemp(prefix="spool-test-", dir=RAM if RAM.is_dir() else None))
    yield folder / "spool"
    for path in sorted(folder.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    folder.rmdir()


def test_a_record_comes_back_as_it_went_in_and_a_torn_or_changed_one_is_refused():
    rows = {"battery_cell_readings": [(1, "p1", None, "home", b"\x01\x00\xff\x10", 0)],
            "energy_samples": [(2, "i1", "roof", "home", 1.5, -3, None, '{"a": 1}')]}
    record = encode_record(rows)
    assert record.endswith(b"\n") and b"\n" not in record[:-1]
    assert decode_record(record) == rows
    assert decode_record(record[: len(record) // 2]) is None  # cut short by the crash
    assert decode_record(record.replace(b"1.5", b"2.5")) is None  # the checksum no longer matches
    assert decode_record(b"") is None
    with pytest.raises(TypeError, match="set"):
        encode_record({"energy_samples": [({1},)]})


def test_the_spool_is_only_made_in_ram(tmp_path, ram_folder):
    assert filesystem_of(tmp_path) not in spool_mod.RAM_FILESYSTEMS or pytest.skip("tmp_path is in RAM here")
    assert Spool.in_ram(tmp_path / "spool") is None  # on the SD card it would cost the writes it saves
    assert not (tmp_path / "spool").exists()
    if filesystem_of(RAM) in spool_mod.RAM_FILESYSTEMS:
        assert Spool.in_ram(ram_folder) is not None and ram_folder.is_dir()


def test_the_folder_follows_the_environment_and_can_be_turned_off(tmp_path):
    db = tmp_path / "a.db"
    assert spool_mod.default_folder(db, {"APPLIANCE_SPOOL_DIR": "off"}) is None
    chosen = spool_mod.default_folder(db, {"APPLIANCE_SPOOL_DIR": "/run/x"})
    assert chosen is not None and chosen.parent == Path("/run/x")
    systemd = spool_mod.default_folder(db, {"RUNTIME_DIRECTORY": "/run/appliance"})
    assert systemd is not None and systemd.parent == Path("/run/appliance")
    assert spool_mod.default_folder(db, {}).parent == Path("/dev/shm")
    assert spool_mod.default_folder(db, {}) != spool_mod.default_folder(tmp_path / "b.db", {})  # one per database


@needs_ram
def test_rows_the_writer_held_at_a_crash_are_written_at_the_next_start_once(db, ram_folder):
    _home()
    spool = Spool.in_ram(ram_folder)
    writer = SampleWriter(flush_interval_s=3600, spool=spool).start()
    writer.submit(_rows(0, 40))
    writer.flush_now()  # committed: generation 0 with the rows, its file dropped
    writer.submit(_rows(100_000, 25))
    _wait(lambda: any(ram_folder.glob("*.spool")) and sum(p.stat().st_size for p in ram_folder.glob("*.spool")) > 0)
    time.sleep(0.2)
    # The crash: the thread is abandoned with 25 rows in memory only (and in the spool).
    assert EnergySample.select().count() == 40
    again = SampleWriter(flush_interval_s=3600, spool=Spool.in_ram(ram_folder)).start()
    again.stop()
    assert EnergySample.select().count() == 65
    assert not list(ram_folder.glob("*.spool"))


@needs_ram
def test_a_crash_after_the_commit_and_before_the_delete_writes_nothing_twice(db, ram_folder, monkeypatch):
    _home()
    spool = Spool.in_ram(ram_folder)
    monkeypatch.setattr(spool, "drop_through", lambda generation: None)  # dies right after the commit
    writer = SampleWriter(flush_interval_s=3600, spool=spool).start()
    writer.submit(_rows(0, 30))
    writer.flush_now()
    assert list(ram_folder.glob("*.spool")) and settings_store.get_json(SPOOL_KEY) == 1
    positions = _positions()
    again = SampleWriter(flush_interval_s=3600, spool=Spool.in_ram(ram_folder)).start()
    assert again.stats.pending == 0
    again.stop()
    assert EnergySample.select().count() == 30 and _positions() == positions  # no second feed position
    assert not list(ram_folder.glob("*.spool"))


@needs_ram
def test_a_row_sqlite_cannot_store_does_not_come_back_from_the_spool_at_the_next_start(db, ram_folder):
    _home()
    writer = SampleWriter(flush_interval_s=3600, spool=Spool.in_ram(ram_folder)).start()
    rows = _rows(0, 4)
    rows["energy_samples"][1] = (*rows["energy_samples"][1][:17], 2 ** 70, *rows["energy_samples"][1][18:])
    writer.submit(rows)
    writer.flush_now()  # three written, one dropped
    # The crash: the next start finds nothing to take back, neither the dropped row nor the written ones.
    again = SampleWriter(flush_interval_s=3600, spool=Spool.in_ram(ram_folder)).start()
    assert again.stats.pending == 0
    again.stop()
    assert EnergySample.select().count() == 3 and not list(ram_folder.glob("*.spool"))


@needs_ram
def test_a_full_spool_keeps_rows_in_memory_and_says_so(db, ram_folder, caplog):
    _home()
    writer = SampleWriter(flush_interval_s=3600, spool=Spool.in_ram(ram_folder, max_bytes=2000)).start()
    writer.submit(_rows(0, 5))
    writer.submit(_rows(10_000, 50))  # over the cap: not spooled
    writer.stop()
    assert EnergySample.select().count() == 55
    assert "RAM spool" in caplog.text and "full" in caplog.text


def test_freshen_flushes_what_waits_only_when_it_is_old(db):
    _home()
    writer = SampleWriter(flush_interval_s=3600).start()
    writer.submit(_rows(0, 10))
    _wait(lambda: writer._pending_count == 10)
    assert writer.freshen(max_age_s=3600) is False and EnergySample.select().count() == 0
    assert writer.freshen(max_age_s=0) is True and EnergySample.select().count() == 10
    assert writer.freshen(max_age_s=0) is False  # nothing waits
    writer.stop()


def _positions() -> list[tuple]:
    from appliance.store.models import database

    return database.execute_sql("SELECT seq, seq_from, device_id, lo, hi FROM feed_spans ORDER BY seq").fetchall()


def _wait(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


KILLS = 12
INGEST = ingest_script(3600, spool=True)



@pytest.mark.slow
@needs_ram
def test_kill_9_with_a_spool_loses_no_reading_though_the_writer_never_flushed(tmp_path, ram_folder):
    """An hour's flush interval and kill -9 a dozen times: every reading taken before each kill is stored."""
    path = tmp_path / "killed.db"
    rng = random.Random(21)
    start, runs = 1_780_000_000_000, []
    for _ in range(KILLS):
        proc = subprocess.Popen([sys.executable, "-c", INGEST, str(path), str(start), str(ram_folder)],
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            began = time.monotonic()
            time.sleep(rng.uniform(0.3, 1.0))
            os.kill(proc.pid, signal.SIGKILL)
            runs.append((start, (time.monotonic() - began) * 1000))
        finally:
            proc.wait(10)
        start += 3_600_000
    # The next start (here, in this process) writes what the last run held.
    from appliance.store.db import open_database

    open_database(str(path))
    SampleWriter(flush_interval_s=3600, spool=Spool.in_ram(ram_folder)).start().stop()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for first, killed_after_ms in runs:
            stamps = [r[0] for r in conn.execute("SELECT ts FROM energy_samples WHERE ts >= ? AND ts < ? ORDER BY ts",
                                                 (first, first + 3_600_000))]
            assert stamps == list(range(first, first + len(stamps) * STEP_MS, STEP_MS))  # a prefix, no hole
            # Lost: only what was taken in the last moment before the kill (not yet handed to the spool).
            assert killed_after_ms - (stamps[-1] - first) <= 150, (killed_after_ms, stamps[-1] - first)
    finally:
        conn.close()


@needs_ram
def test_a_value_the_spool_cannot_hold_stays_in_memory_and_the_writer_goes_on(db, ram_folder, caplog):
    _home()
    writer = SampleWriter(flush_interval_s=3600, spool=Spool.in_ram(ram_folder)).start()
    bad = _rows(0, 1)
    row = bad["energy_samples"][0]
    bad["energy_samples"][0] = (*row[:14], float("inf"), *row[15:])  # inverter_temp_c: JSON has no infinity
    writer.submit(bad)
    writer.submit(_rows(10_000, 3))
    writer.stop()
    assert EnergySample.select().count() == 4 and "rows not spooled" in caplog.text
