"""`appliance discover`: prints what answers; the database changes only with --save."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Iterator

import pytest

from appliance.commands import discovery as discovery_commands
from appliance.sim.jkbms_gateway import JkGatewaySim
from appliance.sim.powdrive import PowdriveSim


def parser() -> argparse.ArgumentParser:
    """A parser with only this module's commands (cli.py lists the modules; it is not edited here)."""
    top = argparse.ArgumentParser(prog="appliance")
    top.add_argument("--db")
    discovery_commands.add_commands(top.add_subparsers(dest="command"))
    return top


def run(*argv: str) -> int:
    """Parse and run one command."""
    args = parser().parse_args(list(argv))
    return int(args.func(args))


@pytest.fixture(scope="module")
def sims() -> Iterator[dict[str, Any]]:
    """An inverter on a pty and a JK gateway on 127.0.0.1."""
    started = {"inverter": PowdriveSim().rtu(), "gateway": JkGatewaySim().start()}
    yield started
    for sim in started.values():
        sim.stop()


def test_discover_prints_and_leaves_no_database(sims, tmp_path: Path, capsys) -> None:
    db = tmp_path / "appliance.db"
    code = run("--db", str(db), "discover", "--port", sims["inverter"].path,
               "--tcp", f"127.0.0.1:{sims['gateway'].port}", "--timeout", "0.3")
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out == [f"{sims['inverter'].path}\tpowdrive\tDeye-family three-phase LV hybrid\tPD24000001",
                   f"127.0.0.1:{sims['gateway'].port}\tjkbms_tcpip\tJK-PB2A16S20P\tSIM00000001"]
    assert not db.exists()


def test_discover_save_records_the_devices(sims, tmp_path: Path, capsys) -> None:
    from appliance.store.models import DeviceDiscovery

    db = tmp_path / "appliance.db"
    code = run("--db", str(db), "discover", "--save", "--port", sims["inverter"].path,
               "--tcp", f"127.0.0.1:{sims['gateway'].port}", "--unit-id", "1", "--timeout", "0.3")
    assert code == 0
    assert "saved: 2 new" in capsys.readouterr().out
    assert sorted(r.adapter_type for r in DeviceDiscovery.select()) == ["jkbms_tcpip", "powdrive"]


def test_bad_tcp_argument_is_a_usage_error() -> None:
    from appliance.commands.common import UsageError

    with pytest.raises(UsageError):
        run("discover", "--tcp", "not a target")
