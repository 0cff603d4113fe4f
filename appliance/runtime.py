"""The composition root: builds the one process from its settings. Nothing starts at import time."""

from __future__ import annotations

from peewee import SqliteDatabase

from appliance.catalog.recovery import StartupReport, prepare
from appliance.settings import Settings


def open_store(settings: Settings) -> tuple[SqliteDatabase, StartupReport]:
    """Open the database as the process does at start: recovery, migrations, adapter types, seed, defaults."""
    return prepare(settings)
