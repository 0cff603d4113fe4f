"""Opening the SQLite database: pragmas, forward-only migrations, integrity checks."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from peewee import DatabaseError as PeeweeDatabaseError
from peewee import SqliteDatabase

from appliance.errors import StoreError
from appliance.store.cells import CellsAggregate
from appliance.store.details import CODEC
from appliance.store.models import database as database_proxy

log = logging.getLogger(__name__)

PRAGMAS = {
    # 2 kB pages (set before the first table, so new databases only): a commit rewrites whole pages, and
    # the small tables each take one; rows stay far below the 2 kB page's in-page payload limit. Measured
    # in docs/performance.md ("Page size"); a database made with 4 kB pages keeps them.
    "page_size": 2048,
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": 1,  # NORMAL: safe with WAL; a power cut loses at most the last commits
    "busy_timeout": 5000,
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
    # Migration 11 folds one-row-per-cell samples into blobs with an aggregate written in Python.
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


def connect(path: str | Path) -> SqliteDatabase:
    """A peewee database on `path` with the appliance's pragmas; not yet migrated."""
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    # BEGIN IMMEDIATE: a transaction that reads before it writes would otherwise fail at once with
    # "database is locked" (WAL snapshot) when another thread committed meanwhile; immediate waits instead.
    return SqliteDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False, lock_type="IMMEDIATE")


def open_database(path: str | Path, *, migrate_to: int | None = None) -> SqliteDatabase:
    """Open (creating if needed) and migrate the database, and bind the models to it."""
    db = connect(path)
    try:
        db.connect(reuse_if_open=True)
        migrate(db, migrate_to)
    except (sqlite3.DatabaseError, PeeweeDatabaseError) as exc:
        db.close()
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    except StoreError:
        db.close()
        raise
    database_proxy.initialize(db)
    CODEC.forget()  # dictionaries cached for another database file would be wrong here
    return db


def ping() -> None:
    """Run one trivial query on the open database; raises when it cannot answer (for /health)."""
    database_proxy.execute_sql("SELECT 1").fetchone()


def check_file(path: str | Path) -> str | None:
    """Why the database file is unusable (not SQLite, fails quick_check), or None if it is fine."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    if rows != ["ok"]:
        return "; ".join(rows[:5])
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
