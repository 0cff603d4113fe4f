"""The sample writer's flush interval: disk writes per day against the readings a kill -9 loses.

Run: .venv/bin/python benchmarks/flush_table.py [--intervals 1 10 60 300 600 1800] [--minutes 120]

One `appliance demo --no-web --flush-interval S` per interval runs at the same time (the demo costs
about 1 % of a core, so they do not disturb each other; each has its own ports and database).
After a warm-up of one interval, each is measured for the window (two hours by default, so that each
holds one of the two-hourly WAL checkpoints; see benchmarks/footprint.py): write_bytes of /proc/PID/io, and the
database's own growth (pages that hold data, read-only). Then each is killed with SIGKILL at a moment
of its flush cycle that depends on the interval, and reopened: the integrity check must pass, and the
readings missing are those taken after its last commit (the demo's 4 devices, one reading each per 5 s).
Then the next start's recovery runs (the sample writer takes back what its RAM spool in /dev/shm held,
acquisition/spool.py), and what is still missing is what the crash lost; a power cut would lose the first
column (RAM is gone). The default intervals are chosen from this table (docs/performance.md). With the
default intervals a run takes about two and a half hours (the warm-up is the longest interval).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from footprint import held, io_of  # noqa: E402 - a sibling script

REPO = Path(__file__).resolve().parents[1]
DAY = 86400
READINGS_PER_S = 4 / 5.0


def newest_sample_ms(db: Path) -> int:
    """The newest sample of the demo's database, after checking it is intact."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise SystemExit(f"{db} is corrupt after kill -9")
        return max(conn.execute(f"SELECT COALESCE(MAX(ts), 0) FROM {t}").fetchone()[0]  # noqa: S608
                   for t in ("energy_samples", "meter_samples", "battery_bank_samples"))
    finally:
        conn.close()


RECOVER = ("import sys; from pathlib import Path; from appliance.store.db import open_database; "
           "from appliance.acquisition.spool import for_database; from appliance.acquisition.writer import SampleWriter; "
           "open_database(sys.argv[1]); SampleWriter(spool=for_database(Path(sys.argv[1]))).start().stop()")


def restart_writer(db: Path) -> None:
    """What the next start does first: the writer takes back its RAM spool and writes it."""
    subprocess.run([sys.executable, "-c", RECOVER, str(db)], check=True, cwd=REPO, timeout=120)


def run(intervals: list[float], minutes: float, seed: int) -> list[dict[str, float]]:
    """Start one demo per interval, measure them side by side, kill -9 each; return their figures."""
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="flush-table-"))
    demos = []
    for interval in intervals:
        db = work / f"demo-{interval:g}.db"
        proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "--db", str(db), "demo", "--no-web",
                                 "--print-every", "3600", "--flush-interval", f"{interval:g}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
        demos.append({"interval": interval, "db": db, "proc": proc})
    try:
        warmup = max(d["interval"] for d in demos) + 60
        time.sleep(warmup)
        for d in demos:
            d["begin"] = (time.monotonic(), io_of(d["proc"].pid), held(d["db"]))
        time.sleep(minutes * 60)
        for d in demos:
            d["end"] = (time.monotonic(), io_of(d["proc"].pid), held(d["db"]))
        # Kill each at a random point of its cycle (after waiting up to one more interval).
        order = sorted(demos, key=lambda d: d["interval"])
        started = time.monotonic()
        for d in order:
            wait = started + rng.uniform(0, d["interval"]) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            d["killed_ms"] = time.time_ns() // 1_000_000
            os.kill(d["proc"].pid, signal.SIGKILL)
            d["proc"].wait(30)
    finally:
        for d in demos:
            if d["proc"].poll() is None:
                d["proc"].kill()
                d["proc"].wait(30)
    rows = []
    for d in demos:
        (t0, io0, (held0, _)), (t1, io1, (held1, _)) = d["begin"], d["end"]
        window = t1 - t0
        write = (io1.get("write_bytes", 0) - io0.get("write_bytes", 0)) / window
        growth = (held1 - held0) / window
        lost_s = max(0.0, (d["killed_ms"] - newest_sample_ms(d["db"])) / 1000)
        restart_writer(d["db"])
        after_s = max(0.0, (d["killed_ms"] - newest_sample_ms(d["db"])) / 1000)
        rows.append({"interval": d["interval"], "write_bps": write, "calls": (io1.get("syscw", 0)
                     - io0.get("syscw", 0)) / window, "growth_bps": growth, "lost_s": lost_s,
                     "lost_readings": lost_s * READINGS_PER_S, "after_s": after_s, "window": window})
    return rows


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--intervals", type=float, nargs="+", default=[1.0, 10.0, 60.0, 300.0, 600.0, 1800.0],
                        help="flush intervals in seconds (default 1 10 60 300 600 1800)")
    parser.add_argument("--minutes", type=float, default=120.0, help="measured window (default 120)")
    parser.add_argument("--seed", type=int, default=14, help="of the kill moments (default 14)")
    args = parser.parse_args()
    if not args.intervals or any(not 0.01 <= i <= 3600 for i in args.intervals) or not 0 < args.minutes <= 600:
        parser.error("intervals must be in [0.01, 3600] s and --minutes in (0, 600]")
    rows = run(args.intervals, args.minutes, args.seed)
    print(f"appliance demo (4 devices, one reading each per 5 s), {rows[0]['window'] / 60:.1f} minutes measured "
          f"per interval, all side by side; then kill -9 at a random moment of the flush cycle")
    print("| flush interval | disk writes | per day | write calls/s | database growth/day | writes / growth "
          "| not in the database at the kill -9 | lost after the next start (RAM spool) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = r["write_bps"] / r["growth_bps"] if r["growth_bps"] > 0 else float("inf")
        print(f"| {r['interval']:g} s | {r['write_bps'] / 1024:.2f} KiB/s | {r['write_bps'] * DAY / 1e6:.0f} MB | "
              f"{r['calls']:.2f} | {r['growth_bps'] * DAY / 1e6:.1f} MB | {ratio:.2f} | "
              f"{r['lost_s']:.1f} s ({r['lost_readings']:.0f} readings) | {r['after_s']:.1f} s |")


if __name__ == "__main__":
    main()
