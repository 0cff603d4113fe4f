"""The asset view: configured assets with limits, one agent row per asset, telemetry with details and stale flag."""

from __future__ import annotations

import json

import pytest

from appliance.catalog import adapters, devices
from appliance.control import assets
from appliance.errors import NotFoundError
from appliance.store.models import DeviceHealth
from tests.control.conftest import add_pack


@pytest.fixture
def site(home):
    bess = add_pack("pp", discharge_kw=50, charge_kw=40, adapter_kw=30, port=1502)
    adapters.create_adapter("inv_adapter", "powdrive", {"transport": "tcp", "host": "127.0.0.1", "port": 1503})
    devices.create_inverter("inv", "roof", "Inverter", adapter_id="inv_adapter")
    devices.create_meter("grid", "home", "Grid meter", type="grid")
    return bess


def test_assets_lists_every_configured_asset_with_kind_system_and_limits(site):
    rows = {a["asset_id"]: a for a in assets.assets()}
    assert sorted(rows) == ["battery_array:bank", "battery_pack:pp", "inverter:inv", "meter:grid"]
    bess = rows["battery_pack:pp"]
    assert (bess["kind"], bess["system_id"], bess["site_id"], bess["system_name"]) == ("bess", "home", "home", "Home")
    assert bess["dispatchable"] is True
    assert bess["limits"]["max_discharge_kw"] == 30 and bess["limits"]["max_charge_kw"] == 30
    assert bess["limits"]["min_kw"] == -30
    # A Deye-family hybrid takes setpoints through its program (issue 11); with no program read yet and no
    # pack limits known for its battery, it has no limit to offer.
    assert (rows["inverter:inv"]["dispatchable"], rows["inverter:inv"]["control"]) == (True, "program")
    assert rows["battery_pack:pp"]["control"] == "setpoint" and rows["meter:grid"]["control"] is None
    assert rows["battery_array:bank"]["kind"] == "battery_array"
    assert rows["meter:grid"]["kind"] == "meter"
    assert assets.assets("nope") == []


def test_agents_has_one_row_per_asset_with_peer_and_sessions(site):
    DeviceHealth.insert(device=site, ts=1000, status="online", diagnostics=json.dumps({})).execute()
    DeviceHealth.insert(device=site, ts=2000, status="offline", diagnostics=json.dumps({"error": "timeout"})).execute()
    rows = {a["asset_id"]: a for a in assets.agents()}
    assert len(rows) == 3
    bess = rows[site]
    assert (bess["connected"], bess["adapter_id"], bess["peer"]) == (True, "pp_adapter", "tcp:127.0.0.1:1502")
    assert [(s["ts"], s["status"], s["error"]) for s in bess["sessions"]] == [(2000, "offline", "timeout"),
                                                                             (1000, "online", None)]
    assert rows["meter:grid"]["peer"] is None and rows["meter:grid"]["connected"] is False


def test_telemetry_puts_core_values_on_top_and_family_values_under_details(site, live_cache, clock):
    live_cache.soc(site, 55.5)
    body = assets.telemetry(site)
    assert (body["asset_id"], body["kind"], body["soe_pct"], body["power_w"]) == (site, "bess", 55.5, 0.0)
    assert body["ts"] == clock() and body["timestamp"].endswith("Z")
    assert body["stale"] is False and body["details"] == {}
    clock.advance(3600)
    assert assets.telemetry("pp")["stale"] is True


def test_telemetry_of_an_asset_without_readings_is_stale_and_empty(site, live_cache):
    body = assets.telemetry("meter:grid")
    assert (body["ts"], body["stale"], body["details"]) == (None, True, {})


def test_telemetry_of_an_unknown_asset_is_not_found(site):
    with pytest.raises(NotFoundError):
        assets.telemetry("nope")
