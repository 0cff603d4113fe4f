"""The control API over HTTP: a Deye's program, dry runs, changes, 409 for another source's lease, 429 past the
write budget, 502 for a read-back mismatch, hand-back, the audit log (also in the sync feed), the logical battery's
telemetry."""

from __future__ import annotations

import pytest

from appliance.control import program
from appliance.sync import feed
from tests.control import deye as deye_sim


@pytest.fixture
def inverter(home, clock, dispatcher):
    started = deye_sim.start("tcp", clock)
    yield started
    started.server.stop()


def error_of(response) -> dict:
    return response.get_json()["error"]


def test_the_program_page_of_the_api(api, inverter):
    body = api("GET", f"/api/control/{inverter.asset_id}", scope="read").get_json()
    assert body["program"]["work_mode"] == "zero_export_to_ct" and body["budget"]["limit"] == 200
    dry = api("POST", f"/api/control/{inverter.asset_id}", {"program": {"work_mode": "selling_first"},
                                                           "dry_run": True})
    assert dry.status_code == 200 and dry.get_json()["writes"][0]["address"] == 142 and inverter.writes == 0
    assert api("POST", f"/api/control/{inverter.asset_id}", {"program": {"work_mode": "selling_first"}},
               scope="read").status_code == 403
    done = api("POST", f"/api/control/{inverter.asset_id}", {"program": {"work_mode": "selling_first"}})
    assert done.status_code == 200 and done.get_json()["lease"]["holder"].startswith("token:")
    assert inverter.registers([142]) == {142: 0}


@pytest.mark.parametrize("body, field", [({}, "program"), ({"program": {}}, "program"),
                                         ({"program": {"work_mode": 3}}, "work_mode"),
                                         ({"program": {"x": 1}}, "x"), ({"program": {"work_mode": "selling_first"},
                                                                         "dry_run": "yes"}, "dry_run"),
                                         ({"program": {"solar_sell": True}, "lease_s": 1}, "lease_s"),
                                         ({"program": {"solar_sell": True}, "extra": 1}, "extra")])
def test_bad_requests_are_400_naming_the_field(api, inverter, body, field):
    response = api("POST", f"/api/control/{inverter.asset_id}", body)
    assert response.status_code == 400 and error_of(response)["field"] == field
    assert inverter.writes == 0


def test_409_names_the_holder_and_expiry_and_takeover_wins(api, inverter, clock, dispatcher):
    program.change(inverter.asset_id, {"program": {"export_limit_w": 6000}}, source="ui", holder="admin",
                   dispatcher=dispatcher)
    refused = api("POST", f"/api/control/{inverter.asset_id}", {"program": {"export_limit_w": 7000}})
    assert refused.status_code == 409
    error = error_of(refused)
    assert error["code"] == "lease_held" and error["lease"]["source"] == "ui" and error["lease"]["holder"] == "admin"
    assert error["lease"]["expires_at"] == clock() + 900_000
    assert api("POST", "/api/dispatch", {"asset_id": inverter.asset_id, "kw": 1}).status_code == 409
    taken = api("POST", "/api/dispatch", {"asset_id": inverter.asset_id, "kw": 1, "takeover": True})
    assert taken.status_code == 200 and taken.get_json()["outcome"] == "applied"
    kinds = [e["kind"] for e in api("GET", f"/api/control/audit?asset_id={inverter.asset_id}",
                                    scope="read").get_json()]
    assert kinds[:4] == ["write", "snapshot_taken", "lease_taken_over", "refused"]


def test_429_past_the_write_budget(api, home, clock, dispatcher):
    inverter = deye_sim.start("tcp", clock, budget=4)
    try:
        check_budget(api, inverter)
    finally:
        inverter.server.stop()


def check_budget(api, inverter) -> None:
    first = api("POST", f"/api/control/{inverter.asset_id}", {"program": {"export_limit_w": 5000,
                                                                          "solar_sell": False}})
    assert first.status_code == 200 and first.get_json()["budget"]["remaining"] == 2
    refused = api("POST", f"/api/control/{inverter.asset_id}",
                  {"program": {"max_charge_current_a": 50, "grid_charge_current_a": 20, "work_mode": "selling_first"}})
    assert refused.status_code == 429
    assert error_of(refused)["code"] == "write_budget_exhausted" and error_of(refused)["budget"]["remaining"] == 2
    assert [e["kind"] for e in api("GET", "/api/control/audit?kind=budget_exhausted", scope="read").get_json()] == \
        ["budget_exhausted"]


def test_502_for_a_read_back_mismatch_and_the_error_stays_shown(api, home, clock, dispatcher):
    inverter = deye_sim.start("tcp", clock, hardware_max_a=30)
    try:
        response = api("POST", f"/api/control/{inverter.asset_id}", {"program": {"grid_charge_current_a": 45}})
        assert response.status_code == 502 and error_of(response)["code"] == "write_mismatch"
        shown = api("GET", f"/api/control/{inverter.asset_id}", scope="read").get_json()
        assert "register 128 reads back 30 after a write of 45" in shown["last_error"]
        fixed = api("POST", f"/api/control/{inverter.asset_id}", {"program": {"grid_charge_current_a": 25}})
        assert fixed.status_code == 200
        assert api("GET", f"/api/control/{inverter.asset_id}", scope="read").get_json()["last_error"] is None
    finally:
        inverter.server.stop()


def test_hand_back_restores_the_owners_program(api, inverter):
    owner = inverter.registers()
    assert api("POST", "/api/dispatch", {"asset_id": inverter.asset_id, "kw": -1.5}).get_json()["outcome"] == \
        "applied"
    assert inverter.registers() != owner
    writes = inverter.writes
    dry = api("POST", f"/api/control/{inverter.asset_id}/release", {"dry_run": True}).get_json()
    assert dry["dry_run"] is True and {w["address"] for w in dry["writes"]} >= {108, 128, 130}
    assert inverter.writes == writes and inverter.registers() != owner
    assert api("POST", f"/api/control/{inverter.asset_id}/release", {"dry_run": 1}).status_code == 400
    back = api("POST", f"/api/control/{inverter.asset_id}/release", {})
    assert back.status_code == 200 and back.get_json()["restored"] is True and back.get_json()["lease"] is None
    assert inverter.registers() == owner


def test_the_audit_travels_in_the_sync_feed(api, inverter):
    api("POST", f"/api/control/{inverter.asset_id}", {"program": {"export_limit_w": 5000}})
    rows = [r for r in feed.read_page(None, 5000).rows if r["table"] == "control_audit"]
    assert [r["row"]["kind"] for r in rows] == ["lease_acquired", "write"]
    assert rows[1]["row"]["device_id"] == inverter.asset_id and '"read_back": [5000]' in rows[1]["row"]["details"]


def test_program_control_is_refused_for_a_device_without_a_program(api, home):
    from tests.control.conftest import add_pack

    pack = add_pack("pp", discharge_kw=5, charge_kw=5)
    response = api("GET", f"/api/control/{pack}", scope="read")
    assert response.status_code == 400 and "has no program" in error_of(response)["message"]
    assert api("GET", "/api/control/nope", scope="read").status_code == 404
    telemetry = api("GET", "/api/telemetry/battery_array:bank", scope="read").get_json()
    assert telemetry["kind"] == "battery_array" and telemetry["packs_total"] == 1
    assert api("GET", "/api/telemetry/battery_array:nope", scope="read").status_code == 404
