"""The sample writer: batched transactions, flush on stop, survival of kill -9 and of a full disk."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

from appliance.acquisition.writer import SampleWriter
from appliance.catalog import devices, systems
from appliance.store.models import ArraySample, EnergySample, database


def _rows(start: int, count: int, inverter: str = "i1") -> dict:
    return {"energy_samples": [(start + n * 1000, inverter, "roof", "home", 100 + n, 50, -10, None, None, 50.0, 50.0,
                                None, None, None, None, None, None, 40, None, None, None, None, None, None, "{}")
                               for n in range(count)]}


def _home() -> None:
    systems.create_system("home", "Home")
    systems.create_array("roof", "home", "Roof")
    devices.create_inverter("i1", "roof", "One")
    devices.create_inverter("i2", "roof", "Two")


def test_rows_are_written_in_batches_and_arrays_are_derived(db):
    _home()
    writer = SampleWriter(flush_interval_s=60, max_rows=50).start()
    writer.submit(_rows(0, 30))
    writer.submit(_rows(0, 30, "i2"))
    writer.flush_now()
    assert EnergySample.select().count() == 60
    array = ArraySample.select().order_by(ArraySample.ts.desc()).first()
    assert array.pv_power_w == 2 * 129 and array.batt_power_w == 80  # both inverters' newest rows summed
    writer.stop()
    assert writer.stats.rows_written >= 60 and writer.stats.flushes <= 3


def test_stop_flushes_what_is_queued(db):
    _home()
    writer = SampleWriter(flush_interval_s=3600, max_rows=10_000).start()
    writer.submit(_rows(0, 500))
    writer.stop()
    assert EnergySample.select().count() == 500


def test_a_row_of_a_deleted_device_does_not_cost_the_batch(db):
    _home()
    writer = SampleWriter(flush_interval_s=60).start()
    writer.submit(_rows(0, 5))
    writer.submit(_rows(0, 5, "ghost"))
    writer.flush_now()
    writer.stop()
    assert EnergySample.select().count() == 5 and writer.stats.dropped == 5


def _before_next_write(writer: SampleWriter, pragma: str) -> None:
    """Run a PRAGMA on the writer thread's own connection just before its next write (it is per connection)."""
    original = writer._write

    def once(batch):
        writer._write = original
        database.connection().execute(pragma)
        return original(batch)

    writer._write = once


def test_a_full_disk_stops_writes_and_keeps_rows_until_space_returns(db, caplog):
    _home()
    writer = SampleWriter(flush_interval_s=60).start()
    writer.submit(_rows(0, 10))
    writer.flush_now()
    pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
    # SQLite's own "database or disk is full", as on a full SD card: no page may be added.
    _before_next_write(writer, f"PRAGMA max_page_count = {pages}")
    writer.submit(_rows(100_000, 3000))
    writer.flush_now()
    assert writer.stats.last_error and "full" in writer.stats.last_error
    assert EnergySample.select().count() == 10, "nothing already stored is lost"
    assert writer.alive, "the process keeps going"
    assert len([r for r in caplog.records if "cannot write samples" in r.getMessage()]) == 1
    _before_next_write(writer, "PRAGMA max_page_count = 1073741823")
    writer.flush_now()
    writer.stop()
    assert EnergySample.select().count() == 3010


KILLED_WRITER = textwrap.dedent("""
    import sys
    from appliance.acquisition.writer import SampleWriter
    from appliance.catalog import devices, systems
    from appliance.store.db import open_database
    open_database(sys.argv[1])
    systems.create_system("home", "Home"); systems.create_array("roof", "home", "Roof")
    devices.create_inverter("i1", "roof", "One")
    writer = SampleWriter(flush_interval_s=0.02, max_rows=200).start()
    ts = 0
    while True:
        rows = [(ts + n, "i1", "roof", "home", n, 0, 0, None, None, None, None, None, None, None, None, None, None,
                 None, None, None, None, None, None, None, "{}") for n in range(200)]
        ts += 200
        writer.submit({"energy_samples": rows})
        writer.flush_now()
        print(writer.stats.rows_written // 2, flush=True)  # each inverter row also derives an array row
""")


def test_kill_9_during_writes_keeps_every_flushed_row(tmp_path):
    path = tmp_path / "killed.db"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    flushed = 0
    deadline = time.monotonic() + 60
    while flushed < 5000 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line:
            flushed = int(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = conn.execute("SELECT count(*) FROM energy_samples").fetchone()[0]
    assert stored >= flushed >= 5000


def _with(rows: dict, at: int, column: int, value: object) -> dict:
    """The rows with one value of row `at` replaced."""
    items = rows["energy_samples"]
    items[at] = (*items[at][:column], value, *items[at][column + 1:])
    return rows


def test_a_value_sqlite_cannot_store_costs_only_its_row_and_the_writer_goes_on(db, caplog):
    _home()
    writer = SampleWriter(flush_interval_s=3600).start()
    try:
        rows = _with(_rows(0, 6), 1, 17, 2 ** 70)  # a 64-bit counter decoded wrongly: beyond SQLite's integers
        rows = _with(rows, 2, 24, {"decoded": "as a dict"})  # details that are not text
        rows = _with(rows, 3, 0, None)  # no time
        rows = _with(rows, 4, 9, float("nan"))  # NaN is stored as NULL, not refused
        writer.submit(rows)
        writer.flush_now()
        stored = sorted(s.ts for s in EnergySample.select())
        assert stored == [0, 4000, 5000] and writer.stats.dropped == 3 and writer.alive
        assert "battery_power_w: 1180591620717411303424 is outside SQLite's 64-bit integers" in caplog.text
        writer.submit(_rows(100_000, 5))  # later readings are not held back
        writer.flush_now()
        assert EnergySample.select().count() == 8 and writer.stats.pending == 0
    finally:
        writer.stop()
