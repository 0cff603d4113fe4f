"""Resident memory of `appliance demo --backfill DAYS` after the backfill and after N web requests.

Run: .venv/bin/python benchmarks/memory.py [--days 7] [--requests 12000]

The demo backfills DAYS of history on its virtual clock, then serves its UI on 127.0.0.1. The script
sets the admin password through /setup (a fresh demo has none), then sends the requests round-robin
over the pages and API routes a homeowner's browser uses (dashboard fragment, history day and year,
energy, devices, settings), and reads VmRSS of /proc/PID/status. The baseline, in the same run: a
Python process with the UI's imports serving a bare Flask app (the floor of a Python web process).
Target (issue 14): under 100 MB after a 7-day backfill and 12,000 requests.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from footprint import rss_kb  # noqa: E402 - a sibling script
from startup import BARE  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "memory-bench-password"
TODAY = time.strftime("%Y-%m-%d")
YEAR_AGO = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 365 * 86400))
PATHS = ("/", "/dashboard/live", "/history", "/energy", "/devices", "/settings",
         f"/api/history/system/system?resolution=5m&from={TODAY}",
         f"/api/history/system/system?resolution=1d&from={YEAR_AGO}&to={TODAY}",
         "/api/power-flow/system", "/api/storage")


def threads_of(pid: int) -> int:
    """Threads of a process (each thread that used the database holds its own SQLite connection)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def _url_of(proc: subprocess.Popen, limit_s: float) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"the process ended early (exit {proc.poll()})")
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        if found:
            return found.group(1)
    raise SystemExit(f"no URL printed within {limit_s} s")


def _session(url: str) -> urllib.request.OpenerDirector:
    """A cookie session logged in as the admin (the password set through /setup)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(url + "setup", timeout=30).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    form = {"csrf_token": token.group(1) if token else "", "password": PASSWORD, "confirmation": PASSWORD}
    # The first run also asks the home's time zone and currency: keep what the page proposes.
    for name in ("timezone", "currency"):
        select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.DOTALL)
        chosen = re.search(r'<option value="([^"]*)" selected>', select.group(0)) if select else None
        if chosen:
            form[name] = chosen.group(1)
    body = urllib.parse.urlencode(form).encode()
    opener.open(url + "setup", data=body, timeout=30).read()
    landed = opener.open(url + "settings", timeout=30)
    if any(part in landed.geturl() for part in ("/login", "/setup")):
        raise SystemExit(f"the session is not logged in (GET /settings landed on {landed.geturl()})")
    return opener


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def main() -> None:
    """Run the demo, the requests and the baseline; print resident memory."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=float, default=7.0, help="days backfilled first (default 7)")
    parser.add_argument("--requests", type=int, default=12_000, help="web requests after it (default 12000)")
    args = parser.parse_args()
    if not 0 < args.days <= 60 or not 1 <= args.requests <= 1_000_000:
        parser.error("--days must be in (0, 60] and --requests in 1..1000000")
    with tempfile.TemporaryDirectory(prefix="memory-") as tmp:
        proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "--db", str(Path(tmp) / "demo.db"), "demo",
                                 "--backfill", f"{args.days:g}", "--port", "0", "--print-every", "3600"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO)
        try:
            url = _url_of(proc, 3600)
            after_backfill = rss_kb(proc.pid) or 0
            session = _session(url)
            errors: dict[str, int] = {}
            for n in range(args.requests):
                path = PATHS[n % len(PATHS)]
                try:
                    session.open(url.rstrip("/") + path, timeout=30).read()
                except OSError:
                    errors[path] = errors.get(path, 0) + 1
            after_requests = rss_kb(proc.pid) or 0
            threads = threads_of(proc.pid)
        finally:
            _stop(proc)
    bare = subprocess.Popen([sys.executable, "-c", BARE], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, cwd=REPO)
    try:
        _url_of(bare, 60)
        time.sleep(0.5)
        baseline = rss_kb(bare.pid) or 0
    finally:
        _stop(bare)
    print(f"appliance demo --backfill {args.days:g}: resident memory {after_backfill / 1024:.1f} MB after the "
          f"backfill, {after_requests / 1024:.1f} MB after {args.requests:,} web requests "
          f"({sum(errors.values())} failed{': ' + str(errors) if errors else ''}) (target < 100 MB); "
          f"{threads} threads")
    print(f"  baseline, a bare Flask app with the UI's imports: {baseline / 1024:.1f} MB; "
          f"demo/baseline {after_requests / max(baseline, 1):.2f}")


if __name__ == "__main__":
    main()
