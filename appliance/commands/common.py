"""What every command module shares: exit codes, the usage error, opening the store."""

from __future__ import annotations

import argparse

from appliance.settings import Settings, from_env

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line usage; reported in one line with exit status 2."""


def settings_of(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with --db (and --flush-interval where a command has it) applied."""
    try:
        return from_env().with_db(getattr(args, "db", None)).with_flush_interval(getattr(args, "flush_interval", None))
    except ValueError as exc:
        raise UsageError(f"appliance: {exc}") from exc


def open_store_for_cli(args: argparse.Namespace) -> Settings:
    """Open and migrate the database, with adapter types registered (no recovery, no seeding)."""
    from appliance.catalog.adapters import sync_adapter_types
    from appliance.store.db import open_database

    settings = settings_of(args)
    open_database(settings.db_path)
    sync_adapter_types()
    return settings
