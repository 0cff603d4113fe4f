"""Account commands for a headless install: set-password, token create/revoke/list."""

from __future__ import annotations

import argparse
import getpass
import sys

from appliance.commands.common import EXIT_OK, open_store_for_cli


def _read_password() -> tuple[str, str]:
    if sys.stdin.isatty():
        return getpass.getpass("New admin password: "), getpass.getpass("Again: ")
    # From a pipe the password is the first line; one line is both entry and confirmation.
    line = sys.stdin.readline().rstrip("\r\n")
    return line, line


def cmd_set_password(args: argparse.Namespace) -> int:
    """Set the admin password from stdin (first line) or, on a terminal, from two prompts."""
    from appliance.accounts import passwords

    open_store_for_cli(args)
    password, confirmation = _read_password()
    passwords.set_password(password, confirmation)
    print("admin password set; sessions made with the old password have ended")
    return EXIT_OK


def cmd_token_create(args: argparse.Namespace) -> int:
    """Create an API token and print it once."""
    from appliance.accounts import tokens

    open_store_for_cli(args)
    token, row = tokens.create_token(args.name, args.scope)
    print(token)
    print(f"token {row['name']!r} ({row['scope']}) created; it is shown only this once", file=sys.stderr)
    return EXIT_OK


def cmd_token_revoke(args: argparse.Namespace) -> int:
    """Revoke an API token by name."""
    from appliance.accounts import tokens

    open_store_for_cli(args)
    tokens.revoke_token(args.name)
    print(f"token {args.name!r} revoked")
    return EXIT_OK


def cmd_token_list(args: argparse.Namespace) -> int:
    """List the active API tokens (never the tokens themselves)."""
    from appliance.accounts import tokens

    open_store_for_cli(args)
    rows = tokens.list_tokens()
    if not rows:
        print("no tokens")
    for row in rows:
        print(f"{row['name']}\t{row['scope']}\t{row['prefix']}…\tcreated {row['created_at']}\t"
              f"last used {row['last_used_at'] or 'never'}")
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register this module's commands."""
    set_password = commands.add_parser("set-password", help="set the web UI's admin password (read from stdin)")
    set_password.set_defaults(func=cmd_set_password)

    token = commands.add_parser("token", help="create, revoke or list API tokens")
    # Nested subparsers inherit the parser class of `token`, so errors stay one line.
    actions = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a token and print it once")
    create.add_argument("name", help="a name to recognise the token by, e.g. headend")
    create.add_argument("--scope", choices=("read", "write", "sync"), default="read",
                        help="read: GET only; write: also changes; sync: reserved for the sync feed")
    create.set_defaults(func=cmd_token_create)
    revoke = actions.add_parser("revoke", help="revoke a token by name")
    revoke.add_argument("name")
    revoke.set_defaults(func=cmd_token_revoke)
    listing = actions.add_parser("list", help="list active tokens")
    listing.set_defaults(func=cmd_token_list)
