"""The `appliance` command: help everywhere, one-line errors, exit 2 for bad usage or input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from appliance import __version__
from appliance.cli import build_parser, main

COMMANDS = ["init-db", "import-config", "export-config", "run", "demo", "simulate", "decode", "devices", "discover",
            "set-password", "token", "headend", "rollup"]


def run(*args: str, env_db=None):
    """Run the CLI in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "appliance.cli", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", [[], *[[c] for c in COMMANDS]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert "usage: appliance" in capsys.readouterr().out


def test_parser_knows_every_command():
    subparsers = [a for a in build_parser()._actions if a.dest == "command"][0]
    assert set(COMMANDS) <= set(subparsers.choices)


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"appliance {__version__}"


def test_unknown_command_is_one_line_exit_2():
    result = run("frobnicate")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "frobnicate" in result.stderr


def test_init_db_and_reset(tmp_path):
    db = str(tmp_path / "a.db")
    assert run("--db", db, "init-db").returncode == 0
    refused = run("--db", db, "init-db", "--reset")
    assert refused.returncode == 2 and "--yes" in refused.stderr and len(refused.stderr.splitlines()) == 1
    assert run("--db", db, "init-db", "--reset", "--yes").returncode == 0


def test_import_and_export_round_trip(tmp_path, example_config):
    db = str(tmp_path / "a.db")
    imported = run("--db", db, "import-config", str(example_config))
    assert imported.returncode == 0, imported.stderr
    assert "3 inverters" in imported.stdout
    exported = run("--db", db, "export-config")
    assert exported.returncode == 0 and "powdrive1_adapter" in exported.stdout
    out = tmp_path / "out.yaml"
    assert run("--db", db, "export-config", "-o", str(out)).returncode == 0
    assert out.read_text() == exported.stdout


def test_bad_config_is_exit_2_with_file_line_and_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("home:\n  id: s\n  name: H\n  timezone: Atlantis/Capital\n")
    result = run("--db", str(tmp_path / "a.db"), "import-config", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"appliance: {bad}:4: home.timezone: 'Atlantis/Capital' is not an IANA "
                                     "time zone (e.g. Europe/Berlin)")


def test_missing_config_file_is_exit_2(tmp_path):
    result = run("--db", str(tmp_path / "a.db"), "import-config", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "no such file" in result.stderr


def test_a_corrupt_database_is_reported_in_one_line(tmp_path):
    db = tmp_path / "a.db"
    db.write_bytes(b"garbage" * 1000)
    result = run("--db", str(db), "export-config")
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "cannot open database" in result.stderr


def test_db_is_accepted_after_the_command_too(tmp_path):
    # The README writes `appliance simulate --days 30 --db FILE`; init-db shows it the quick way.
    after = tmp_path / "after.db"
    assert run("init-db", "--db", str(after)).returncode == 0 and after.exists()
    before = tmp_path / "before.db"
    assert run("--db", str(before), "init-db").returncode == 0 and before.exists()
    nested = tmp_path / "nested.db"
    assert run("token", "list", "--db", str(nested)).returncode == 0 and nested.exists()


def test_a_busy_port_is_one_line(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("demo", "--db", str(tmp_path / "demo.db"), "--port", str(port))
    assert result.returncode == 2 and result.stderr.strip() == f"port {port} is in use; pass --port"


def test_export_config_into_a_missing_folder_is_one_line(tmp_path):
    result = run("export-config", "--db", str(tmp_path / "x.db"), "-o", str(tmp_path / "nope" / "c.yaml"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
