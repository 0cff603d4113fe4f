"""`appliance simulate`: the live pipeline on a virtual clock, a progress bar on a terminal, one line on a pipe."""

from __future__ import annotations

import os
import pty
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_on_a_pipe_only_the_summary_is_printed_and_the_day_is_stored(tmp_path):
    db = tmp_path / "sim.db"
    result = subprocess.run([sys.executable, "-m", "appliance.cli", "--db", str(db), "simulate", "--days", "0.05"],
                            capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("simulated 0.05 days: ") and "bytes per reading" in lines[0]
    conn = sqlite3.connect(db)
    try:
        # 72 minutes at one reading a minute per device, through discovery, drivers, writer and rollups.
        per_device = conn.execute("SELECT COUNT(*) FROM meter_samples").fetchone()[0]
        assert 70 <= per_device <= 74
        assert conn.execute("SELECT COUNT(*) FROM battery_cell_readings").fetchone()[0] >= 2 * 70
        assert conn.execute("SELECT COUNT(*) FROM energy_5m").fetchone()[0] >= 12
        assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0  # checkpointed
    finally:
        conn.close()


def test_on_a_terminal_a_progress_bar_is_drawn(tmp_path):
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "--db", str(tmp_path / "sim.db"), "simulate",
                                 "--days", "0.05"], stdout=subprocess.PIPE, stderr=slave, text=True, cwd=REPO)
        os.close(slave)
        out, _ = proc.communicate(timeout=300)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    assert proc.returncode == 0
    assert b"\r[#" in seen and b"100.0%" in seen and b"readings" in seen
    assert len(out.splitlines()) == 1
