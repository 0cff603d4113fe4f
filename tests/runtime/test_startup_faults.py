"""Start-up under faults: the real `appliance run` on a full disk, an empty, garbled or read-only database, a NaN.

What systemd needs: a fault that may pass (space, permissions, a read-only mount) exits non-zero with one
clear line and leaves every file as it was, so the next retry starts the same box; only a file that is
really broken is moved aside, and the box then comes back from its snapshot with its owner's access.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Iterator

import pytest

from appliance.sim.iammeter import IamMeterSim
from appliance.sim.powdrive import PowdriveSim
from tests.runtime.appliance_process import PASSWORD, Box, Running, SmallDisk, limit_pages_env

pytestmark = pytest.mark.slow  # whole processes for tens of seconds (setup.cfg)

CONFIG = """\
home: {{id: home, name: Home, timezone: Europe/Berlin}}
arrays: [{{id: roof, name: Roof}}]
inverters:
  - id: inv1
    name: Inverter
    array_id: roof
    adapter: {{type: powdrive, transport: tcp, host: 127.0.0.1, port: {inverter}, poll_interval_s: 1}}
meters:
  - id: grid
    name: Grid meter
    type: grid
    adapter: {{type: iammeter, transport: tcp, host: 127.0.0.1, port: {meter}, poll_interval_s: 1}}
"""


@pytest.fixture(scope="module")
def sims() -> Iterator[dict[str, int]]:
    """An inverter and a grid meter speaking Modbus TCP on 127.0.0.1."""
    inverter, meter = PowdriveSim().tcp(1), IamMeterSim().tcp(1)
    yield {"inverter": inverter.port, "meter": meter.port}
    inverter.stop()
    meter.stop()


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A small filesystem for the data directory, where this machine lets the test mount one.

    APPLIANCE_TEST_NO_MOUNT=1 runs the fallback (SQLite's max_page_count) even where mounting works.
    """
    small = SmallDisk(tmp_path / "disk")
    small.mount() if not os.environ.get("APPLIANCE_TEST_NO_MOUNT") else None
    yield small
    small.unmount()


@pytest.fixture
def box(tmp_path: Path, sims: dict[str, int], disk: SmallDisk) -> Box:
    """A box whose data directory is on the small disk (or a plain folder), config.yaml beside it."""
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(**sims))
    data = disk.where / "data" if disk.mounted else tmp_path / "data"
    data.mkdir(parents=True, mode=0o700)
    return Box(data, config)


def good_start(box: Box) -> str:
    """What an installer did: set the password, make the headend's token, run the box once; return the token."""
    assert box.cli("set-password", stdin=PASSWORD + "\n").returncode == 0
    made = box.cli("token", "create", "headend", "--scope", "sync")
    assert made.returncode == 0, made.stderr
    running = box.start()
    running.wait_running()
    assert running.stop() == 0
    assert list((box.data_dir / "snapshots").glob("config-*.yaml")), "the first start writes a snapshot"
    return made.stdout.strip()


def query(db: Path, sql: str) -> list[tuple]:
    """Rows from the database file, read by the test itself."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def one_clear_line(stderr: str) -> str:
    """The process said what is wrong in one line, without a traceback."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr and len(lines) == 1, stderr
    return lines[0]


def assert_owner_is_back(running: Running, token: str) -> None:
    """Not a new box: no setup, the owner's password works, the headend's token reads the feed."""
    assert "setup code" not in running.output()
    assert running.get("/login").status_code == 200  # a new box would send /login to /setup
    session = running.log_in()
    assert "Grid meter" in running.get("/devices", session).text
    feed = running.get("/api/sync/feed", headers={"Authorization": f"Bearer {token}"})
    assert feed.status_code == 200, feed.text


def test_a_full_disk_leaves_the_database_alone_and_the_box_starts_when_space_returns(box, disk, tmp_path):
    token = good_start(box)
    if not disk.mounted:
        box.extra_env.update(limit_pages_env(tmp_path / "limit"))
    before = box.files()
    if disk.mounted:
        disk.fill()
        code, _, stderr = box.run_to_exit()
        line = one_clear_line(stderr)
        assert code != 0 and "disk is full" in line and str(box.db) in line, line
    else:
        # SQLite's max_page_count stands in for the full disk: the file may not grow by a page.
        running = box.start()
        running.wait_running()
        deadline = time.monotonic() + 30
        while "disk is full" not in running.get("/health").text and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "disk is full" in running.get("/health").text
        running.stop()
        # The process ran (writing what fitted): its file is the same database, not a new one.
        del before["appliance.db"]
        assert query(box.db, "SELECT username FROM users") == [("admin",)]
    assert {k: v for k, v in box.files().items() if k in before} == before, "nothing moved aside or rewritten"
    assert not list(box.data_dir.glob("*.corrupt-*"))
    disk.free()
    box.extra_env.clear()
    running = box.start()
    running.wait_running()
    try:
        assert_owner_is_back(running, token)
    finally:
        running.stop()


