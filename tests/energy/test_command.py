"""`appliance rollup`, parsed the way appliance.cli builds its parser."""

from __future__ import annotations

import argparse

import pytest

from appliance.commands import energy
from appliance.commands.common import UsageError
from appliance.store.models import database
from tests.energy.site import energy_rows, insert_energy, local_ms, make_site


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="appliance")
    parser.add_argument("--db")
    energy.add_commands(parser.add_subparsers(dest="command"))
    return parser.parse_args(list(argv))


@pytest.fixture
def samples(db, db_path):
    make_site()
    start = local_ms(2026, 10, 24, 8)
    insert_energy(energy_rows(start, start + 2 * 3_600_000, inverters=("i1",)))
    return str(db_path)


def test_rollup_once_then_rebuild(samples, capsys):
    args = parse("--db", samples, "rollup")
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "energy_samples: 120 new samples, 24 5-minute rows" in out
    hours = database.connection().execute("SELECT COUNT(*) FROM hourly_energy").fetchone()[0]
    assert hours == 2
    args = parse("--db", samples, "rollup", "--rebuild", "--system", "home")
    assert args.func(args) == 0
    assert "energy_samples: 0 new samples, 24 5-minute rows" in capsys.readouterr().out


def test_system_without_rebuild_is_a_usage_error(samples):
    args = parse("--db", samples, "rollup", "--system", "home")
    with pytest.raises(UsageError):
        args.func(args)


def test_help(capsys):
    with pytest.raises(SystemExit):
        parse("rollup", "--help")
    assert "--rebuild" in capsys.readouterr().out
