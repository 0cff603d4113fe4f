"""Resident memory, CPU share and bytes on disk per sample of `appliance demo` running for N minutes.

Run: .venv/bin/python benchmarks/footprint.py [--minutes 10] [--web] [--every 5]

The demo listens on 127.0.0.1 only. Targets (issue 4): median RSS under 100 MB, under 5 % of one core.
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

SAMPLE_TABLES = ("energy_samples", "array_samples", "battery_bank_samples", "battery_unit_samples",
                 "battery_cell_samples", "meter_samples")
TICKS = os.sysconf("SC_CLK_TCK")


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


def count_samples(db: Path) -> dict[str, int]:
    """Rows per sample table, read-only."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in SAMPLE_TABLES}  # noqa: S608
    finally:
        conn.close()


def table_bytes(db: Path) -> tuple[int, int]:
    """Bytes in the pages of the sample tables and their indexes, and of the sync feed (dbstat)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_schema WHERE tbl_name IN (%s)" % ",".join("?" * len(SAMPLE_TABLES)),
            SAMPLE_TABLES)]
        size = conn.execute("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN (%s)"
                            % ",".join("?" * len(names)), names).fetchone()[0]
        feed = conn.execute("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN "
                            "(SELECT name FROM sqlite_schema WHERE tbl_name = 'sync_feed')").fetchone()[0]
        return size, feed
    except sqlite3.OperationalError:
        return 0, 0  # SQLite built without dbstat
    finally:
        conn.close()


def disk_bytes(db: Path) -> int:
    """Database plus write-ahead log size in bytes."""
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def run(minutes: float, web: bool, every_s: float) -> dict[str, float]:
    """Start the demo, sample it every `every_s` seconds for `minutes`, stop it, return the figures."""
    workdir = Path(tempfile.mkdtemp(prefix="footprint-"))
    db = workdir / "demo.db"
    command = [sys.executable, "-m", "appliance.cli", "--db", str(db), "demo", "--print-every", "60"]
    command += ["--port", "0"] if web else ["--no-web"]
    log = (workdir / "demo.log").open("w")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[1])
    rss: list[int] = []
    start_wall = time.monotonic()
    start_cpu: float | None = None
    end_cpu: float | None = None
    warmup_s = min(30.0, minutes * 60 / 4)  # imports and discovery are not the steady state
    try:
        deadline = start_wall + minutes * 60
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(every_s)
            now = time.monotonic()
            cpu, kb = cpu_s(proc.pid), rss_kb(proc.pid)
            if cpu is None or kb is None:
                break
            if now - start_wall >= warmup_s:
                if start_cpu is None:
                    start_cpu, steady_from = cpu, now
                end_cpu, steady_to = cpu, now
                rss.append(kb)
        total_cpu = cpu_s(proc.pid) or 0.0
        wall = time.monotonic() - start_wall
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait(timeout=10)
        log.close()
    if not rss or start_cpu is None or end_cpu is None:
        raise SystemExit(f"the demo stopped early (exit {proc.returncode}); see {workdir / 'demo.log'}")
    counts = count_samples(db)
    rows = sum(counts.values())
    in_tables, in_feed = table_bytes(db)
    steady = max(steady_to - steady_from, 1e-9)
    return {"minutes": wall / 60, "rss_median_mb": statistics.median(rss) / 1024, "rss_max_mb": max(rss) / 1024,
            "cpu_steady_pct": 100 * (end_cpu - start_cpu) / steady, "cpu_whole_pct": 100 * total_cpu / wall,
            "rows": rows, "bytes_per_row": disk_bytes(db) / rows if rows else float("nan"),
            "table_bytes_per_row": in_tables / rows if rows else float("nan"),
            "feed_bytes_per_row": in_feed / rows if rows else float("nan"),
            "exit": code, "cells": counts["battery_cell_samples"]}


def main() -> None:
    """Parse the options, run, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the demo runs (default 10)")
    parser.add_argument("--web", action="store_true", help="also serve the web UI (on 127.0.0.1, a free port)")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between samples of RSS and CPU")
    args = parser.parse_args()
    if not 0 < args.minutes <= 24 * 60 or not 0 < args.every <= 60:
        parser.error("--minutes must be in (0, 1440] and --every in (0, 60]")
    figures = run(args.minutes, args.web, args.every)
    print(f"appliance demo{' with web UI' if args.web else ' --no-web'}, run for {figures['minutes']:.1f} minutes "
          f"(--minutes {args.minutes:g}), exit code {figures['exit']}")
    print(f"  resident memory: median {figures['rss_median_mb']:.1f} MB, max {figures['rss_max_mb']:.1f} MB "
          f"(target < 100 MB)")
    print(f"  CPU: {figures['cpu_steady_pct']:.2f} % of one core in the steady state, "
          f"{figures['cpu_whole_pct']:.2f} % including start-up (target < 5 %)")
    print(f"  disk: {figures['bytes_per_row']:.0f} bytes per stored sample row (db + wal over "
          f"{figures['rows']} rows, {figures['cells']} of them cell rows)")
    print(f"        {figures['table_bytes_per_row']:.0f} bytes per row in the sample tables' own pages, "
          f"{figures['feed_bytes_per_row']:.0f} in the sync feed's (the rest is schema, catalog and free pages)")


if __name__ == "__main__":
    main()
