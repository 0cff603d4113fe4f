"""`appliance demo` on a fresh database: seconds from the start of the process to the UI's first 200.

Run: .venv/bin/python benchmarks/startup.py [--runs 5]

The demo starts on 127.0.0.1 with a free port; the script reads the URL it prints and polls /health
until it answers 200. It also notes when every simulated device is active (discovery, BLE included,
runs behind the UI). The baseline, in the same run: a Python process that imports the web UI and
answers 200 from a bare Flask app on waitress, the floor of any Python UI process on this machine.
Target (issue 14): at most 2 s to the first 200.
"""

from __future__ import annotations

import argparse
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BARE = """
import sys
from flask import Flask
from waitress.server import create_server
import appliance.web  # the same imports as the UI
app = Flask("bare")
app.add_url_rule("/health", "health", lambda: "ok")
server = create_server(app, host="127.0.0.1", port=0)
print(f"open http://127.0.0.1:{server.effective_port}/", flush=True)
server.run()
"""


def _first_200(proc: subprocess.Popen, started: float, limit_s: float) -> float:
    """Seconds from `started` until the printed URL's /health answers 200."""
    assert proc.stdout is not None
    url = None
    while url is None:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"the process ended before printing its URL (exit {proc.poll()})")
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        url = found.group(1) if found else None
    while time.monotonic() - started < limit_s:
        try:
            with urllib.request.urlopen(url + "health", timeout=2) as answer:  # noqa: S310 - 127.0.0.1 only
                if answer.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"no 200 from {url} within {limit_s} s")


def _all_active(db: Path) -> bool:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
        try:
            rows = conn.execute("SELECT lifecycle_state FROM device_registry").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return len(rows) >= 4 and all(r[0] == "active" for r in rows)


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def demo_once(limit_s: float) -> tuple[float, float | None]:
    """(seconds to the first 200, seconds until every device is active or None) of one fresh demo."""
    with tempfile.TemporaryDirectory(prefix="startup-") as tmp:
        db = Path(tmp) / "demo.db"
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "--db", str(db), "demo", "--port", "0",
                                 "--print-every", "3600", "--flush-interval", "2"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, cwd=REPO)
        try:
            first = _first_200(proc, started, limit_s)
            active = None
            while time.monotonic() - started < limit_s:
                if _all_active(db):
                    active = time.monotonic() - started
                    break
                time.sleep(0.1)
        finally:
            _stop(proc)
        return first, active


def bare_once(limit_s: float) -> float:
    """Seconds to the first 200 of a bare Flask app with the UI's imports."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", BARE], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, cwd=REPO)
    try:
        return _first_200(proc, started, limit_s)
    finally:
        _stop(proc)


def main() -> None:
    """Print the medians."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fresh demos started (default 5)")
    parser.add_argument("--limit", type=float, default=90.0, help="seconds a run may take (default 90)")
    args = parser.parse_args()
    if not 1 <= args.runs <= 50:
        parser.error("--runs must be between 1 and 50")
    demo, active, bare = [], [], []
    for _ in range(args.runs):
        first, all_active = demo_once(args.limit)
        demo.append(first)
        if all_active is not None:
            active.append(all_active)
        bare.append(bare_once(args.limit))
    print(f"appliance demo on a fresh database, {args.runs} runs")
    print(f"  start to first 200: median {statistics.median(demo):.2f} s (min {min(demo):.2f}, max {max(demo):.2f}) "
          f"(target <= 2 s)")
    if active:
        print(f"  start to every simulated device active (discovery behind the UI): median "
              f"{statistics.median(active):.1f} s")
    print(f"  baseline, a bare Flask app with the UI's imports: median {statistics.median(bare):.2f} s; "
          f"ratio demo/baseline {statistics.median(demo) / statistics.median(bare):.2f}")


if __name__ == "__main__":
    main()
