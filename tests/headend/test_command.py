"""`appliance headend`: its arguments, the loopback rule without a token, and a real process answering on 127.0.0.1."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from appliance.commands import headend as headend_command

APPLIANCE = str(Path(sys.executable).with_name("appliance"))


def test_the_cli_command_parses_db_port_and_host():
    parser = argparse.ArgumentParser()
    headend_command.add_commands(parser.add_subparsers())
    args = parser.parse_args(["headend", "--db", "h.db", "--port", "8099"])
    assert (args.db, args.port, args.host, args.func) == ("h.db", 8099, "127.0.0.1", headend_command.cmd_headend)


@pytest.fixture
def served(monkeypatch):
    """Record what the headend command would serve instead of binding a socket."""
    import waitress

    calls: list[dict] = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kwargs: calls.append(kwargs))
    monkeypatch.delenv("APPLIANCE_HEADEND_TOKEN", raising=False)
    return calls


def test_without_a_token_the_headend_refuses_to_listen_beyond_loopback(served, tmp_path, capsys):
    from appliance import cli

    code = cli.main(["headend", "--db", str(tmp_path / "h.db"), "--port", "8099", "--host", "0.0.0.0"])
    assert code == 2 and served == []
    assert "APPLIANCE_HEADEND_TOKEN" in capsys.readouterr().err


def test_without_a_token_on_loopback_the_headend_warns_loudly(served, tmp_path, capsys):
    from appliance import cli

    assert cli.main(["headend", "--db", str(tmp_path / "h.db"), "--port", "8099"]) == 0
    assert served and served[0]["host"] == "127.0.0.1"
    err = capsys.readouterr().err
    assert "WARNING" in err and "without a token" in err


def test_with_a_token_the_headend_may_listen_on_the_lan(served, tmp_path, monkeypatch):
    from appliance import cli

    monkeypatch.setenv("APPLIANCE_HEADEND_TOKEN", "a-long-headend-token")
    assert cli.main(["headend", "--db", str(tmp_path / "h.db"), "--port", "8099", "--host", "0.0.0.0"]) == 0
    assert served[0]["host"] == "0.0.0.0"


def test_a_port_outside_1_to_65535_is_a_usage_error(served, tmp_path, capsys):
    from appliance import cli

    assert cli.main(["headend", "--db", str(tmp_path / "h.db"), "--port", "70000"]) == 2
    assert served == [] and "--port must be 1..65535" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answer(url: str, headers: dict[str, str] | None = None, within_s: float = 30.0) -> requests.Response:
    deadline = time.monotonic() + within_s
    while True:
        try:
            return requests.get(url, headers=headers, timeout=2)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def started(tmp_path):
    """Start `appliance headend` as a process the way an operator would; stop it as systemd or kill would."""
    processes: list[subprocess.Popen] = []

    def start(*args: str, token: str | None = None) -> tuple[subprocess.Popen, str]:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if k != "APPLIANCE_HEADEND_TOKEN"}
        if token:
            env["APPLIANCE_HEADEND_TOKEN"] = token
        process = subprocess.Popen([APPLIANCE, "headend", "--db", str(tmp_path / "headend.db"), "--port", str(port),
                                    *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        processes.append(process)
        return process, f"http://127.0.0.1:{port}"

    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def test_the_command_serves_the_headend_on_loopback_with_its_own_database(started, tmp_path):
    process, url = started()
    assert _answer(f"{url}/devices").json() == []
    registered = requests.post(f"{url}/devices/register", json={"name": "Pi", "device_type": "appliance",
                                                                  "hardware_id": "hw-1"}, timeout=5)
    assert registered.status_code == 201
    assert [d["hardware_id"] for d in requests.get(f"{url}/devices", timeout=5).json()] == ["hw-1"]
    assert (tmp_path / "headend.db").exists()
    process.terminate()
    out, err = process.communicate(timeout=10)
    assert f"reference headend on {url} (database {tmp_path / 'headend.db'})" in out
    assert "WARNING: the reference headend runs without a token" in err


def test_the_command_with_a_token_answers_only_requests_that_carry_it(started):
    process, url = started(token="a-long-headend-token")
    assert _answer(f"{url}/devices").status_code == 401
    assert requests.get(f"{url}/devices", headers={"Authorization": "Bearer a-long-headend-token"},
                        timeout=5).json() == []
    process.terminate()
    _, err = process.communicate(timeout=10)
    assert "WARNING" not in err
