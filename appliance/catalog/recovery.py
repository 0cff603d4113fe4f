"""Start-up preparation of the store: recovery of a broken file, adapter types, seeding, defaults."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from peewee import DatabaseError as PeeweeDatabaseError
from peewee import SqliteDatabase

from appliance.catalog import adapters, config_yaml, events, snapshots
from appliance.catalog.defaults import ensure_defaults
from appliance.clock import utc_now_iso
from appliance.errors import ApplianceError, StoreError
from appliance.settings import Settings
from appliance.store import db as store_db
from appliance.store.models import System

log = logging.getLogger(__name__)

MARKER_SUFFIX = ".started"
#: Puts back a snapshot's `state` section (admin password hash, token hashes, settings); given by runtime.
StateRestorer = Callable[[Mapping[str, object]], object]


@dataclass
class StartupReport:
    """What preparing the store did, for logs and the CLI."""

    recovered_from: str | None = None
    moved_to: Path | None = None
    imported: Path | None = None
    defaults_created: bool = False
    notes: list[str] = field(default_factory=list)


def marker_path(settings: Settings) -> Path:
    """The file that says this data directory has held a working database (written after each good start)."""
    return settings.db_path.with_name(settings.db_path.name + MARKER_SUFFIX)


def prepare(settings: Settings, *, restore_state: StateRestorer | None = None,
            sections: config_yaml.Sections | None = None) -> tuple[SqliteDatabase, StartupReport]:
    """Open the database for the process: recover, migrate, register adapter types, seed or default.

    A fault that may pass (full disk, I/O error, read-only file) raises StoreError and changes nothing;
    only a corrupt file, or a missing or empty one where a database was expected, is recovered.
    `restore_state` puts back a snapshot's `state` section (the owner's access and settings); `sections` are
    the config.yaml sections other services own (`mqtt:`).
    """
    report = StartupReport()
    problem = store_db.check_file(settings.db_path) or _missing_or_empty(settings)
    if problem is not None and settings.db_path.exists():
        try:
            report.moved_to = store_db.move_aside(settings.db_path)
        except OSError as exc:
            raise StoreError(f"database {settings.db_path} is broken ({problem}) and cannot be moved aside: "
                             f"{exc.strerror or exc}") from exc
    if problem is not None:
        log.error("database %s is unusable (%s)%s", settings.db_path, problem,
                  f"; moved to {report.moved_to}" if report.moved_to else "")
    database = store_db.open_database(settings.db_path)
    try:
        adapters.sync_adapter_types()
        if problem is not None:
            _restore(settings, report, problem, restore_state, sections)
        elif not System.select().exists() and settings.config_file.is_file():
            config_yaml.import_file(settings.config_file, sections=sections)
            report.imported = settings.config_file
            events.record("config_import", f"empty database seeded from {settings.config_file}")
        if not System.select().exists():
            report.defaults_created = ensure_defaults()
    except (sqlite3.Error, PeeweeDatabaseError) as exc:
        database.close()
        raise store_db.unusable(settings.db_path, exc) from exc
    _mark_started(settings)
    return database, report


def _missing_or_empty(settings: Settings) -> str | None:
    """Why a database that should be there is not: a good start happened here before (marker or snapshots)."""
    if not (marker_path(settings).exists() or snapshots.list_snapshots(settings.snapshot_dir)):
        return None  # a new box: an absent or empty file is where its database begins
    path = settings.db_path
    if not path.exists():
        return "the database file is missing"
    wal = Path(f"{path}-wal")
    if path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size > 0):
        return "the database file is empty (0 bytes)"
    return None


def _mark_started(settings: Settings) -> None:
    """Remember that this data directory holds a working database; a failure to write it is not fatal."""
    marker = marker_path(settings)
    if marker.exists():
        return
    try:
        marker.write_text(f"database {settings.db_path.name} first started {utc_now_iso()}\n", encoding="utf-8")
    except OSError as exc:
        log.warning("cannot write %s (%s); an empty database would not be recognised as lost", marker, exc)


def _restore(settings: Settings, report: StartupReport, problem: str,
             restore_state: StateRestorer | None, sections: config_yaml.Sections | None = None) -> None:
    """Restore the configuration into the fresh database from the newest snapshot, else config.yaml."""
    candidates = [p for p in (snapshots.list_snapshots(settings.snapshot_dir)) if p.is_file()]
    if settings.config_file.is_file():
        candidates.append(settings.config_file)
    for source in candidates:
        try:
            config_yaml.import_file(source, replace=True, state=restore_state, sections=sections)
        except ApplianceError as exc:
            report.notes.append(f"{source}: {exc}")
            log.warning("cannot restore from %s: %s", source, exc)
            continue
        report.recovered_from = str(source)
        break
    restored = f"configuration restored from {report.recovered_from}" if report.recovered_from else \
        "no snapshot or config.yaml could be restored; defaults created"
    moved = f"moved to {report.moved_to.name}" if report.moved_to else "nothing to move aside"
    events.record("recovery", f"database was unusable ({problem}); {moved}; {restored}", severity="error",
                  details={"problem": problem, "moved_to": str(report.moved_to), "restored_from": report.recovered_from,
                           "notes": report.notes})
