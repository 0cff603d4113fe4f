"""`appliance set-password` and `appliance token ...` (tested with this module's own parser)."""

from __future__ import annotations

import argparse
import io

import pytest

from appliance.accounts import passwords, tokens
from appliance.commands import web
from appliance.errors import ValidationError


def _run(argv, db_path, monkeypatch, stdin=""):
    parser = argparse.ArgumentParser(prog="appliance")
    parser.add_argument("--db")
    web.add_commands(parser.add_subparsers(dest="command"))
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    args = parser.parse_args(["--db", str(db_path), *argv])
    return args.func(args)


def test_set_password_from_stdin(db_path, monkeypatch, capsys):
    assert _run(["set-password"], db_path, monkeypatch, "a long password\n") == 0
    assert passwords.verify_password("a long password") and "password set" in capsys.readouterr().out
    with pytest.raises(ValidationError):
        _run(["set-password"], db_path, monkeypatch, "short\n")


def test_token_create_list_revoke(db_path, monkeypatch, capsys):
    assert _run(["token", "create", "headend", "--scope", "write"], db_path, monkeypatch) == 0
    token = capsys.readouterr().out.strip()
    assert tokens.authenticate(token)["scope"] == "write"
    _run(["token", "list"], db_path, monkeypatch)
    listing = capsys.readouterr().out
    assert "headend\twrite" in listing and token not in listing
    _run(["token", "revoke", "headend"], db_path, monkeypatch)
    assert tokens.authenticate(token) is None
    _run(["token", "list"], db_path, monkeypatch)
    assert capsys.readouterr().out.strip().endswith("no tokens")


def test_token_scope_is_checked_by_the_parser(db_path, monkeypatch):
    with pytest.raises(SystemExit):
        _run(["token", "create", "x", "--scope", "admin"], db_path, monkeypatch)
