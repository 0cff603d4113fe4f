"""Catalog commands: init-db, import-config, export-config."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from appliance.commands.common import EXIT_OK, UsageError, open_store_for_cli, settings_of
from appliance.errors import ValidationError


def cmd_init_db(args: argparse.Namespace) -> int:
    """Create or migrate the database; --reset --yes empties it first."""
    settings = settings_of(args)
    if args.reset:
        if not args.yes:
            raise UsageError("init-db --reset deletes every row: add --yes to confirm")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{settings.db_path}{suffix}").unlink(missing_ok=True)
    from appliance.store.db import schema_version
    from appliance.store.models import database

    open_store_for_cli(args)
    print(f"database {settings.db_path} ready (schema version {schema_version(database.obj)})")
    return EXIT_OK


def cmd_import_config(args: argparse.Namespace) -> int:
    """Load a config.yaml into the database in one transaction."""
    from appliance.catalog import config_yaml
    from appliance.mqtt import settings as mqtt_settings

    if not Path(args.file).is_file():
        raise ValidationError(f"{args.file}: no such file", field="file")
    open_store_for_cli(args)
    counts = config_yaml.import_file(args.file, replace=args.replace, sections=mqtt_settings.config_sections())
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    print(f"imported {args.file}: {summary or 'nothing'}")
    return EXIT_OK


def cmd_export_config(args: argparse.Namespace) -> int:
    """Write the catalog as config.yaml to stdout or a file."""
    from appliance.catalog import config_yaml
    from appliance.mqtt import settings as mqtt_settings

    open_store_for_cli(args)
    if args.output:
        folder = Path(args.output).expanduser().resolve().parent
        if not folder.is_dir():
            raise UsageError(f"export-config -o {args.output}: the folder {folder} does not exist")
        try:
            config_yaml.export_file(args.output, mqtt_settings.config_sections())
        except OSError as exc:
            raise UsageError(f"export-config -o {args.output}: {exc.strerror or exc}") from None
        print(f"exported to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(config_yaml.export_text(mqtt_settings.config_sections()))
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register this module's commands."""
    init_db = commands.add_parser("init-db", help="create or migrate the database")
    init_db.add_argument("--reset", action="store_true", help="delete the database first (development only)")
    init_db.add_argument("--yes", action="store_true", help="confirm --reset")
    init_db.set_defaults(func=cmd_init_db)

    import_config = commands.add_parser("import-config", help="load a config.yaml into the database")
    import_config.add_argument("file", help="the config.yaml to import")
    import_config.add_argument("--replace", action="store_true",
                               help="delete the current catalog first instead of merging by id")
    import_config.set_defaults(func=cmd_import_config)

    export_config = commands.add_parser("export-config", help="write the catalog as config.yaml")
    export_config.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    export_config.set_defaults(func=cmd_export_config)
