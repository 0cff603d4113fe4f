"""`appliance ...` commands: parse arguments, call services, print one clear line on error."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Callable, Sequence

from appliance import __version__
from appliance.errors import ApplianceError, ValidationError
from appliance.settings import Settings, from_env

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line usage; reported in one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, not a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _settings(args: argparse.Namespace) -> Settings:
    return from_env().with_db(args.db)


def _open(args: argparse.Namespace) -> Settings:
    """Open and migrate the database, with adapter types registered."""
    from appliance.catalog.adapters import sync_adapter_types
    from appliance.store.db import open_database

    settings = _settings(args)
    open_database(settings.db_path)
    sync_adapter_types()
    return settings


def cmd_init_db(args: argparse.Namespace) -> int:
    """Create or migrate the database; --reset --yes empties it first."""
    settings = _settings(args)
    if args.reset:
        if not args.yes:
            raise UsageError("init-db --reset deletes every row: add --yes to confirm")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{settings.db_path}{suffix}").unlink(missing_ok=True)
    from appliance.store.db import schema_version

    _open(args)
    from appliance.store.models import database

    print(f"database {settings.db_path} ready (schema version {schema_version(database.obj)})")
    return EXIT_OK


def cmd_import_config(args: argparse.Namespace) -> int:
    """Load a config.yaml into the database in one transaction."""
    from appliance.catalog import config_yaml

    if not Path(args.file).is_file():
        raise ValidationError(f"{args.file}: no such file", field="file")
    _open(args)
    counts = config_yaml.import_file(args.file, replace=args.replace)
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    print(f"imported {args.file}: {summary or 'nothing'}")
    return EXIT_OK


def cmd_export_config(args: argparse.Namespace) -> int:
    """Write the catalog as config.yaml to stdout or a file."""
    from appliance.catalog import config_yaml

    _open(args)
    if args.output:
        config_yaml.export_file(args.output)
        print(f"exported to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(config_yaml.export_text())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = _Parser(prog="appliance", description="Edge appliance for solar, batteries and meters.")
    parser.add_argument("--version", action="version", version=f"appliance {__version__}")
    parser.add_argument("--db", metavar="PATH", help="database file (default: $APPLIANCE_DB or the data directory)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `appliance` console script."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s")
        func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
        if func is None:
            parser.print_help()
            return EXIT_USAGE
        return func(args)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except ValidationError as exc:
        print(f"appliance: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except ApplianceError as exc:
        print(f"appliance: {exc.message}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
