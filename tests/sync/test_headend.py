"""The reference headend: registration (201/409), heartbeats, idempotent ingest, assets, telemetry, dispatch."""

from __future__ import annotations

import argparse
import gzip
import json
import random
import time

import pytest

from appliance.commands import headend as headend_command
from appliance.sync.headend import create_app
from appliance.sync.push import PushClient

from tests.sync.conftest import Clock, energy_row


@pytest.fixture
def client(tmp_path):
    app = create_app(tmp_path / "h.db")
    yield app.test_client()
    app.extensions["headend_store"].close()


REG = {"name": "Pi", "device_type": "appliance", "hardware_id": "hw-1", "metadata": {"appliance_id": "home1"}}


def test_registration_is_201_then_409_with_the_existing_id(client):
    first = client.post("/devices/register", json=REG)
    assert first.status_code == 201 and first.get_json()["status"] == "online"
    again = client.post("/devices/register", json=REG)
    assert again.status_code == 409 and again.get_json()["id"] == first.get_json()["id"]
    assert client.post("/devices/register", json={"name": "x"}).status_code == 400
    assert client.post("/devices/register", data="{nope", content_type="application/json").status_code == 400
    beat = client.post("/devices/heartbeat", json={"device_id": first.get_json()["id"]})
    assert beat.status_code == 200 and beat.get_json()["status"] == "online"
    assert client.post("/devices/heartbeat", json={"device_id": "unknown"}).status_code == 404
    assert [d["heartbeats"] for d in client.get("/devices").get_json()] == [1]


def _row(seq, ts, pv=1):
    return {"seq": seq, "table": "energy_samples", "kind": "sample", "op": "upsert", "changed_at": ts,
            "key": {"inverter_id": "inv1", "ts": ts}, "row": {"inverter_id": "inv1", "ts": ts, "pv_power_w": pv,
                                                              "details": "{}"}}


def test_ingest_is_idempotent_by_cursor_and_row_version(client):
    page = {"appliance_id": "home1", "cursor_from": "a-0", "cursor_to": "a-2", "rows": [_row(1, 10), _row(2, 20)]}
    assert client.post("/ingest", json=page).get_json() == {"accepted": True, "applied": 2, "cursor": "a-2"}
    assert client.post("/ingest", json=page).get_json()["applied"] == 0  # the same page again
    overlap = {**page, "cursor_from": "a-1", "cursor_to": "a-3", "rows": [_row(2, 20), _row(3, 20, pv=5)]}
    assert client.post("/ingest", json=overlap).get_json()["applied"] == 1  # a newer version replaces
    zipped = gzip.compress(json.dumps({**page, "cursor_from": "a-3", "cursor_to": "a-4", "rows": []}).encode())
    answer = client.post("/ingest", data=zipped, headers={"Content-Encoding": "gzip",
                                                          "Content-Type": "application/json"})
    assert answer.status_code == 200
    assert client.post("/ingest", json={**page, "rows": [{"table": "x"}]}).status_code == 400
    assert client.post("/ingest", data=b"\x1f\x8bnot", headers={"Content-Encoding": "gzip"}).status_code == 400


def test_assets_agents_telemetry_and_dispatch_from_pushed_data(writer, headend):
    clock = Clock(time.time())
    push = PushClient({"sync.url": headend.url, "sync.appliance_id": "home1"}, clock=clock, hardware_id="hw-9",
                      rng=random.Random(1), dispatcher=lambda p: {"outcome": "applied"})
    writer.submit({"energy_samples": [energy_row("inv1", int(time.time() * 1000), pv=1234)]})
    writer.flush_now()
    assert "error" not in push.run_once()
    http = headend.app.test_client()
    assets = {a["device_id"] for a in http.get("/assets").get_json()}
    assert {"inverter:inv1", "meter:m1"} <= assets
    agents = {a["asset_id"]: a for a in http.get("/agents").get_json()}
    assert agents["inverter:inv1"]["connected"] and agents["inverter:inv1"]["site_id"] == "home"
    telemetry = http.get("/telemetry/inverter:inv1").get_json()
    assert telemetry["pv_power_w"] == 1234 and telemetry["stale"] is False and telemetry["details"] == {}
    assert http.get("/telemetry/nothing").status_code == 404
    queued = http.post("/dispatch", json={"asset_id": "inverter:inv1", "site_id": "home", "mw": -0.003})
    assert queued.status_code == 202 and queued.get_json()["appliance_id"] == "home1"
    # Sent as raw text: the app's own JSON encoder refuses to write Infinity.
    assert http.post("/dispatch", data='{"site_id": "home", "kw": Infinity}',
                     content_type="application/json").status_code == 400
    assert http.post("/dispatch", json={"asset_id": "ghost", "kw": 1}).status_code == 404
    clock.advance(30)
    assert push.run_once()["commands"] == 1
    done = http.get(f"/commands/{queued.get_json()['id']}").get_json()
    assert done["status"] == "acked" and done["outcome"]["status"] == "applied"


def test_a_token_protects_the_headend(tmp_path):
    app = create_app(tmp_path / "t.db", token="s3cret-token")
    http = app.test_client()
    assert http.get("/devices").status_code == 401
    assert http.get("/devices", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    app.extensions["headend_store"].close()


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
