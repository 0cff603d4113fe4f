"""SQL of disk use: how big the database is, checkpoints, and deleting the oldest raw samples.

Raw sample tables have no index on time (migration 11): every delete here walks the primary key
(device, ts) one device at a time, which is what keeps it cheap without that index.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from appliance.store.samples import SAMPLE_TABLES


@dataclass(frozen=True)
class Space:
    """Pages of the open database and the size of its files."""

    page_size: int
    page_count: int
    freelist_count: int
    max_page_count: int
    file_bytes: int
    wal_bytes: int

    @property
    def used_bytes(self) -> int:
        """Bytes in pages that hold data (the file minus its free pages)."""
        return (self.page_count - self.freelist_count) * self.page_size


def database_file(conn: sqlite3.Connection) -> Path | None:
    """The main database file of a connection (None for an in-memory database)."""
    for _, name, path in conn.execute("PRAGMA database_list"):
        if name == "main":
            return Path(path) if path else None
    return None


def space(conn: sqlite3.Connection) -> Space:
    """The database's page counts and file sizes."""
    pragma = {name: int(conn.execute(f"PRAGMA {name}").fetchone()[0])
              for name in ("page_size", "page_count", "freelist_count", "max_page_count")}
    path = database_file(conn)
    size = path.stat().st_size if path and path.exists() else pragma["page_count"] * pragma["page_size"]
    wal = Path(f"{path}-wal") if path else None
    return Space(pragma["page_size"], pragma["page_count"], pragma["freelist_count"], pragma["max_page_count"],
                 size, wal.stat().st_size if wal and wal.exists() else 0)


def checkpoint(conn: sqlite3.Connection, *, truncate: bool = False) -> tuple[int, int, int]:
    """A WAL checkpoint: (busy, frames in the log, frames copied). PASSIVE never waits for readers;
    TRUNCATE (at the end of a batch job) empties the log file too."""
    mode = "TRUNCATE" if truncate else "PASSIVE"
    busy, log, done = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    return int(busy), int(log), int(done)


def devices(conn: sqlite3.Connection, table: str) -> list[str]:
    """The devices that have rows in a sample table, by seeks on the primary key (no scan)."""
    column = SAMPLE_TABLES[table]
    found: list[str] = []
    row = conn.execute(f"SELECT MIN({column}) FROM {table}").fetchone()  # noqa: S608
    while row and row[0] is not None:
        found.append(row[0])
        row = conn.execute(f"SELECT MIN({column}) FROM {table} WHERE {column} > ?", (row[0],)).fetchone()  # noqa: S608
    return found


def oldest_raw(conn: sqlite3.Connection) -> int | None:
    """The timestamp of the oldest raw sample of any table and device."""
    oldest: int | None = None
    for table, column in SAMPLE_TABLES.items():
        for device in devices(conn, table):
            ts = conn.execute(f"SELECT MIN(ts) FROM {table} WHERE {column} = ?", (device,)).fetchone()[0]  # noqa: S608
            if ts is not None and (oldest is None or ts < oldest):
                oldest = ts
    return oldest


def delete_raw_before(conn: sqlite3.Connection, table: str, device: str, cutoff_ms: int, batch: int) -> int:
    """Delete at most `batch` of a device's oldest rows older than `cutoff_ms` (caller's transaction)."""
    column = SAMPLE_TABLES[table]
    edge = conn.execute(f"SELECT ts FROM {table} WHERE {column} = ? AND ts < ? ORDER BY ts "  # noqa: S608
                        "LIMIT 1 OFFSET ?", (device, cutoff_ms, batch)).fetchone()
    upto = edge[0] if edge else cutoff_ms
    return int(conn.execute(f"DELETE FROM {table} WHERE {column} = ? AND ts < ?",  # noqa: S608
                            (device, upto)).rowcount)


def drop_dirty_before(conn: sqlite3.Connection, cutoff_ms: int) -> int:
    """Forget queued rollup work whose samples are gone (it could never be recomputed)."""
    return int(conn.execute("DELETE FROM rollup_dirty WHERE bucket_start < ?", (cutoff_ms,)).rowcount)