def test_health_says_the_disk_is_full_while_running(box, disk, tmp_path):
    good_start(box)
    if not disk.mounted:
        box.extra_env.update(limit_pages_env(tmp_path / "limit"))
    running = box.start()
    running.wait_running()
    try:
        if disk.mounted:
            disk.fill()
        deadline = time.monotonic() + 40
        health = running.get("/health")
        while "disk is full" not in health.text and time.monotonic() < deadline:
            time.sleep(0.5)
            health = running.get("/health")
        assert health.status_code == 503 and "disk is full" in health.text, health.text
        assert "cannot rollback" not in health.text
    finally:
        running.stop()
        disk.free()


def test_a_zero_length_database_after_a_good_start_is_restored_from_the_snapshot(box):
    token = good_start(box)
    snapshot = next((box.data_dir / "snapshots").glob("config-*.yaml"))
    box.db.write_bytes(b"")
    running = box.start()
    running.wait_running()
    try:
        assert_owner_is_back(running, token)
    finally:
        running.stop()
    assert "grid" in snapshot.read_text(), "the day's snapshot still holds the home, not defaults"
    assert [m for m, in query(box.db, "SELECT meter_id FROM meters")] == ["grid"]
    events = query(box.db, "SELECT message FROM system_events WHERE kind = 'recovery'")
    assert events and "empty" in events[0][0]
    moved = list(box.data_dir.glob("appliance.db.corrupt-*"))
    assert [p.stat().st_size for p in moved if not p.name.endswith(("-wal", "-shm"))] == [0]


def test_a_missing_database_after_a_good_start_is_restored_from_the_snapshot(box):
    token = good_start(box)
    box.db.unlink()
    running = box.start()
    running.wait_running()
    try:
        assert_owner_is_back(running, token)
    finally:
        running.stop()
    assert "missing" in query(box.db, "SELECT message FROM system_events WHERE kind = 'recovery'")[0][0]


def test_garbage_in_the_database_is_moved_aside_and_the_box_comes_back(box):
    token = good_start(box)
    with box.db.open("r+b") as fh:
        fh.write(b"this is not an sqlite header!!!" * 4)
    running = box.start()
    running.wait_running()
    try:
        assert_owner_is_back(running, token)
    finally:
        running.stop()
    assert list(box.data_dir.glob("appliance.db.corrupt-*"))


def test_a_read_only_database_exits_with_one_line_and_touches_nothing(box, disk):
    if not disk.mounted and os.geteuid() == 0:
        pytest.skip("root ignores file modes, and this machine lets the test mount no read-only disk")
    good_start(box)
    before = box.files()
    if disk.mounted:
        disk.read_only(True)
    else:
        box.db.chmod(0o444)
        box.data_dir.chmod(0o555)
    try:
        code, _, stderr = box.run_to_exit()
    finally:
        if disk.mounted:
            disk.read_only(False)
        else:
            box.data_dir.chmod(0o700)
            box.db.chmod(0o600)
    line = one_clear_line(stderr)
    assert code != 0 and "read-only" in line and str(box.db) in line, line
    assert box.files() == before


def test_a_nan_in_a_device_row_disables_that_device_and_the_rest_runs(box):
    good_start(box)
    conn = sqlite3.connect(box.db)
    config = json.loads(conn.execute("SELECT config_json FROM adapters WHERE adapter_id = 'inv1_adapter'")
                        .fetchone()[0])
    config["poll_interval_s"] = float("nan")  # as an older appliance stored it: json.dumps writes NaN
    conn.execute("UPDATE adapters SET config_json = ? WHERE adapter_id = 'inv1_adapter'", (json.dumps(config),))
    conn.commit()
    conn.close()
    running = box.start()
    running.wait_running()
    try:
        assert running.get("/health").status_code == 200
        session = running.log_in()
        started = int(time.time() * 1000)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not query(
                box.db, f"SELECT 1 FROM meter_samples WHERE meter_id = 'grid' AND ts > {started}"):
            time.sleep(0.5)
        assert query(box.db, f"SELECT 1 FROM meter_samples WHERE meter_id = 'grid' AND ts > {started}")
        page = running.get("/devices/inverter:inv1", session)
        assert page.status_code == 200 and "poll_interval_s" in page.text and "finite" in page.text, page.text
        assert "finite" in running.get("/devices", session).text
        state = query(box.db, "SELECT lifecycle_state, health_status FROM device_registry "
                              "WHERE device_id = 'inverter:inv1'")
        assert state == [("failed", "error")]
        adapters = running.get("/api/adapters", session)
        listed = json.loads(adapters.text, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
        assert {a["adapter_id"] for a in listed} >= {"inv1_adapter", "grid_adapter"}
    finally:
        assert running.stop() == 0
    assert not list(box.data_dir.glob("*.corrupt-*")), "a bad row is not a broken database"
