"""The real `appliance run` on a size-limited tmpfs (where this machine lets the test mount one): the disk fills
up while it runs, the alerts say so (nearly full, then the database failing), and clear when space returns."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from appliance.sim.iammeter import IamMeterSim
from appliance.sim.powdrive import PowdriveSim
from tests.runtime.appliance_process import PASSWORD, Box, SmallDisk
from tests.runtime.conftest import wait_until

pytestmark = pytest.mark.slow  # whole processes for tens of seconds (setup.cfg)

CONFIG = """\
home: {{id: home, name: Home, timezone: UTC}}
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
#: Set before the start, as an owner would in Settings: alert below 4 MB of room, clear at once.
SETTINGS = {"alerts.disk_nearly_full.free_mb": 4, "alerts.disk_nearly_full.clear_s": 0,
            "alerts.database_error.clear_s": 0}


@pytest.fixture
def disk(tmp_path: Path):
    small = SmallDisk(tmp_path / "disk", size_mb=24)
    if not small.mount():
        pytest.skip("this machine does not let the test mount a tmpfs (max_page_count is tested in-process)")
    yield small
    small.unmount()


@pytest.mark.timeout(240)
def test_a_filling_disk_raises_its_alerts_in_the_running_box_and_they_clear(disk, tmp_path):
    inverter, meter = PowdriveSim().tcp(1), IamMeterSim().tcp(1)
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.format(inverter=inverter.port, meter=meter.port))
    data = disk.where / "data"
    data.mkdir(mode=0o700)
    box = Box(data, config)
    running = None
    try:
        assert box.cli("set-password", stdin=PASSWORD + "\n").returncode == 0
        conn = sqlite3.connect(box.db)
        with conn:
            conn.executemany("INSERT OR REPLACE INTO app_settings (key, value) VALUES (?, ?)",
                             [(k, json.dumps(v)) for k, v in SETTINGS.items()])
        conn.close()
        running = box.start()
        running.wait_running()
        session = running.log_in()

        def kinds() -> set[str]:
            return {a["kind"] for a in running.get("/api/alerts", session).json()["alerts"]}

        assert kinds() == set()
        disk.fill(leave=2 * 1024 * 1024)  # 2 MB left: under the 4 MB threshold
        wait_until(lambda: "disk_nearly_full" in kinds(), 30)
        disk.fill()  # full: the writer's commits fail
        wait_until(lambda: "database_error" in kinds(), 60)
        [failing] = [a for a in running.get("/api/alerts", session).json()["alerts"] if a["kind"] == "database_error"]
        assert "full" in failing["message"]
        status = running.get("/api/status", session).json()
        assert status["appliance"]["writer"]["state"] == "down" and status["appliance"]["disk"]["state"] == "down"
        disk.free()
        wait_until(lambda: not kinds() & {"disk_nearly_full", "database_error"}, 60)
        time.sleep(1)
        history = {a["kind"]: a for a in running.get("/api/alerts?all=1", session).json()["alerts"]}
        assert history["disk_nearly_full"]["ended_at"] and history["database_error"]["ended_at"]
        assert running.stop() == 0
        running = None
        rows = sqlite3.connect(box.db).execute("SELECT kind, ended_at IS NOT NULL FROM alerts ORDER BY alert_id")
        assert sorted(rows.fetchall()) == [("database_error", 1), ("disk_nearly_full", 1)], "stored once space came back"
    finally:
        if running is not None:
            running.stop()
        inverter.stop()
        meter.stop()
