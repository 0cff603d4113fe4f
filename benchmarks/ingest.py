"""Rows per second through the appliance's sample writer against a lean table, in the same run.

The lean baseline is the least a sample store can do: one table with the same columns, keyed
(device, ts) WITHOUT ROWID, WAL and synchronous=NORMAL, no foreign key, index or trigger, rows
inserted with sqlite3's executemany in the same transactions. The appliance's writer pays for its
schema (the document's foreign keys, the late-sample trigger), the array row it derives from each
inverter row, the details encoding and the sync-feed positions. Also shown: executemany into the
appliance's schema without the writer.

Run: .venv/bin/python benchmarks/ingest.py [--rows 100000] [--runs 3] [--batch 2000]
"""

from __future__ import annotations

import argparse
import json
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
TARGET = 0.5
COLUMN_TYPES = {"ts": "INTEGER NOT NULL", "inverter_id": "TEXT NOT NULL", "array_id": "TEXT NOT NULL",
                "system_id": "TEXT NOT NULL", "details": "TEXT"}


def make_rows(count: int, details: bool = False) -> list[tuple]:
    """`count` energy_samples rows of 10 inverters, 5 s apart; with `details`, a Powdrive-like details JSON
    (else "{}", as the rows the issue measured)."""
    rows = []
    for n in range(count):
        inverter, step = n % DEVICES, n // DEVICES
        pv = 1000 + n % 500
        extra = json.dumps({"pv_powers_w": [pv // 2, pv - pv // 2, 0, 0], "pv_voltages_v": [380.0, 372.0, 0, 0],
                              "battery_temperature_c": 25.0, "state": "normal", "pv_energy_today_kwh": step / 720,
                              "details": {"fault_word_1": 0, "fault_word_2": 0, "grid_relay_closed": True,
                                          "inverter_powers_w": [pv // 3] * 3, "load_powers_w": [200, 200, 200]}},
                             separators=(",", ":"), sort_keys=True)
        rows.append((1_780_000_000_000 + step * 5000, f"inv{inverter}", "roof", "home", pv, 600, -200,
                     52.1, -3.2, 55.0, 55.0, 52.1, -3.2, 1, 38.5, 1.2e6 + step, 3.4e5, -150, 230.1, 50.0,
                     1234.5 + step / 1000, 2345.6, 345.6, 300.1, extra if details else "{}", 0))
    return rows


def prepare(path: Path) -> None:
    """A migrated appliance database with one system, one array and ten inverters."""
    handle = open_database(path)
    sync_adapter_types()
    systems.create_system("home", "Home")
    systems.create_array("roof", "home", "Roof")
    for i in range(DEVICES):
        devices.create_inverter(f"inv{i}", "roof", f"Inverter {i}")
    handle.close()


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _executemany(conn: sqlite3.Connection, rows: list[tuple], batch: int) -> float:
    columns = COLUMNS["energy_samples"]
    sql = f"INSERT OR REPLACE INTO energy_samples ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    started = time.perf_counter()
    for at in range(0, len(rows), batch):
        with conn:
            conn.executemany(sql, rows[at:at + batch])
    return time.perf_counter() - started


def lean(path: Path, rows: list[tuple], batch: int) -> float:
    """Seconds to insert the rows into a lean table with the same columns."""
    conn = _connect(path)
    body = ", ".join(f"{c} {COLUMN_TYPES.get(c, 'REAL')}" for c in COLUMNS["energy_samples"])
    conn.execute(f"CREATE TABLE energy_samples ({body}, PRIMARY KEY (inverter_id, ts)) WITHOUT ROWID")
    elapsed = _executemany(conn, rows, batch)
    conn.close()
    return elapsed


def raw_schema(path: Path, rows: list[tuple], batch: int) -> float:
    """Seconds to insert the rows into the appliance's schema with executemany, no writer."""
    prepare(path)
    conn = _connect(path)
    conn.execute("PRAGMA foreign_keys=ON")
    elapsed = _executemany(conn, rows, batch)
    conn.close()
    return elapsed


def through_writer(path: Path, rows: list[tuple], batch: int) -> float:
    """Seconds the writer takes to store every row (and the array rows it derives), from its queue.

    The rows are queued first, one poll round of ten devices per submit, then the writer thread starts:
    real pollers submit a round every few seconds and then wait, so a producer busy in a loop beside the
    writer would only measure the two threads fighting over the GIL."""
    prepare(path)
    handle = open_database(path)
    # Rows per transaction: an inverter row and the array row derived from it are both pending.
    writer = SampleWriter(flush_interval_s=3600, max_rows=2 * batch)
    for at in range(0, len(rows), DEVICES):
        writer.submit({"energy_samples": rows[at:at + DEVICES]})
    started = time.perf_counter()
    writer.start()
    writer.flush_now(timeout=600)
    elapsed = time.perf_counter() - started
    writer.stop()
    handle.close()
    return elapsed


def main() -> None:
    """Print rows/s of the three paths and the writer's ratio to the lean table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="inverter rows per run (default 100000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each path; medians are shown (default 3)")
    parser.add_argument("--batch", type=int, default=2000, help="rows per transaction (default 2000)")
    parser.add_argument("--details", action="store_true", help="rows with a Powdrive-like details JSON")
    args = parser.parse_args()
    if args.rows < DEVICES or args.runs < 1 or args.batch < 1:
        parser.error(f"--rows must be at least {DEVICES}, --runs and --batch at least 1")
    rows = make_rows(args.rows, args.details)
    results: dict[str, list[float]] = {"lean": [], "schema": [], "writer": []}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            for kind, func in (("lean", lean), ("schema", raw_schema), ("writer", through_writer)):
                results[kind].append(args.rows / func(Path(tmp) / f"{kind}{run}.db", rows, args.batch))
    median = {kind: statistics.median(values) for kind, values in results.items()}
    print(f"inverter rows per run: {args.rows:,}, runs: {args.runs}, rows per transaction: {args.batch}, details: "
          f"{'Powdrive-like JSON' if args.details else '{}'}")
    labels = {"lean": "lean table (WAL, NORMAL, PK(device, ts)), executemany",
              "schema": "appliance schema, executemany (no writer)",
              "writer": "appliance SampleWriter (+ derived array rows, feed positions)"}
    for kind, label in labels.items():
        values = results[kind]
        print(f"  {label}: median {median[kind]:,.0f} rows/s (min {min(values):,.0f}, max {max(values):,.0f})")
    # Each run times the three paths back to back: the ratio within a run is less exposed to a machine
    # whose load changes between runs than the ratio of the medians.
    paired = statistics.median(w / lean for w, lean in zip(results["writer"], results["lean"], strict=True))
    print(f"ratio writer/lean: {median['writer'] / median['lean']:.2f} (target >= {TARGET}); median of the "
          f"runs' own ratios {paired:.2f}")
    print(f"ratio schema/lean: {median['schema'] / median['lean']:.2f}")


if __name__ == "__main__":
    main()
