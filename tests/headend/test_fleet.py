"""The headend's fleet views (assets, agents, telemetry) and dispatch, from what appliances pushed."""

from __future__ import annotations

import random
import time

import pytest

from appliance.acquisition.writer import SampleWriter
from appliance.catalog import devices, systems
from appliance.headend.server import LocalHeadend
from appliance.sync.push import PushClient

from tests.sync.conftest import Clock, energy_row


@pytest.fixture
def linked(db, tmp_path):
    """A home with an inverter and a meter, its sample writer, and a reference headend on 127.0.0.1."""
    systems.create_system("home", "Home", timezone="UTC")
    systems.create_array("roof", "home", "Roof")
    devices.create_inverter("inv1", "roof", "Inverter 1")
    devices.create_meter("m1", "home", "Grid meter")
    writer = SampleWriter(flush_interval_s=0.02).start()
    headend = LocalHeadend(tmp_path / "headend.db")
    yield writer, headend
    writer.stop()
    headend.close()


def test_assets_agents_telemetry_and_dispatch_from_pushed_data(linked):
    writer, headend = linked
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
    assert agents["inverter:inv1"]["site_name"] == "Home" and agents["inverter:inv1"]["last_seen"].endswith("Z")
    telemetry = http.get("/telemetry/inverter:inv1").get_json()
    assert telemetry["pv_power_w"] == 1234 and telemetry["stale"] is False and telemetry["details"] == {}
    assert http.get("/telemetry/nothing").status_code == 404
    queued = http.post("/dispatch", json={"asset_id": "inverter:inv1", "site_id": "home", "mw": -0.003})
    assert queued.status_code == 202 and queued.get_json()["appliance_id"] == "home1"
    # Sent as raw text: the app's own JSON encoder refuses to write Infinity.
    assert http.post("/dispatch", data='{"site_id": "home", "kw": Infinity}',
                     content_type="application/json").status_code == 400
    assert http.post("/dispatch", json={"asset_id": "ghost", "kw": 1}).status_code == 404
    assert http.post("/dispatch", json={"system_id": "ghost", "kw": 1}).status_code == 404
    by_site = http.post("/dispatch", json={"site_id": "home", "kw": 1})
    assert by_site.status_code == 202 and by_site.get_json()["appliance_id"] == "home1"
    clock.advance(30)
    assert push.run_once()["commands"] == 2
    done = http.get(f"/commands/{queued.get_json()['id']}").get_json()
    assert done["status"] == "acked" and done["outcome"]["status"] == "applied"


def _registry(seq, appliance_id):
    return {"seq": seq, "table": "device_registry", "kind": "registry", "op": "upsert", "key": {"device_id": "inverter:inv1"},
            "row": {"device_id": "inverter:inv1", "catalog_id": "inv1", "kind": "inverter", "system_id": "home",
                    "name": f"Inverter of {appliance_id}", "health_status": "online"}}


def _sample(seq, ts, pv):
    return {"seq": seq, "table": "energy_samples", "kind": "sample", "op": "upsert", "changed_at": ts,
            "key": {"inverter_id": "inv1", "ts": ts}, "row": {"inverter_id": "inv1", "ts": ts, "pv_power_w": pv,
                                                              "details": "not json"}}


def _push(client, appliance_id, *rows):
    page = {"appliance_id": appliance_id, "cursor_from": "", "cursor_to": "f-9", "rows": list(rows)}
    assert client.post("/ingest", json=page).status_code == 200


def test_two_homes_with_the_same_inverter_id_each_show_their_own_newest_sample(client, clock):
    _push(client, "home-a", _registry(1, "home-a"), _sample(2, clock.now - 60_000, 100))
    _push(client, "home-b", _registry(1, "home-b"), _sample(2, clock.now - 1_000, 200))
    agents = {a["appliance_id"]: a for a in client.get("/agents").get_json()}
    assert agents["home-a"]["last_seen"] == "2026-05-28T20:25:40.000Z"
    assert agents["home-b"]["last_seen"] == "2026-05-28T20:26:39.000Z"
    assert agents["home-a"]["asset_name"] == "Inverter of home-a" and not agents["home-a"]["connected"]


