"""kill -9 during ingestion, 50 times: the database is never corrupt and loses at most one flush interval."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # whole processes for tens of seconds (setup.cfg)

FLUSH_S = 0.5
#: A flush that starts at the end of its interval still takes a moment (more on a busy CI machine).
FLUSH_SLACK_S = 0.75
STEP_MS = 5
KILLS = 50

def ingest_script(flush_s: float, spool: bool = False) -> str:
    """A process that writes sample n of inverter i1 at start + n * STEP_MS (argv: db, start[, spool folder])."""
    make = "Spool.in_ram(Path(sys.argv[3]))" if spool else "None"
    return textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from appliance.acquisition.spool import Spool
        from appliance.acquisition.writer import SampleWriter
        from appliance.catalog import devices, systems
        from appliance.store.db import open_database
        from appliance.store.models import Inverter
        open_database(sys.argv[1])
        if Inverter.get_or_none(Inverter.inverter_id == "i1") is None:
            systems.create_system("home", "Home"); systems.create_array("roof", "home", "Roof")
            devices.create_inverter("i1", "roof", "One")
        start = int(sys.argv[2])
        writer = SampleWriter(flush_interval_s={flush_s}, spool={make}).start()
        print("ready", flush=True)
        t0 = time.monotonic()
        for n in range(10**9):
            # Sample n is due at t0 + n * STEP: its ts says when it was taken, so a loss is measured in time.
            wait = t0 + n * {STEP_MS} / 1000 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            ts = start + n * {STEP_MS}
            writer.submit({{"energy_samples": [(ts, "i1", "roof", "home", n % 5000, 0, 0, None, None, None, None, None,
                                               None, None, None, None, None, None, None, None, None, None, None, None,
                                               "{{}}", 0)]}})
    """)


INGEST = ingest_script(FLUSH_S)


def _ingest_and_kill(path: Path, start_ms: int, rng: random.Random) -> tuple[float, int]:
    """Run the writer, kill -9 it after a random while; return (seconds of samples lost, samples kept)."""
    proc = subprocess.Popen([sys.executable, "-c", INGEST, str(path), str(start_ms)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        began = time.monotonic()
        time.sleep(rng.uniform(0.2, 1.0))
        os.kill(proc.pid, signal.SIGKILL)
        killed_after_ms = (time.monotonic() - began) * 1000
    finally:
        proc.wait(10)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stamps = [r[0] for r in conn.execute("SELECT ts FROM energy_samples WHERE inverter_id = 'i1' AND ts >= ? "
                                             "ORDER BY ts", (start_ms,))]
    finally:
        conn.close()
    # What was stored is a prefix of what was taken: nothing in the middle went missing.
    assert stamps == list(range(start_ms, start_ms + len(stamps) * STEP_MS, STEP_MS))
    newest_ms = (stamps[-1] - start_ms) if stamps else -STEP_MS
    return max(0.0, killed_after_ms - newest_ms) / 1000, len(stamps)


def test_fifty_kill_9_during_ingestion_corrupt_nothing_and_lose_at_most_one_flush_interval(tmp_path):
    path = tmp_path / "killed.db"
    rng = random.Random(14)
    start = 1_780_000_000_000
    losses, kept = [], 0
    for _ in range(KILLS):
        lost_s, count = _ingest_and_kill(path, start, rng)
        losses.append(lost_s)
        kept += count
        start += 3_600_000  # the next run's samples come later, as after a restart
    assert kept > 0
    assert max(losses) <= FLUSH_S + FLUSH_SLACK_S, sorted(losses)[-5:]
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM energy_samples").fetchone()[0] == kept
    finally:
        conn.close()
