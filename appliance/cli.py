"""`appliance ...` commands: parse arguments, call services, print one clear line on error."""

from __future__ import annotations

import argparse
import importlib
import logging
import sqlite3
import sys
from typing import Callable, Sequence

from peewee import DatabaseError as PeeweeDatabaseError

from appliance import __version__
from appliance.commands.common import EXIT_FAILURE, EXIT_USAGE, UsageError
from appliance.errors import ApplianceError, ValidationError

#: Each module has `add_commands(subparsers)`; the order is the order of `appliance --help`.
COMMAND_MODULES = (
    "appliance.commands.catalog",
    "appliance.commands.main_job",
    "appliance.commands.drivers",
    "appliance.commands.web",
    "appliance.commands.discovery",
    "appliance.commands.headend",
    "appliance.commands.energy",
)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, not a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = _Parser(prog="appliance", description="Edge appliance for solar, batteries and meters.")
    parser.add_argument("--version", action="version", version=f"appliance {__version__}")
    parser.add_argument("--db", metavar="PATH", help="database file (default: $APPLIANCE_DB or the data directory)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(commands)
    _db_after_command(commands)
    return parser


def _db_after_command(commands: argparse._SubParsersAction) -> None:
    """Accept `--db PATH` after the command too (`appliance simulate --days 30 --db FILE`), as the README writes it.

    SUPPRESS as default keeps a --db given before the command when none follows it.
    """
    for sub in commands.choices.values():
        if "--db" not in sub._option_string_actions:  # `headend --db` is the headend's own database
            sub.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                             help="database file (also accepted before the command)")
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                _db_after_command(action)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `appliance` console script."""
    parser = build_parser()
    args: argparse.Namespace | None = None
    try:
        args = parser.parse_args(argv)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s")
        # Our Modbus transport turns every pymodbus failure into a TransportError and logs it once per
        # device; pymodbus's own error lines (one per probe of a silent unit id) would only be noise.
        logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
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
    except (sqlite3.Error, PeeweeDatabaseError) as exc:
        # A database fault no service turned into a StoreError (a full disk at commit): still one line.
        from appliance.settings import from_env
        from appliance.store.db import unusable

        db = getattr(args, "db", None) or from_env().db_path
        print(f"appliance: {unusable(db, exc).message}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
