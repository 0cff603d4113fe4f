"""SQL of disk use: how big the database is, checkpoints, and deleting the oldest raw samples.

Raw sample tables are keyed (ts, device) (migration 13): their oldest rows are a range at the start
of the primary key, so no other index is needed to find or delete them.
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


def oldest_raw(conn: sqlite3.Connection) -> int | None:
    """The timestamp of the oldest raw sample of any table (the first key of each: tables are keyed by time)."""
    found = [conn.execute(f"SELECT ts FROM {table} ORDER BY ts LIMIT 1").fetchone()  # noqa: S608
             for table in SAMPLE_TABLES]
    stamps = [row[0] for row in found if row is not None]
    return min(stamps) if stamps else None


def delete_raw_before(conn: sqlite3.Connection, table: str, cutoff_ms: int, batch: int) -> int:
    """Delete at most about `batch` of a table's oldest rows older than `cutoff_ms` (caller's transaction): a
    range at the start of its primary key (ts, device)."""
    edge = conn.execute(f"SELECT ts FROM {table} WHERE ts < ? ORDER BY ts LIMIT 1 OFFSET ?",  # noqa: S608
                        (cutoff_ms, batch)).fetchone()
    upto = edge[0] if edge else cutoff_ms
    return int(conn.execute(f"DELETE FROM {table} WHERE ts < ?", (upto,)).rowcount)  # noqa: S608


def drop_dirty_before(conn: sqlite3.Connection, cutoff_ms: int) -> int:
    """Forget queued rollup work whose samples are gone (it could never be recomputed)."""
    return int(conn.execute("DELETE FROM rollup_dirty WHERE bucket_start < ?", (cutoff_ms,)).rowcount)
