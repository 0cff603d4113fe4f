"""The catalog API: each endpoint's success and error paths."""

from __future__ import annotations

import pytest

from tests.web.conftest import bearer

CREATE = {
    "systems": {"system_id": "s2", "name": "Cabin", "timezone": "Europe/Berlin"},
    "arrays": {"array_id": "a2", "system_id": "home", "name": "Garage"},
    "inverters": {"inverter_id": "inv2", "array_id": "roof", "name": "Inverter 2", "phase_type": "single"},
    "battery-arrays": {"battery_array_id": "bank2", "system_id": "home", "name": "Bank 2",
                       "inverter_array_id": "roof"},
    "battery-packs": {"pack_id": "pack2", "battery_array_id": "bank", "name": "Pack 2", "batteries": 1,
                      "cells_per_battery": 16, "chemistry": "LFP"},
    "meters": {"meter_id": "m2", "system_id": "home", "name": "House meter", "type": "consumption"},
    "adapters": {"adapter_id": "ad2", "adapter_type": "pytes", "config": {"serial_port": "/dev/ttyUSB0"}},
    "device-groups": {"group_id": "g1", "name": "Group", "group_type": "monitoring", "system_id": "home"},
}
UPDATE = {"systems": {"name": "Cabin 2"}, "arrays": {"name": "Garage 2"}, "inverters": {"name": "Inv 2b"},
          "battery-arrays": {"name": "Bank 2b", "inverter_array_id": None}, "battery-packs": {"name": "Pack 2b"},
          "meters": {"name": "House 2"}, "adapters": {"name": "Adapter 2"}, "device-groups": {"name": "Group 2"}}
IDS = {"systems": "system_id", "arrays": "array_id", "inverters": "inverter_id",
       "battery-arrays": "battery_array_id", "battery-packs": "pack_id", "meters": "meter_id",
       "adapters": "adapter_id", "device-groups": "group_id"}


@pytest.fixture
def api(client, write_token, site):
    def call(method, path, body=None, **kw):
        return client.open(path, method=method, json=body, headers=bearer(write_token), **kw)
    return call


@pytest.mark.parametrize("plural", list(CREATE))
def test_crud_round_trip(api, plural):
    body = CREATE[plural]
    item_id = body[IDS[plural]]
    created = api("POST", f"/api/{plural}", body)
    assert created.status_code == 201, created.json
    assert created.json[IDS[plural]] == item_id
    assert any(i[IDS[plural]] == item_id for i in api("GET", f"/api/{plural}").json)
    assert api("GET", f"/api/{plural}/{item_id}").json[IDS[plural]] == item_id
    updated = api("PATCH", f"/api/{plural}/{item_id}", UPDATE[plural])
    assert updated.status_code == 200, updated.json
    assert updated.json["name"] == UPDATE[plural]["name"]
    assert api("DELETE", f"/api/{plural}/{item_id}").status_code == 204
    assert api("GET", f"/api/{plural}/{item_id}").status_code == 404


@pytest.mark.parametrize("plural", list(CREATE))
def test_unknown_ids_are_404(api, plural):
    for method, body in (("GET", None), ("PATCH", {"name": "x"}), ("DELETE", None)):
        response = api(method, f"/api/{plural}/nope", body)
        assert response.status_code == 404, (method, response.json)
        assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("plural", list(CREATE))
def test_duplicate_ids_are_409(api, plural):
    assert api("POST", f"/api/{plural}", CREATE[plural]).status_code == 201
    response = api("POST", f"/api/{plural}", CREATE[plural])
    assert response.status_code == 409 and response.json["error"]["code"] == "conflict"


@pytest.mark.parametrize("plural,body,field", [
    ("systems", {"system_id": "s3", "name": "X", "timezone": "Mars/Olympus"}, "timezone"),
    ("systems", {"system_id": "bad id!", "name": "X"}, "system_id"),
    ("arrays", {"array_id": "a3", "system_id": "nope", "name": "X"}, "system_id"),
    ("inverters", {"inverter_id": "i3", "array_id": "roof", "name": ""}, "name"),
    ("inverters", {"inverter_id": "i3", "array_id": "roof", "name": "X", "phase_type": "four"}, "phase_type"),
    ("inverters", {"inverter_id": "i3", "array_id": "roof", "name": "X", "colour": "red"}, "colour"),
    ("battery-packs", {"pack_id": "p3", "battery_array_id": "bank", "name": "X", "soc_reserve_pct": 120},
     "soc_reserve_pct"),
    ("meters", {"meter_id": "m3", "system_id": "home", "name": "X", "type": "magic"}, "type"),
    ("adapters", {"adapter_id": "ad3", "adapter_type": "powdrive", "config": {"transport": "tcp"}}, "config.host"),
    ("adapters", {"adapter_id": "ad3", "adapter_type": "nope", "config": {}}, "adapter_type"),
    ("device-groups", {"group_id": "g3", "name": "X", "group_type": "party"}, "group_type"),
])
def test_validation_errors_name_the_field(api, plural, body, field):
    response = api("POST", f"/api/{plural}", body)
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "validation_error" and response.json["error"]["field"] == field
    assert response.json["error"]["message"]


