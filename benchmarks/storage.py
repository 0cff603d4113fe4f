"""Bytes on disk per sample row: the appliance's energy_samples (with its indexes and feed bookkeeping)
against a lean table with the same columns, in the same run.

Run: .venv/bin/python benchmarks/storage.py [--rows 100000]

Both get the same rows: 10 inverters polled every 5 s (the rows of benchmarks/ingest.py), measured twice:
with details "{}" (the rows the issue measured: 476 B against a lean 253 B) and with a Powdrive-like
details JSON (what a real inverter's row carries). The appliance writes them through its SampleWriter (details deflated against a
per-device dictionary, a `seq` per row, one feed_spans entry per run); the lean table stores them as
they are, keyed (device, ts) WITHOUT ROWID. Bytes are pages of each table and of its indexes (dbstat),
over the rows; the appliance's count includes the feed_spans pages. Target (issue 14): within 1.2x of lean.
For bytes per stored reading of a whole simulated home, see benchmarks/simulate.py.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import DEVICES, lean, make_rows, prepare  # noqa: E402 - a sibling script

TARGET = 1.2


def table_bytes(db: Path, tables: tuple[str, ...]) -> int:
    """Bytes in the pages of these tables and of their indexes."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        marks = ", ".join("?" * len(tables))
        names = [r[0] for r in conn.execute(f"SELECT name FROM sqlite_schema WHERE tbl_name IN ({marks})", tables)]
        return int(conn.execute(f"SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN "  # noqa: S608
                                f"({', '.join('?' * len(names))})", names).fetchone()[0])
    finally:
        conn.close()


def appliance_rows(db: Path, rows: list[tuple]) -> None:
    """The rows through the appliance's writer, one poll round of ten inverters per submit."""
    from appliance.acquisition.writer import SampleWriter
    from appliance.store.db import open_database

    prepare(db)
    handle = open_database(db)
    writer = SampleWriter(flush_interval_s=3600, max_rows=4000).start()
    for at in range(0, len(rows), DEVICES):
        writer.submit({"energy_samples": rows[at:at + DEVICES]})
    writer.stop()
    handle.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    handle.close()


def measure(rows: list[tuple]) -> tuple[int, int, int, int]:
    """(appliance sample bytes, its feed bytes, lean bytes, appliance page size) of the same rows."""
    with tempfile.TemporaryDirectory() as tmp:
        ours, base = Path(tmp) / "appliance.db", Path(tmp) / "lean.db"
        appliance_rows(ours, rows)
        lean(base, rows, 2000)
        sample = table_bytes(ours, ("energy_samples",))
        feed = table_bytes(ours, ("feed_spans",))
        lean_bytes = table_bytes(base, ("energy_samples",))
        page = sqlite3.connect(ours).execute("PRAGMA page_size").fetchone()[0]
    return sample, feed, lean_bytes, page


def main() -> None:
    """Print bytes per row of both, and their ratio, for rows without and with details."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="inverter rows (default 100000)")
    args = parser.parse_args()
    if args.rows < DEVICES:
        parser.error(f"--rows must be at least {DEVICES}")
    n = args.rows
    for details, label in ((False, 'details "{}", as the issue measured'), (True, "Powdrive-like details JSON")):
        sample, feed, lean_bytes, page = measure(make_rows(n, details=details))
        print(f"{n:,} inverter rows (10 devices, 5 s apart), {label}; appliance page size {page} bytes")
        print(f"  appliance energy_samples: {sample / n:.0f} bytes per row, + {feed / n:.1f} for the sync feed's "
              f"bookkeeping = {(sample + feed) / n:.0f}")
        print(f"  lean table, same columns: {lean_bytes / n:.0f} bytes per row (4 kB pages, details as JSON text)")
        print(f"  ratio appliance/lean: {(sample + feed) / lean_bytes:.2f} (target <= {TARGET})")


if __name__ == "__main__":
    main()
