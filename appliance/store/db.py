"""Opening the SQLite database: pragmas, forward-only migrations, integrity checks."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Callable

from peewee import DatabaseError as PeeweeDatabaseError
from peewee import SqliteDatabase

from appliance.errors import StoreError
from appliance.store.cells import CellsAggregate
from appliance.store.details import CODEC
from appliance.store.models import database as database_proxy

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
#: SQLite's error names that mean the file itself is broken; every other error may pass.
CORRUPTION = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
#: Below this many free bytes an I/O error is a full disk (SQLite's -shm file alone needs 32 KiB).
NEARLY_FULL = 1024 * 1024
READ_ONLY = "the file or its disk is read-only (check the permissions and that the disk is mounted read-write)"
PRAGMAS = {
    # 2 kB pages (set before the first table, so new databases only): a commit rewrites whole pages, and
    # the small tables each take one; rows stay far below the 2 kB page's in-page payload limit. Measured
    # in docs/performance.md ("Page size"); a database made with 4 kB pages keeps them.
    "page_size": 2048,
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": 1,  # NORMAL: safe with WAL; a power cut loses at most the last commits
    "busy_timeout": 5000,
    # Every thread that touches the database holds a connection of its own (peewee), each with its own
    # page cache: 512 kB instead of SQLite's 2 MB keeps a dozen of them inside the Pi's memory budget
    # (docs/performance.md, "Memory"); the kernel's page cache still holds the file.
    "cache_size": -512,
    # The WAL is checkpointed by the sample writer when it is quiet (store/wal.py); this cap only
    # bounds what other writers let it grow to. After a checkpoint the file is cut back to the limit.
    "wal_autocheckpoint": 8000,
    "journal_size_limit": 16 * 1024 * 1024,
}


def migrations() -> list[tuple[int, str, str]]:
    """The migration steps in order: (version, file name, SQL)."""
    folder = resources.files("appliance.store") / "migrations"
    steps = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            steps.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text(encoding="utf-8")))
    versions = [v for v, _, _ in steps]
    if versions != list(range(1, len(steps) + 1)):
        raise StoreError(f"migration files are not numbered 1..N: {versions}")
    return steps


def latest_version() -> int:
    """The schema version this code builds."""
    return len(migrations())


def schema_version(db: SqliteDatabase) -> int:
    """The database's PRAGMA user_version."""
    return int(db.execute_sql("PRAGMA user_version").fetchone()[0])


def migrate(db: SqliteDatabase, target: int | None = None) -> list[int]:
    """Apply the migrations the database lacks, each in its own transaction; return those applied."""
    steps = migrations()
    target = len(steps) if target is None else target
    current = schema_version(db)
    if current > len(steps):
        raise StoreError(f"database schema version {current} is newer than this appliance knows ({len(steps)})")
    applied = []
    conn = db.connection()
    # Migration 13 folds one-row-per-cell samples into blobs with an aggregate written in Python.
    conn.create_aggregate("appliance_cells_blob", 6, CellsAggregate)
    for version, name, sql in steps:
        if current < version <= target:
            try:
                # executescript runs statement by statement; the explicit BEGIN makes the step atomic.
                conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.rollback()
                raise StoreError(f"migration {name} failed: {exc}") from exc
            log.info("database migrated to schema version %d (%s)", version, name)
            applied.append(version)
    return applied


class _Database(SqliteDatabase):
    """SqliteDatabase whose rollback keeps the error that caused it."""

    def rollback(self) -> None:
        """Roll back, unless SQLite already did (SQLITE_FULL and I/O errors end the transaction themselves)."""
        # Otherwise peewee's ROLLBACK fails with "cannot rollback - no transaction is active", and that
        # error replaces the one that matters ("database or disk is full") in logs and /health.
        connection: Callable[[], sqlite3.Connection] = self.connection  # unannotated in peewee's stubs
        if not self.is_closed() and not connection().in_transaction:
            return
        super().rollback()


def connect(path: str | Path) -> SqliteDatabase:
    """A peewee database on `path` with the appliance's pragmas; not yet migrated."""
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    # BEGIN IMMEDIATE: a transaction that reads before it writes would otherwise fail at once with
    # "database is locked" (WAL snapshot) when another thread committed meanwhile; immediate waits instead.
    return _Database(str(path), pragmas=PRAGMAS, check_same_thread=False, lock_type="IMMEDIATE")


