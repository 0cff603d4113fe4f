"""Start-up preparation of the store: recovery of a broken file, adapter types, seeding, defaults."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from peewee import SqliteDatabase

from appliance.catalog import adapters, config_yaml, events, snapshots
from appliance.catalog.defaults import ensure_defaults
from appliance.errors import ApplianceError
from appliance.settings import Settings
from appliance.store import db as store_db
from appliance.store.models import System

log = logging.getLogger(__name__)


@dataclass
class StartupReport:
    """What preparing the store did, for logs and the CLI."""

    recovered_from: str | None = None
    moved_to: Path | None = None
    imported: Path | None = None
    defaults_created: bool = False
    notes: list[str] = field(default_factory=list)


def prepare(settings: Settings) -> tuple[SqliteDatabase, StartupReport]:
    """Open the database for the process: recover, migrate, register adapter types, seed or default."""
    report = StartupReport()
    problem = store_db.check_file(settings.db_path)
    if problem is not None:
        report.moved_to = store_db.move_aside(settings.db_path)
        log.error("database %s is unusable (%s); moved to %s", settings.db_path, problem, report.moved_to)
    database = store_db.open_database(settings.db_path)
    adapters.sync_adapter_types()
    if problem is not None:
        _restore(settings, report, problem)
    elif not System.select().exists() and settings.config_file.is_file():
        config_yaml.import_file(settings.config_file)
        report.imported = settings.config_file
        events.record("config_import", f"empty database seeded from {settings.config_file}")
    if not System.select().exists():
        report.defaults_created = ensure_defaults()
    return database, report


def _restore(settings: Settings, report: StartupReport, problem: str) -> None:
    """Restore the configuration into the fresh database from the newest snapshot, else config.yaml."""
    candidates = [p for p in (snapshots.list_snapshots(settings.snapshot_dir)) if p.is_file()]
    if settings.config_file.is_file():
        candidates.append(settings.config_file)
    for source in candidates:
        try:
            config_yaml.import_file(source, replace=True)
        except ApplianceError as exc:
            report.notes.append(f"{source}: {exc}")
            log.warning("cannot restore from %s: %s", source, exc)
            continue
        report.recovered_from = str(source)
        break
    restored = f"configuration restored from {report.recovered_from}" if report.recovered_from else \
        "no snapshot or config.yaml could be restored; defaults created"
    events.record("recovery", f"database was unusable ({problem}); moved to {report.moved_to.name if report.moved_to else '?'}; "
                  f"{restored}", severity="error",
                  details={"problem": problem, "moved_to": str(report.moved_to), "restored_from": report.recovered_from,
                           "notes": report.notes})
