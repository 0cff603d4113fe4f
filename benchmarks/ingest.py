"""Rows per second through the appliance's sample writer against raw sqlite3 executemany, same schema, same run.

Run: .venv/bin/python benchmarks/ingest.py [--rows 200000] [--runs 5]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from appliance.acquisition.rows import COLUMNS
from appliance.acquisition.writer import SampleWriter
from appliance.catalog import devices, systems
from appliance.catalog.adapters import sync_adapter_types
from appliance.store.db import open_database

DEVICES = 10


def make_rows(count: int) -> list[tuple]:
    """`count` energy_samples rows spread over 10 inverters, 5 s apart."""
    rows = []
    for n in range(count):
        inverter, step = n % DEVICES, n // DEVICES
        rows.append((1_780_000_000_000 + step * 5000, f"inv{inverter}", "roof", "home", 1000 + n % 500, 600, -200,
                     52.1, -3.2, 55.0, 55.0, 52.1, -3.2, 1, 38.5, 1.2e6, 3.4e5, -150, 230.1, 50.0, 1234.5, 2345.6,
                     345.6, 300.1, "{}"))
    return rows


def prepare(path: Path) -> None:
    """A migrated database with one system, one array and ten inverters."""
    handle = open_database(path)
    sync_adapter_types()
    systems.create_system("home", "Home")
    systems.create_array("roof", "home", "Roof")
    for i in range(DEVICES):
        devices.create_inverter(f"inv{i}", "roof", f"Inverter {i}")
    handle.close()


def raw_executemany(path: Path, rows: list[tuple], batch: int) -> float:
    """Seconds to insert the rows with the stdlib driver, `batch` rows per transaction."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    columns = COLUMNS["energy_samples"]
    sql = f"INSERT OR REPLACE INTO energy_samples ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    started = time.perf_counter()
    for at in range(0, len(rows), batch):
        with conn:
            conn.executemany(sql, rows[at:at + batch])
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def through_writer(path: Path, rows: list[tuple], batch: int) -> float:
    """Seconds from the first submit until the writer has stored every row."""
    handle = open_database(path)
    writer = SampleWriter(flush_interval_s=1.0, max_rows=batch).start()
    started = time.perf_counter()
    for at in range(0, len(rows), DEVICES):
        writer.submit({"energy_samples": rows[at:at + DEVICES]})  # one poll round of ten devices
    writer.flush_now(timeout=600)
    elapsed = time.perf_counter() - started
    writer.stop()
    handle.close()
    return elapsed


def main() -> None:
    """Print rows/s of both paths and their ratio (target: writer at least 0.6 of raw)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()
    rows = make_rows(args.rows)
    raw, ours = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            for kind, func, results in (("raw", raw_executemany, raw), ("writer", through_writer, ours)):
                path = Path(tmp) / f"{kind}{run}.db"
                prepare(path)
                results.append(args.rows / func(path, rows, args.batch))
    raw_median, ours_median = statistics.median(raw), statistics.median(ours)
    print(f"rows per run: {args.rows}, runs: {args.runs}, batch: {args.batch}")
    print(f"raw sqlite3 executemany: median {raw_median:,.0f} rows/s (min {min(raw):,.0f}, max {max(raw):,.0f})")
    print(f"appliance SampleWriter:  median {ours_median:,.0f} rows/s (min {min(ours):,.0f}, max {max(ours):,.0f})")
    print(f"ratio writer/raw: {ours_median / raw_median:.2f} (target >= 0.6)")


if __name__ == "__main__":
    main()
