"""The fleet API: each endpoint's success and error paths through the Flask test client."""

from __future__ import annotations

import pytest

from appliance.sim.powerpack import PowerPackSim
from appliance.store.models import DispatchLog, RegistryDevice
from tests.control.conftest import add_pack

ESP = {"name": "ESP32 Sensor", "device_type": "esp32", "hardware_id": "AA:BB:CC:DD:EE:FF",
       "location": {"room": "Lab"}, "metadata": {"serial_number": "ARD-12345"}}


def error_of(response) -> dict:
    body = response.get_json()
    assert set(body["error"]) >= {"code", "message", "field"}, body
    return body["error"]


@pytest.fixture
def device(api) -> str:
    response = api("POST", "/api/devices/register", ESP)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_register_returns_201_with_the_new_device(api):
    response = api("POST", "/api/devices/register", ESP)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["name"], body["device_type"], body["hardware_id"]) == \
        ("online", "ESP32 Sensor", "esp32", "AA:BB:CC:DD:EE:FF")
    assert body["created_at"]


def test_register_the_same_hardware_id_is_409_with_the_existing_id(api, device):
    response = api("POST", "/api/devices/register", {**ESP, "name": "Again"})
    assert response.status_code == 409
    assert response.get_json()["id"] == device
    assert error_of(response)["field"] == "hardware_id"


BAD_REGISTRATIONS = [
    ({k: v for k, v in ESP.items() if k != "name"}, 400, "name"),
    ({**ESP, "hardware_id": 5}, 400, "hardware_id"),
    ({**ESP, "extra": 1}, 400, "extra"),
    ({**ESP, "metadata": []}, 400, "metadata"),
    ([ESP], 400, None),
]


def test_register_refuses_bad_bodies(api):
    for body, status, field in BAD_REGISTRATIONS:
        response = api("POST", "/api/devices/register", body)
        assert response.status_code == status, body
        assert error_of(response)["field"] == field, body
    assert RegistryDevice.select().count() == 0


def test_malformed_oversized_and_non_json_bodies_are_4xx(api):
    headers = {"Content-Type": "application/json"}
    assert api("POST", "/api/devices/register", data="{not json", headers=headers).status_code == 400
    assert api("POST", "/api/devices/register", data="name=x").status_code == 415
    huge = '{"name": "' + "x" * 70_000 + '"}'
    response = api("POST", "/api/devices/register", data=huge, headers=headers)
    assert response.status_code == 413
    assert error_of(response)["code"]
    assert api("POST", "/api/dispatch", data='{"kw": NaN, "system_id": "home"}', headers=headers).status_code == 400
    assert RegistryDevice.select().count() == 0 and DispatchLog.select().count() == 0


def test_tokens_are_required_and_read_tokens_cannot_change_anything(app, api):
    assert app.test_client().get("/api/devices").status_code == 401
    assert api("GET", "/api/devices", scope="read").status_code == 200
    assert api("POST", "/api/devices/register", ESP, scope="read").status_code == 403
    assert api("POST", "/api/dispatch", {"system_id": "home", "kw": 1}, scope="read").status_code == 403


def test_heartbeat(api, device):
    response = api("POST", "/api/devices/heartbeat", {"device_id": device})
    assert response.status_code == 200
    assert (response.get_json()["device_id"], response.get_json()["status"]) == (device, "online")
    assert api("POST", "/api/devices/heartbeat", {"device_id": "nope"}).status_code == 404
    assert error_of(api("POST", "/api/devices/heartbeat", {}))["field"] == "device_id"
    assert api("GET", f"/api/devices/{device}").get_json()["heartbeats"]["count"] == 1


def test_list_get_and_patch_devices(api, device):
    assert [d["id"] for d in api("GET", "/api/devices?type=esp32").get_json()] == [device]
    assert api("GET", "/api/devices?status=offline").get_json() == []
    assert error_of(api("GET", "/api/devices?status=asleep"))["field"] == "status"
    assert api("GET", f"/api/devices/{device}").get_json()["hardware_id"] == "AA:BB:CC:DD:EE:FF"
    assert api("GET", "/api/devices/nope").status_code == 404
    patched = api("PATCH", f"/api/devices/{device}", {"status": "maintenance", "name": "Lab"})
    assert patched.status_code == 200
    assert (patched.get_json()["status"], patched.get_json()["name"]) == ("maintenance", "Lab")
    assert api("PATCH", f"/api/devices/{device}", {"status": "offline"}).status_code == 400
    assert api("PATCH", "/api/devices/nope", {"name": "x"}).status_code == 404
    assert api("GET", f"/api/devices/{device}").get_json()["name"] == "Lab"


