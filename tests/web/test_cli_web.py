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


def test_token_create_on_a_full_disk_says_so_in_one_line(tmp_path):
    """The real console script on a full disk: one clear line, no traceback, exit status 1."""
    import subprocess

    from tests.runtime.appliance_process import APPLIANCE, SmallDisk

    disk = SmallDisk(tmp_path / "disk", size_mb=4)
    if not disk.mount():
        pytest.skip("this machine does not let the test mount a small filesystem")
    try:
        env = {"PATH": "/usr/bin:/bin", "APPLIANCE_DATA_DIR": str(disk.where)}
        assert subprocess.run([APPLIANCE, "init-db"], env=env, capture_output=True, timeout=60).returncode == 0
        disk.fill(leave=48 * 1024)  # enough to open the database (its -shm takes 32 KiB), not to commit
        result = subprocess.run([APPLIANCE, "token", "create", "headend"], env=env, capture_output=True, text=True,
                                timeout=60)
    finally:
        disk.unmount()
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().count("\n") == 0 and "disk is full" in result.stderr, result.stderr


def test_a_database_error_in_any_command_is_one_line(monkeypatch, capsys, db_path):
    import sqlite3

    from peewee import OperationalError

    from appliance import cli

    def full(*_args, **_kwargs):
        cause = sqlite3.OperationalError("database or disk is full")
        cause.sqlite_errorname = "SQLITE_FULL"
        raise OperationalError(cause) from cause

    monkeypatch.setattr(tokens, "create_token", full)
    assert cli.main(["--db", str(db_path), "token", "create", "headend"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("appliance: ") and "the disk is full" in err and err.count("\n") == 1
