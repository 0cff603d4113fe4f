"""`appliance simulate --days N`: wall time, CPU share, disk writes against the database's size, bytes per reading.

Run: .venv/bin/python benchmarks/simulate.py [--days 1 7] [--step 60] [--page-size 4096]

Each run is a subprocess writing a fresh database; its stdout is a pipe, so it must print only its
summary line. Disk writes are the child's block output (`ru_oublock` x 512 bytes, from wait4), which
counts everything the process wrote, the final checkpoint included. The lean baseline, in the same
run: a process that stores as many readings (4 devices, one per step) as 253-byte rows in one table
keyed (device, ts) WITHOUT ROWID (WAL, synchronous=NORMAL), committing as often as the backfill does
(every simulated day).
--page-size makes the database file first with that page size (an A/B of the appliance's 2 kB pages:
SQLite keeps the page size of an existing database).
Targets (issue 14): 1 day in at most 30 s and 7 days in at most 3 minutes, CPU-bound; writes at most
3x the database's size; at most 500 bytes on disk per stored reading.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEVICES = 4


def _measured(command: list[str]) -> tuple[float, float, int, str, str]:
    """Run a command with wait4; (wall s, CPU s, bytes written, stdout, stderr)."""
    started = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}): {err.strip()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_oublock * 512, out, err


def lean_store(db: Path, readings: int, per_commit: int) -> None:
    """The baseline: `readings` 253-byte rows of 4 devices into a lean table, `per_commit` per transaction."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE samples (device TEXT NOT NULL, ts INTEGER NOT NULL, body BLOB, "
                 "PRIMARY KEY (device, ts)) WITHOUT ROWID")
    body = os.urandom(200)
    rows = [(f"device-{n % DEVICES:02d}-of-the-lean-baseline", 1_780_000_000_000 + (n // DEVICES) * 60_000, body)
            for n in range(readings)]
    for at in range(0, len(rows), per_commit):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO samples VALUES (?, ?, ?)", rows[at:at + per_commit])
        conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _size(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())


def _readings(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return sum(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608
                   for t in ("energy_samples", "meter_samples", "battery_bank_samples"))
    finally:
        conn.close()


def precreate(db: Path, page_size: int) -> None:
    """An empty database file whose pages are `page_size` bytes (written by a table made and dropped)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(f"PRAGMA page_size = {int(page_size)}")
    conn.execute("CREATE TABLE page_size_probe (x)")
    conn.execute("DROP TABLE page_size_probe")
    conn.close()


def page_size_of(db: Path) -> int:
    """The database's page size."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()


def measure(days: float, step: float, page_size: int | None = None) -> dict[str, float]:
    """Simulate `days` into a fresh database and run the lean baseline for as many readings."""
    with tempfile.TemporaryDirectory(prefix="simulate-") as tmp:
        db, lean_db = Path(tmp) / "sim.db", Path(tmp) / "lean.db"
        if page_size:
            precreate(db, page_size)
        wall, cpu, written, out, err = _measured([sys.executable, "-m", "appliance.cli", "--db", str(db),
                                                  "simulate", "--days", f"{days:g}", "--step", f"{step:g}"])
        size, readings, pages = _size(db), _readings(db), page_size_of(db)
        from appliance.commands.simulation import FLUSH_EVERY_S

        per_commit = max(1, int(FLUSH_EVERY_S / step)) * DEVICES  # the backfill's own commit interval
        lean_wall, lean_cpu, lean_written, _, _ = _measured([sys.executable, __file__, "--lean", str(lean_db),
                                                             "--readings", str(readings), "--per-commit",
                                                             str(per_commit)])
        lean_size = _size(lean_db)
    lines = [line for line in out.splitlines() if line.strip()]
    return {"days": days, "wall": wall, "cpu": cpu, "written": written, "size": size, "readings": readings,
            "stdout_lines": len(lines), "stderr_bytes": len(err), "lean_wall": lean_wall, "lean_written": lean_written,
            "lean_size": lean_size, "page_size": pages}


def main() -> None:
    """Run the simulations asked for and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=float, nargs="+", default=[1.0, 7.0], help="simulated days per run (1 7)")
    parser.add_argument("--step", type=float, default=60.0, help="seconds between readings (default 60)")
    parser.add_argument("--lean", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--readings", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--per-commit", type=int, default=240, help=argparse.SUPPRESS)
    parser.add_argument("--page-size", type=int, choices=(1024, 2048, 4096, 8192), default=None,
                        help="make the database with this page size first (default: the appliance's own)")
    args = parser.parse_args()
    if args.lean:
        lean_store(Path(args.lean), args.readings, args.per_commit)
        return
    if any(d <= 0 or d > 3660 for d in args.days) or not 1 <= args.step <= 3600:
        parser.error("--days must be in (0, 3660] and --step in [1, 3600]")
    for days in args.days:
        f = measure(days, args.step, args.page_size)
        print(f"simulate --days {days:g} --step {args.step:g}: {f['readings']:,} readings; page size "
              f"{f['page_size']} bytes")
        print(f"  wall {f['wall']:.1f} s, CPU {f['cpu']:.1f} s ({100 * f['cpu'] / f['wall']:.0f} % of one core: "
              f"CPU-bound when near 100); stdout on a pipe: {f['stdout_lines']} line(s), stderr "
              f"{f['stderr_bytes']} bytes")
        print(f"  database {f['size'] / 1e6:.1f} MB = {f['size'] / f['readings']:.0f} bytes per stored reading "
              f"(target <= 500); disk writes {f['written'] / 1e6:.1f} MB = {f['written'] / f['size']:.2f}x the "
              f"database (target <= 3)")
        print(f"  lean baseline, same readings: {f['lean_size'] / 1e6:.1f} MB ({f['lean_size'] / f['readings']:.0f} "
              f"bytes per reading), writes {f['lean_written'] / 1e6:.1f} MB = "
              f"{f['lean_written'] / max(f['lean_size'], 1):.2f}x, {f['lean_wall']:.1f} s")


if __name__ == "__main__":
    main()
