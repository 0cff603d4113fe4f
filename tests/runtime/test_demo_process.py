"""`appliance demo` as a subprocess: every device found, active and stored within a minute; SIGTERM flushes."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance.clock import clock_synchronised

REPO = Path(__file__).resolve().parents[2]
TABLES = ("energy_samples", "meter_samples", "battery_bank_samples", "battery_unit_samples",
          "battery_cell_readings", "array_samples")
DEVICE_SAMPLES = """
    SELECT d.device_id, d.lifecycle_state,
           (SELECT COUNT(*) FROM energy_samples s WHERE s.inverter_id = d.catalog_id)
         + (SELECT COUNT(*) FROM meter_samples s WHERE s.meter_id = d.catalog_id)
         + (SELECT COUNT(*) FROM battery_bank_samples s WHERE s.pack_id = d.catalog_id)
    FROM device_registry d"""


def _query(db: Path, sql: str) -> list[tuple]:
    """Read the demo's database from outside the process (WAL: never blocks the writer)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return []
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []  # not migrated yet
    finally:
        conn.close()


def _totals(db: Path) -> dict[str, tuple[int, int]]:
    """(row count, newest ts) per sample table."""
    return {t: _query(db, f"SELECT COUNT(*), COALESCE(MAX(ts), 0) FROM {t}")[0] for t in TABLES}  # noqa: S608


@pytest.fixture
def demo_process(tmp_path: Path):
    """`python -m appliance.cli --db TMP demo --no-web --print-every 5 --flush-interval 2`, killed if a test leaves
    it running (samples reach the database every 2 s instead of the production interval)."""
    out = (tmp_path / "stdout.txt").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "--db", str(tmp_path / "demo.db"), "demo",
                             "--no-web", "--print-every", "5", "--flush-interval", "2"], cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc, tmp_path / "demo.db", tmp_path / "stdout.txt"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        out.close()


def test_demo_finds_polls_and_stores_every_device_then_stops_cleanly_on_sigterm(demo_process) -> None:
    proc, db, stdout = demo_process
    started = time.monotonic()
    rows: list[tuple] = []
    while time.monotonic() - started < 60:
        assert proc.poll() is None, stdout.read_text()
        rows = _query(db, DEVICE_SAMPLES)
        if len(rows) >= 4 and all(state == "active" and count > 0 for _, state, count in rows):
            break
        time.sleep(1)
    else:
        pytest.fail(f"not every device active with samples within 60 s: {rows}\n{stdout.read_text()}")
    kinds = sorted(device_id.split(":")[0] for device_id, _, _ in rows)
    assert kinds == ["battery_pack", "battery_pack", "inverter", "meter"]

    # Let a print tick pass so the live lines are out, then stop it as systemd would.
    deadline = time.monotonic() + 15
    while "via" not in stdout.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    before = _totals(db)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    after = _totals(db)

    for table, (count, newest) in before.items():
        assert after[table][0] >= count and after[table][1] >= newest, table
    assert sum(c for c, _ in after.values()) > 0
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        if clock_synchronised():  # on a host whose clock is synchronised no sample is marked
            assert conn.execute("SELECT COUNT(*) FROM energy_samples WHERE flags & 1").fetchone()[0] == 0
    finally:
        conn.close()
    # Every device has a live line; the precise flush-on-SIGTERM check is in test_sigterm.py (in-process).
    printed = [line for line in stdout.read_text().splitlines() if " via " in line]
    assert {line.split()[0] for line in printed} == {device_id for device_id, _, _ in rows}
