"""Energy commands: rollup."""

from __future__ import annotations

import argparse

from appliance.commands.common import EXIT_OK, UsageError, open_store_for_cli


def cmd_rollup(args: argparse.Namespace) -> int:
    """Roll up the new and late samples once, or rebuild every rollup from the samples."""
    from appliance.energy import rollups

    if args.system and not args.rebuild:
        raise UsageError("rollup: --system only applies to --rebuild")
    open_store_for_cli(args)
    result = rollups.rebuild(args.system) if args.rebuild else rollups.roll_up()
    for table, counts in result.items():
        print(f"{table}: {counts['samples']} new samples, {counts['buckets']} 5-minute rows, "
              f"{counts['days']} device-days, {counts['gaps']} gaps skipped, "
              f"{counts['counter_resets']} counter resets")
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register this module's commands."""
    rollup = commands.add_parser("rollup", help="roll samples up into 5-minute, hourly and daily energy")
    rollup.add_argument("--rebuild", action="store_true",
                        help="recompute every rollup from the samples instead of only what is new")
    rollup.add_argument("--system", metavar="ID", help="with --rebuild: only this system")
    rollup.set_defaults(func=cmd_rollup)
