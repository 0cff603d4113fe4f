"""The reference headend's API: registration (201/409), heartbeats, idempotent ingest, a token; bad bodies refused."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

from appliance.headend.app import create_app
from appliance.headend.context import store_of
from appliance.headend.jsonio import MAX_BODY

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


def test_a_token_protects_the_headend(tmp_path):
    app = create_app(tmp_path / "t.db", token="s3cret-token")
    http = app.test_client()
    assert http.get("/devices").status_code == 401
    assert http.get("/devices", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    assert http.get("/devices", headers={"Authorization": "Bearer s3cret-tokem"}).status_code == 401
    store_of(app).close()


def test_a_device_is_offline_after_five_minutes_without_a_heartbeat(client, clock):
    device = client.post("/devices/register", json=REG).get_json()
    clock.advance(299)
    assert client.get("/devices").get_json()[0]["status"] == "online"
    clock.advance(2)
    assert client.get("/devices").get_json()[0]["status"] == "offline"
    beat = client.post("/devices/heartbeat", json={"device_id": device["id"], "backlog": 12}).get_json()
    assert beat == {"device_id": device["id"], "status": "online", "last_seen": clock.now}
    assert client.get("/devices").get_json()[0]["backlog"] == 12


def _refused(answer, field):
    assert answer.status_code == 400, answer.get_data(as_text=True)
    error = answer.get_json()["error"]
    assert error["code"] == "validation_error" and error["field"] == field and error["message"]
    return error["message"]


@pytest.mark.parametrize(("body", "field"), [
    ({**REG, "metadata": "home1"}, "metadata"),
    ({**REG, "metadata": {"appliance_id": {"id": 1}}}, "metadata.appliance_id"),
    ({**REG, "firmware_version": {"v": 1}}, "firmware_version"),
    ({**REG, "ip_address": 127001}, "ip_address"),
    ({**REG, "hardware_id": "x" * 201}, "hardware_id"),
    ({**REG, "device_type": "  "}, "device_type"),
])
def test_a_bad_registration_is_refused_naming_the_field_and_registers_nothing(client, body, field):
    _refused(client.post("/devices/register", json=body), field)
    assert client.get("/devices").get_json() == []


def test_a_bad_heartbeat_is_refused_naming_the_field(client):
    device_id = client.post("/devices/register", json=REG).get_json()["id"]
    _refused(client.post("/devices/heartbeat", json={"device_id": device_id, "backlog": "many"}), "backlog")
    _refused(client.post("/devices/heartbeat", json={"device_id": device_id, "backlog": -1}), "backlog")
    _refused(client.post("/devices/heartbeat", json={"device_id": 7}), "device_id")
    assert client.get("/devices").get_json()[0]["heartbeats"] == 0


PAGE = {"appliance_id": "home1", "cursor_from": "a-0", "cursor_to": "a-1"}


@pytest.mark.parametrize(("change", "field"), [
    ({"appliance_id": ""}, "appliance_id"),
    ({"cursor_from": None}, "cursor_from"),
    ({"cursor_to": ""}, "cursor_to"),
    ({"rows": {"seq": 1}}, "rows"),
    ({"rows": [_row(1, 10), "row"]}, "rows[1]"),
    ({"rows": [{**_row(1, 10), "seq": "1"}]}, "rows[0].seq"),
    ({"rows": [{**_row(1, 10), "seq": True}]}, "rows[0].seq"),
    ({"rows": [{**_row(1, 10), "op": "insert"}]}, "rows[0].op"),
    ({"rows": [{**_row(1, 10), "key": ["inv1", 10]}]}, "rows[0].key"),
    ({"rows": [{**_row(1, 10), "row": [1, 2]}]}, "rows[0].row"),
    ({"rows": [{**_row(1, 10), "changed_at": {"ms": 1}}]}, "rows[0].changed_at"),
    ({"rows": [_row(1, 10), {**_row(2, 20), "key": {"inverter_id": "inv1", "ts": "noon"}}]}, "rows[1].key.ts"),
])
def test_a_bad_feed_page_is_refused_naming_the_field_and_stores_nothing(client, app, change, field):
    _refused(client.post("/ingest", json={**PAGE, "rows": [], **change}), field)
    assert store_of(app).rows() == [] and store_of(app).cursor("home1") is None
    # The same page made right is stored: the refusal left no batch behind that would make it a duplicate.
    assert client.post("/ingest", json={**PAGE, "rows": [_row(1, 10)]}).get_json()["applied"] == 1


def test_a_body_that_is_not_a_json_object_or_too_large_once_inflated_is_refused(client):
    assert "JSON object" in _refused(client.post("/ingest", json=[PAGE]), None)
    assert "not valid JSON" in _refused(client.post("/ingest", data=b'{"a": NaN', content_type="application/json"),
                                        None)
    bomb = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    data = bomb.compress(b"0" * (MAX_BODY + 1)) + bomb.flush()
    assert len(data) < 100_000
    assert "too large" in _refused(client.post("/ingest", data=data, headers={"Content-Encoding": "gzip"}), None)


def test_bad_dispatches_and_acks_are_refused_naming_the_field(client):
    order = {"appliance_id": "home1", "kw": 1.5}
    _refused(client.post("/dispatch", json={"appliance_id": "home1"}), "mw")
    _refused(client.post("/dispatch", json={**order, "mw": 0.001}), "mw")
    _refused(client.post("/dispatch", json={**order, "kw": "1.5"}), "kw")
    _refused(client.post("/dispatch", json={**order, "duration_s": -60}), "duration_s")
    _refused(client.post("/dispatch", json={"asset_id": 5, "kw": 1}), "asset_id")
    _refused(client.post("/dispatch", json={"kw": 1}), "asset_id")
    _refused(client.post("/dispatch", json={**order, "appliance_id": ["home1"]}), "appliance_id")
    assert client.get("/commands", query_string={"appliance_id": "home1"}).get_json() == {"commands": []}
    _refused(client.get("/commands"), "appliance_id")
    queued = client.post("/dispatch", json={**order, "duration_s": 600})
    assert queued.status_code == 202
    command = queued.get_json()
    assert command["params"] == {"kw": 1.5, "duration_s": 600} and command["status"] == "queued"
    _refused(client.post(f"/commands/{command['id']}/ack", json={"result": "ok"}), "status")
    _refused(client.post(f"/commands/{command['id']}/ack", json={"status": "applied"}), "appliance_id")
    other = client.post(f"/commands/{command['id']}/ack", json={"appliance_id": "home2", "status": "applied"})
    assert other.status_code == 409 and other.get_json()["error"]["field"] == "appliance_id"
    assert client.get(f"/commands/{command['id']}").get_json()["status"] == "queued"
    assert client.post("/commands/nope/ack", json={"appliance_id": "home1", "status": "applied"}).status_code == 404
    acked = client.post(f"/commands/{command['id']}/ack", json={"appliance_id": "home1", "status": "applied"})
    assert acked.get_json()["outcome"] == {"appliance_id": "home1", "status": "applied"}
    again = client.post(f"/commands/{command['id']}/ack", json={"appliance_id": "home1", "status": "failed"})
    assert again.get_json()["outcome"]["status"] == "applied"  # the first ack counts
    assert client.get("/commands", query_string={"appliance_id": "home1"}).get_json() == {"commands": []}


def test_unknown_paths_and_methods_answer_json_errors(client):
    missing = client.get("/nothing-here")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    wrong = client.get("/ingest")
    assert wrong.status_code == 405 and wrong.get_json()["error"]["code"] == "method_not_allowed"
