"""Memory, CPU, disk writes and storage growth of `appliance demo`, beside a lean logger in the same run.

Run: .venv/bin/python benchmarks/footprint.py [--minutes 120] [--web] [--every 5] [--flush-interval S] [--page-size N]

The demo (4 simulated devices on 127.0.0.1, polled every 5 s) runs as a subprocess; its stdout goes
to /dev/null so only what the appliance itself writes counts. It flushes at its own interval: 1800 s
where its RAM spool can live in tmpfs (/dev/shm here), 300 s where not; --flush-interval overrides it.
After a warm-up (imports, discovery; shorter than a flush interval, so the window holds every reading it
stores), the script reads `/proc/PID/io` and the database's pages (read-only: page_count minus
freelist_count, what the database holds) at both ends of the window, and prints:

- disk writes: write_bytes per second and per day, write calls per second;
- the database's own growth per day, the writes over the growth, bytes per stored reading;
- device_health rows written in the window against the polls (health is written on a change and
  as a 15-minute summary, not per poll);
- resident memory and CPU share.

The window should be the whole checkpoint cycle (the default, two hours): the appliance checkpoints its
WAL at the start and then every 7200 s after a flush, and in between it writes a flush every 1800 s (300 s
without a spool) and rollups at most hourly while nobody looks. Two hours from the start hold four
flushes, two rollup runs and the checkpoint that copies all of them. A shorter window leaves the
checkpoint out and understates the writes; the script says so.

The lean baseline runs at the same time: a second process that stores the same readings (4 devices
every 5 s, 253-byte rows like a lean table with energy_samples' columns) into one table keyed
(device, ts) WITHOUT ROWID, WAL, synchronous=NORMAL, committing at the same interval and checkpointing
its WAL as often as the appliance does. It is the floor of storing those readings in SQLite; the appliance adds its schema, rollups and sync bookkeeping.
Targets (issue 14): at most 8 KiB/s and under 3x the database's growth; RSS under 100 MB.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
REPO = Path(__file__).resolve().parents[1]
READING_TABLES = ("energy_samples", "meter_samples", "battery_bank_samples")  # one row per reading
TICKS = os.sysconf("SC_CLK_TCK")
DAY = 86400
#: The appliance's WAL checkpoint interval (RuntimeOptions.checkpoint_interval_s); the lean logger does the same.
CHECKPOINT_S = 7200.0


def io_of(pid: int) -> dict[str, int]:
    """The process's /proc/PID/io counters ({} when it is gone)."""
    try:
        return {k: int(v) for k, v in (line.split(":") for line in Path(f"/proc/{pid}/io").read_text().splitlines())}
    except OSError:
        return {}


def rss_kb(pid: int) -> int | None:
    """VmRSS of a process in kB, or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_s(pid: int) -> float | None:
    """User plus system CPU seconds of a process, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "; fields[0] is field 3 (state)
    return (int(fields[11]) + int(fields[12])) / TICKS


def held(db: Path, tables: tuple[str, ...] = READING_TABLES) -> tuple[int, int]:
    """(bytes in pages that hold data, readings stored) of a database, read-only (WAL included)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        pages = conn.execute("PRAGMA page_count").fetchone()[0] - conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        readings = 0
        for table in tables:
            try:
                readings += conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
            except sqlite3.OperationalError:
                pass  # not created yet
        return pages * size, readings
    finally:
        conn.close()


def page_size_of(db: Path) -> int:
    """The database's page size."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()