def test_list_filters_by_system(api):
    api("POST", "/api/systems", CREATE["systems"])
    api("POST", "/api/arrays", {"array_id": "cabin_roof", "system_id": "s2", "name": "Cabin roof"})
    assert [a["array_id"] for a in api("GET", "/api/arrays?system_id=s2").json] == ["cabin_roof"]


def test_non_json_bodies(client, write_token, site):
    headers = bearer(write_token)
    response = client.post("/api/systems", data="system_id=x", headers=headers,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.json["error"]["code"] == "unsupported_media_type"
    response = client.post("/api/systems", data="{not json", headers=headers, content_type="application/json")
    assert response.status_code == 400 and "error" in response.json
    response = client.post("/api/systems", data="[1, 2]", headers=headers, content_type="application/json")
    assert response.status_code == 400


def test_oversized_body_is_413(client, write_token, site):
    body = '{"system_id": "big", "name": "' + "x" * (1024 * 1024 + 10) + '"}'
    response = client.post("/api/systems", data=body, headers=bearer(write_token), content_type="application/json")
    assert response.status_code == 413 and response.json["error"]["code"] == "request_entity_too_large"


def test_adapter_types(api):
    types = api("GET", "/api/adapter-types").json
    assert {"powdrive", "pytes", "jkbms_ble"} <= {t["adapter_type"] for t in types}
    one = api("GET", "/api/adapter-types/powdrive").json
    assert one["config_schema"]["properties"]["transport"]["enum"] == ["rtu", "tcp"]
    assert api("GET", "/api/adapter-types/nope").status_code == 404


def test_pack_failover_adapters(api):
    for name in ("a", "b", "c"):
        api("POST", "/api/adapters", {"adapter_id": name, "adapter_type": "pytes",
                                      "config": {"serial_port": f"/dev/tty{name}"}})
        assert api("POST", "/api/battery-packs/pack1/adapters", {"adapter_id": name}).status_code == 201
    assert [a["adapter_id"] for a in api("GET", "/api/battery-packs/pack1/adapters").json] == ["a", "b", "c"]
    ordered = api("PUT", "/api/battery-packs/pack1/adapters", {"adapter_ids": ["c", "a", "b"]})
    assert [a["adapter_id"] for a in ordered.json] == ["c", "a", "b"]
    assert api("PUT", "/api/battery-packs/pack1/adapters", {"adapter_ids": ["c"]}).status_code == 400
    assert api("PUT", "/api/battery-packs/pack1/adapters", {"adapter_ids": "c"}).status_code == 400
    assert api("POST", "/api/battery-packs/pack1/adapters", {"adapter_id": "inv1_adapter"}).status_code == 400
    assert api("POST", "/api/battery-packs/pack1/adapters", {"adapter_id": "a", "x": 1}).status_code == 400
    assert api("DELETE", "/api/battery-packs/pack1/adapters/a").status_code == 204
    assert api("DELETE", "/api/battery-packs/pack1/adapters/a").status_code == 404
    assert api("GET", "/api/battery-packs/nope/adapters").status_code == 404


def test_battery_array_attachments(api):
    assert api("PATCH", "/api/battery-arrays/bank", {"inverter_array_id": "roof"}).json[
        "attached_inverter_array_id"] == "roof"
    assert api("PATCH", "/api/battery-arrays/bank", {"inverter_array_id": None}).json[
        "attached_inverter_array_id"] is None
    history = api("GET", "/api/battery-arrays/bank/attachments").json
    assert len(history) == 1 and history[0]["detached_at"]
    assert api("GET", "/api/battery-arrays/nope/attachments").status_code == 404
    bad = api("PATCH", "/api/battery-arrays/bank", {"inverter_array_id": "nope"})
    assert bad.status_code == 400 and bad.json["error"]["field"] == "inverter_array_id"


def test_group_members(api):
    api("POST", "/api/device-groups", CREATE["device-groups"])
    member = api("PUT", "/api/device-groups/g1/members/inverter:inv1", {"role": "primary", "priority": 1})
    assert member.status_code == 200 and member.json["members"][0]["role"] == "primary"
    assert api("PUT", "/api/device-groups/g1/members/inverter:inv1", {"role": "boss"}).status_code == 400
    assert api("PUT", "/api/device-groups/g1/members/inverter:inv1", {"colour": 1}).status_code == 400
    assert api("PUT", "/api/device-groups/nope/members/inverter:inv1", {}).status_code == 404
    assert api("DELETE", "/api/device-groups/g1/members/inverter:inv1").status_code == 204
    assert api("DELETE", "/api/device-groups/g1/members/inverter:inv1").status_code == 404


def test_session_with_csrf_can_use_the_api(browser, site):
    response = browser.api("POST", "/api/arrays", {"array_id": "a9", "system_id": "home", "name": "Shed"})
    assert response.status_code == 201
