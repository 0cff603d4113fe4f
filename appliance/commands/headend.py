"""The reference headend command: `appliance headend --db FILE --port PORT [--host 127.0.0.1]`."""

from __future__ import annotations

import argparse
import os
import sys

from appliance.commands.common import EXIT_OK, UsageError


def cmd_headend(args: argparse.Namespace) -> int:
    """Serve the reference headend (its own database) until interrupted."""
    from appliance.headend.security import TOKEN_ENV, check_exposure
    from appliance.headend.server import serve

    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be 1..65535, not {args.port}")
    # The token comes from the environment, not the command line: argv is visible to every local user.
    token = os.environ.get(TOKEN_ENV) or None
    warning = check_exposure(args.host, token)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    print(f"reference headend on http://{args.host}:{args.port} (database {args.db})", flush=True)
    serve(args.db, host=args.host, port=args.port, token=token)
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register this module's commands."""
    headend = commands.add_parser("headend", help="serve the reference headend (registrations, pushes, dispatch)")
    headend.add_argument("--db", required=True, help="the headend's own SQLite file (created if missing)")
    headend.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    headend.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    headend.set_defaults(func=cmd_headend)