def test_metrics_post_and_series(api, device):
    posted = api("POST", f"/api/devices/{device}/metrics",
                 {"metrics": [{"name": "temp_c", "value": 21.5, "ts": 1000}, {"name": "temp_c", "value": 22, "ts": 2000}]})
    assert posted.status_code == 201 and posted.get_json()["stored"] == 2
    series = api("GET", f"/api/devices/{device}/metrics?name=temp_c&from=1500").get_json()
    assert (series["ts"], series["values"]) == ([2000], [22.0])
    overview = api("GET", f"/api/devices/{device}/metrics").get_json()["metrics"]
    assert [(m["name"], m["points"], m["latest"]) for m in overview] == [("temp_c", 2, 22.0)]
    bad = api("POST", f"/api/devices/{device}/metrics", {"metrics": [{"name": "t", "value": "hot"}]})
    assert error_of(bad)["field"] == "metrics[0].value"
    assert api("POST", "/api/devices/nope/metrics", {"metrics": [{"name": "t", "value": 1}]}).status_code == 404
    assert api("GET", f"/api/devices/{device}/metrics?name=temp_c&from=soon").status_code == 400
    assert api("GET", f"/api/devices/{device}/metrics?name=temp_c&limit=0").status_code == 400


@pytest.fixture
def pack(home):
    sim = PowerPackSim()
    server = sim.tcp()
    asset_id = add_pack("pp", discharge_kw=20, charge_kw=20, port=server.port)
    yield asset_id, sim
    server.stop()


def test_assets_agents_and_telemetry(api, pack):
    asset_id, _ = pack
    assets = api("GET", "/api/assets", scope="read").get_json()
    # The bank the pack is in is listed too, as one logical battery with the pack's limits.
    assert [(a["asset_id"], a["kind"], a["limits"]["max_kw"]) for a in assets] == [
        (asset_id, "bess", 20), ("battery_array:bank", "battery_array", 20)]
    assert assets[1]["controlled_by"] == [asset_id] and assets[1]["dispatchable"] is True
    agents = api("GET", "/api/agents?system_id=home", scope="read").get_json()
    assert [(a["asset_id"], a["connected"]) for a in agents] == [(asset_id, True)]
    telemetry = api("GET", f"/api/telemetry/{asset_id}", scope="read").get_json()
    assert telemetry["asset_id"] == asset_id and "stale" in telemetry and "details" in telemetry
    assert error_of(api("GET", "/api/telemetry/nope", scope="read"))["code"] == "not_found"


def test_dispatch_delivers_and_logs(api, pack, dispatcher):
    asset_id, sim = pack
    response = api("POST", "/api/dispatch", {"asset_id": asset_id, "system_id": "home", "kw": 7})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["outcome"], body["target"], body["ignored"]) == ("applied", {"kind": "asset", "id": asset_id},
                                                                  ["system_id"])
    assert sim.target_power_w == 7_000
    log = api("GET", "/api/dispatch/log?limit=5", scope="read").get_json()
    assert [(e["dispatch_id"], e["outcome"], e["requested_by"]) for e in log] == \
        [(body["dispatch_id"], "applied", "token:t-write")]
    assert log[0]["shares"][0]["applied_w"] == 7_000


BAD_COMMANDS = [
    ({"system_id": "home", "kw": 25}, 400, "kw"),
    ({"system_id": "home", "kw": "1"}, 400, "kw"),
    ({"system_id": "home"}, 400, "kw"),
    ({"asset_id": "nope", "kw": 1}, 404, "asset_id"),
    ({"site_id": "nope", "kw": 1}, 404, "system_id"),
    ({"group_id": "nope", "kw": 1}, 404, "group_id"),
    ({"system_id": "home", "kw": 1, "duration_s": -5}, 400, "duration_s"),
]


def test_dispatch_refuses_bad_commands_and_changes_nothing(api, pack, dispatcher):
    _, sim = pack
    for body, status, field in BAD_COMMANDS:
        response = api("POST", "/api/dispatch", body)
        assert response.status_code == status, body
        assert error_of(response)["field"] == field, body
    assert DispatchLog.select().count() == 0 and sim.image.writes == 0


def test_dispatch_log_query_errors(api):
    assert error_of(api("GET", "/api/dispatch/log?limit=0", scope="read"))["field"] == "limit"
    assert error_of(api("GET", "/api/dispatch/log?limit=x", scope="read"))["field"] == "limit"
    assert api("GET", "/api/dispatch/log", scope="read").get_json() == []