def health_rows(db: Path) -> int:
    """Rows of device_health (one per write of a device's health), read-only; 0 before the table exists."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM device_health").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def lean_logger(db: Path, flush_s: float, devices: int, every_s: float, seconds: float,
                checkpoint_s: float = CHECKPOINT_S) -> None:
    """The baseline process: store `devices` readings every `every_s` in a lean table, commit every `flush_s`,
    checkpoint the WAL after a commit at most every `checkpoint_s`, the first time one interval after the start."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS samples (device TEXT NOT NULL, ts INTEGER NOT NULL, body BLOB, "
                 "PRIMARY KEY (device, ts)) WITHOUT ROWID")
    body = os.urandom(200)  # with the key, a 253-byte row
    pending: list[tuple[str, int, bytes]] = []
    start = time.monotonic()
    next_poll, next_flush = start, start + flush_s
    checkpointed = start
    while time.monotonic() - start < seconds:
        now = time.monotonic()
        if now >= next_poll:
            ts = time.time_ns() // 1_000_000
            pending += [(f"device-{d:02d}-of-the-lean-logger", ts, body) for d in range(devices)]
            next_poll += every_s
        if now >= next_flush and pending:
            conn.execute("BEGIN")
            conn.executemany("INSERT OR REPLACE INTO samples VALUES (?, ?, ?)", pending)
            conn.execute("COMMIT")
            pending, next_flush = [], next_flush + flush_s
            if time.monotonic() - checkpointed >= checkpoint_s * 0.95:  # as the appliance's Runtime._due
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                checkpointed = time.monotonic()
        time.sleep(max(0.0, min(next_poll, next_flush) - time.monotonic()))
    conn.close()


def demo_interval(db: Path) -> float:
    """The flush interval the demo on `db` picks itself: longer with a RAM spool (acquisition/spool.py)."""
    from appliance.acquisition.spool import for_database
    from appliance.acquisition.writer import DEFAULT_FLUSH_INTERVAL_S, SPOOLED_FLUSH_INTERVAL_S

    return SPOOLED_FLUSH_INTERVAL_S if for_database(db) is not None else DEFAULT_FLUSH_INTERVAL_S


def run(minutes: float, web: bool, every_s: float, flush_s: float | None, warmup_s: float,
        page_size: int | None = None) -> dict[str, float]:
    """Run the demo and the lean logger side by side; return the figures of the window after the warm-up."""
    workdir = Path(tempfile.mkdtemp(prefix="footprint-"))
    db, lean_db = workdir / "demo.db", workdir / "lean.db"
    flush = flush_s or demo_interval(db)
    if page_size:
        from simulate import precreate

        precreate(db, page_size)
    command = [sys.executable, "-m", "appliance.cli", "--db", str(db), "demo", "--print-every", "3600"]
    command += ["--port", "0"] if web else ["--no-web"]
    if flush_s:
        command += ["--flush-interval", str(flush_s)]
    total_s = warmup_s + minutes * 60
    demo = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    lean = subprocess.Popen([sys.executable, __file__, "--lean-logger", str(lean_db), "--flush-interval", str(flush),
                             "--seconds", str(total_s + 5)], cwd=REPO)
    rss: list[int] = []
    try:
        time.sleep(warmup_s)
        if demo.poll() is not None:
            raise SystemExit(f"the demo stopped early (exit {demo.returncode})")
        begin = {"t": time.monotonic(), "io": io_of(demo.pid), "lean": io_of(lean.pid), "cpu": cpu_s(demo.pid),
                 "held": held(db), "lean_held": held(lean_db, ("samples",)), "health": health_rows(db)}
        deadline = begin["t"] + minutes * 60
        while time.monotonic() < deadline and demo.poll() is None:
            time.sleep(min(every_s, max(0.0, deadline - time.monotonic())))
            kb = rss_kb(demo.pid)
            if kb is not None:
                rss.append(kb)
        end = {"t": time.monotonic(), "io": io_of(demo.pid), "lean": io_of(lean.pid), "cpu": cpu_s(demo.pid),
               "held": held(db), "lean_held": held(lean_db, ("samples",)), "health": health_rows(db)}
    finally:
        for proc in (demo, lean):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (demo, lean):
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
    window = end["t"] - begin["t"]

    def rate(name: str, which: str = "io") -> float:
        return (end[which].get(name, 0) - begin[which].get(name, 0)) / window

    growth = (end["held"][0] - begin["held"][0]) / window
    lean_growth = (end["lean_held"][0] - begin["lean_held"][0]) / window
    readings = end["held"][1] - begin["held"][1]
    return {"window_s": window, "flush_s": flush, "write_bps": rate("write_bytes"), "calls_ps": rate("syscw"),
            "growth_bps": growth, "readings": readings,
            "bytes_per_reading": (end["held"][0] - begin["held"][0]) / readings if readings else float("nan"),
            "lean_write_bps": rate("write_bytes", "lean"), "lean_growth_bps": lean_growth,
            "rss_median_mb": statistics.median(rss) / 1024 if rss else float("nan"),
            "rss_max_mb": max(rss) / 1024 if rss else float("nan"),
            "cpu_pct": 100 * ((end["cpu"] or 0) - (begin["cpu"] or 0)) / window,
            "health_rows": end["health"] - begin["health"], "page_size": page_size_of(db)}