def test_telemetry_turns_stale_and_an_appliance_disconnected_by_the_headend_clock(client, clock):
    device = client.post("/devices/register", json={"name": "Pi", "device_type": "appliance", "hardware_id": "hw",
                                                    "metadata": {"appliance_id": "home-a"}}).get_json()
    _push(client, "home-a", _registry(1, "home-a"), _sample(2, clock.now, 100))
    telemetry = client.get("/telemetry/inv1").get_json()  # the catalog id names the asset too
    assert telemetry["stale"] is False and telemetry["details"] == {"raw": "not json"}
    assert telemetry["timestamp"] == "2026-05-28T20:26:40.000Z" and telemetry["appliance_id"] == "home-a"
    assert client.get("/agents").get_json()[0]["connected"] is True
    clock.advance(91)
    assert client.get("/agents").get_json()[0]["connected"] is False
    client.post("/devices/heartbeat", json={"device_id": device["id"]})
    assert client.get("/agents").get_json()[0]["connected"] is True
    clock.advance(210)
    assert client.get("/telemetry/inverter:inv1").get_json()["stale"] is True


def test_telemetry_is_stale_after_the_appliances_own_write_interval_and_a_bad_interval_is_refused(client, clock):
    device = client.post("/devices/register", json={"name": "Pi", "device_type": "appliance", "hardware_id": "hw",
                                                    "metadata": {"appliance_id": "home-a"}}).get_json()
    _push(client, "home-a", _registry(1, "home-a"), _sample(2, clock.now, 100))
    for bad in (0, -5, 7200, "1800", True):
        answer = client.post("/devices/heartbeat", json={"device_id": device["id"], "flush_interval_s": bad})
        assert answer.status_code == 400 and answer.get_json()["error"]["field"] == "flush_interval_s", bad
    # The appliance writes its samples every 30 minutes (a RAM spool): a sample 10 minutes old is not late.
    assert client.post("/devices/heartbeat", json={"device_id": device["id"], "flush_interval_s": 1800}).status_code == 200
    assert client.get("/devices").get_json()[0]["flush_interval_s"] == 1800
    clock.advance(600)
    assert client.get("/telemetry/inv1").get_json()["stale"] is False
    clock.advance(1560)  # 36 minutes: more than an interval and five minutes
    assert client.get("/telemetry/inv1").get_json()["stale"] is True


def test_the_heartbeat_tells_the_headend_the_writers_interval(linked):
    writer, headend = linked
    push = PushClient({"sync.url": headend.url, "sync.appliance_id": "home1"}, hardware_id="hw-7",
                      rng=random.Random(2), flush_interval_s=1800.0)
    assert "error" not in push.run_once()
    assert [d["flush_interval_s"] for d in headend.store.devices()] == [1800.0]


def test_a_headend_file_made_before_the_interval_column_gains_it_and_keeps_its_appliances(tmp_path):
    import sqlite3

    from appliance.headend.store import HeadendStore

    path = tmp_path / "old-headend.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE appliances (device_id TEXT PRIMARY KEY, hardware_id TEXT NOT NULL UNIQUE, name TEXT "
                 "NOT NULL, device_type TEXT NOT NULL, appliance_id TEXT, firmware_version TEXT, ip_address TEXT, "
                 "location TEXT, metadata TEXT NOT NULL DEFAULT '{}', created_at INTEGER NOT NULL, last_seen INTEGER, "
                 "heartbeats INTEGER NOT NULL DEFAULT 0, backlog INTEGER)")
    conn.execute("INSERT INTO appliances (device_id, hardware_id, name, device_type, created_at) "
                 "VALUES ('d1', 'hw', 'Pi', 'appliance', 1)")
    conn.commit()
    conn.close()
    store = HeadendStore(path)
    try:
        assert [(d["device_id"], d["flush_interval_s"]) for d in store.devices()] == [("d1", None)]
    finally:
        store.close()