def open_database(path: str | Path, *, migrate_to: int | None = None) -> SqliteDatabase:
    """Open (creating if needed) and migrate the database, and bind the models to it."""
    db = connect(path)
    try:
        db.connect(reuse_if_open=True)
        migrate(db, migrate_to)
    except (sqlite3.DatabaseError, PeeweeDatabaseError) as exc:
        db.close()
        raise StoreError(f"cannot open database {path}: {describe(exc, path)}") from exc
    except StoreError:
        db.close()
        raise
    database_proxy.initialize(db)
    CODEC.forget()  # dictionaries cached for another database file would be wrong here
    return db


def database_path() -> str:
    """The file of the open database ("" when none is open)."""
    return str(getattr(database_proxy.obj, "database", "") or "")


def disk_free() -> int | None:
    """Bytes free on the disk of the open database (None for an in-memory one or when it cannot be asked)."""
    path = database_path()
    return free_bytes(Path(path).parent) if path and path != ":memory:" else None


def database_room() -> int | None:
    """Bytes the open database can still grow by: the disk's free space, or less when SQLite's
    max_page_count caps the file first (free pages inside the file count as room). None: in memory."""
    free = disk_free()
    if free is None:
        return None
    pragma = {name: int(database_proxy.execute_sql(f"PRAGMA {name}").fetchone()[0])
              for name in ("page_size", "page_count", "freelist_count", "max_page_count")}
    capped = (pragma["max_page_count"] - pragma["page_count"] + pragma["freelist_count"]) * pragma["page_size"]
    return max(0, min(free, capped))


def ping() -> None:
    """Run one trivial query on the open database; raises when it cannot answer (for /health)."""
    database_proxy.execute_sql("SELECT 1").fetchone()


def check_file(path: str | Path) -> str | None:
    """Why the database file is corrupt (bad header, fails quick_check), or None if it is fine or absent.

    Only corruption is returned. A fault that may pass (a full disk, an I/O error, a read-only file
    or mount, a lock) raises StoreError instead and leaves the file as it is: moving a healthy
    database aside because the disk was full would turn the box into a new one.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"database {path}: cannot read the file: {exc.strerror or exc}") from exc
    if not header:
        return None  # empty: SQLite treats it as a new database; the caller decides whether one was expected
    if header != SQLITE_HEADER:
        return "not an SQLite database (the file header is wrong)"
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise StoreError(f"database {path}: {READ_ONLY}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if error_name(exc).startswith(CORRUPTION):
            return str(exc)
        raise unusable(path, exc) from exc
    if rows != ["ok"]:
        return "; ".join(rows[:5])
    return None


def error_name(exc: BaseException) -> str:
    """The SQLite error name (SQLITE_FULL, SQLITE_IOERR_WRITE, ...) behind an sqlite3 or peewee error, or ""."""
    seen: BaseException | None = exc
    for _ in range(4):  # peewee wraps the sqlite3 error: it is an argument, the cause or the context
        if seen is None:
            break
        name = getattr(seen, "sqlite_errorname", None)
        if name:
            return str(name)
        nested = [a for a in getattr(seen, "args", ()) if isinstance(a, BaseException)]
        seen = nested[0] if nested else (seen.__cause__ or seen.__context__)
    return ""


def describe(exc: BaseException, path: str | Path | None = None) -> str:
    """A database error in words an owner can act on: "the disk is full", "read-only", ..."""
    name = error_name(exc)
    folder = Path(path).parent if path else None
    free = free_bytes(folder) if folder else None
    if name == "SQLITE_FULL" or (name.startswith("SQLITE_IOERR") and free is not None and free < NEARLY_FULL):
        return f"the disk is full ({free if free is not None else '?'} bytes free; SQLite: {exc})"
    if name.startswith("SQLITE_READONLY"):
        return f"{READ_ONLY} (SQLite: {exc})"
    if name.startswith("SQLITE_IOERR"):
        return f"disk I/O error: the disk may be failing or full ({free} bytes free; SQLite: {exc})"
    if name.startswith("SQLITE_CANTOPEN"):
        return f"cannot open the file: check that it and its folder exist and are writable (SQLite: {exc})"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return f"the database is locked by another process (SQLite: {exc})"
    if name.startswith("SQLITE_PERM"):
        return f"permission denied (SQLite: {exc})"
    return str(exc)


def unusable(path: str | Path, exc: BaseException) -> StoreError:
    """A StoreError naming the file and the fault, for a database the process cannot use now."""
    return StoreError(f"database {path}: {describe(exc, path)}")


def free_bytes(folder: str | Path) -> int | None:
    """Bytes free for the service on the filesystem holding `folder`, or None when it cannot be asked."""
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def move_aside(path: str | Path, now: datetime | None = None) -> Path:
    """Rename a broken database (and its -wal/-shm) to `<name>.corrupt-<UTC time>`; return the new path."""
    path = Path(path)
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            part.rename(Path(f"{target}{suffix}"))
    return target