def main() -> None:
    """Parse the options, run, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=CHECKPOINT_S / 60,
                        help="measured window after the warm-up (default 120: every periodic write, the "
                             "checkpoint included)")
    parser.add_argument("--web", action="store_true", help="also serve the web UI (on 127.0.0.1, a free port)")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between samples of RSS (default 5)")
    parser.add_argument("--flush-interval", type=float, default=None, help="the writer's interval (default: its own)")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds before the window (default 660: the start, discovery; less than a flush)")
    parser.add_argument("--page-size", type=int, choices=(1024, 2048, 4096, 8192), default=None,
                        help="make the demo's database with this page size first (an A/B; default: its own)")
    parser.add_argument("--lean-logger", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=60.0, help=argparse.SUPPRESS)
    parser.add_argument("--lean-devices", type=int, default=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.lean_logger:
        lean_logger(Path(args.lean_logger), args.flush_interval or 300.0, args.lean_devices, 5.0, args.seconds)
        return
    if not 0 < args.minutes <= 24 * 60 or not 0 < args.every <= 60:
        parser.error("--minutes must be in (0, 1440] and --every in (0, 60]")
    interval = args.flush_interval or demo_interval(Path(tempfile.gettempdir()) / "footprint-probe.db")
    warmup = args.warmup if args.warmup is not None else min(660.0, interval / 2)
    f = run(args.minutes, args.web, args.every, args.flush_interval, warmup, args.page_size)
    kib = f["write_bps"] / 1024
    ratio = f["write_bps"] / f["growth_bps"] if f["growth_bps"] > 0 else float("inf")
    lean_ratio = f["lean_write_bps"] / f["lean_growth_bps"] if f["lean_growth_bps"] > 0 else float("inf")
    print(f"appliance demo{' with web UI' if args.web else ' --no-web'}: {f['window_s'] / 60:.1f} minutes measured "
          f"after a {warmup:.0f} s warm-up; flush interval {f['flush_s']:g} s; {f['readings']} readings stored; "
          f"page size {f['page_size']} bytes")
    print(f"  disk writes: {kib:.2f} KiB/s = {f['write_bps'] * DAY / 1e9:.3f} GB/day "
          f"(write_bytes of /proc/PID/io), {f['calls_ps']:.2f} write calls/s (target <= 8 KiB/s)")
    print(f"  database growth: {f['growth_bps'] * DAY / 1e6:.1f} MB/day; writes / growth = {ratio:.2f} (target < 3); "
          f"{f['bytes_per_reading']:.0f} bytes per stored reading")
    print(f"  health rows written (device_health): {f['health_rows']} for {f['readings']} polls "
          f"(target: on a change of state and a periodic summary, not one per poll)")
    print(f"  lean logger, same readings and interval: {f['lean_write_bps'] / 1024:.2f} KiB/s, growth "
          f"{f['lean_growth_bps'] * DAY / 1e6:.1f} MB/day, writes / growth = {lean_ratio:.2f}; "
          f"appliance / lean writes = {f['write_bps'] / f['lean_write_bps']:.2f}" if f["lean_write_bps"] else
          "  lean logger: wrote nothing in the window")
    if f["window_s"] < CHECKPOINT_S:
        print(f"  note: the window is shorter than the WAL checkpoint's interval ({CHECKPOINT_S:g} s), whose writes "
              f"it may leave out: writes are understated (use --minutes {CHECKPOINT_S / 60:g})")
    print(f"  resident memory: median {f['rss_median_mb']:.1f} MB, max {f['rss_max_mb']:.1f} MB (target < 100 MB); "
          f"CPU {f['cpu_pct']:.2f} % of one core")


if __name__ == "__main__":
    main()
