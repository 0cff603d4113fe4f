"""Data endpoints: /health, discovery, readings, power flow, history, energy, CSV."""

from __future__ import annotations

import pytest

from tests.web.conftest import bearer, patch_functions

HISTORY, LIVE, INBOX = "appliance.energy.history", "appliance.acquisition.live", "appliance.discovery.inbox"


@pytest.fixture
def get(client, read_token, site):
    return lambda path: client.get(path, headers=bearer(read_token))


@pytest.fixture
def post(client, write_token, site):
    return lambda path, body=None: client.post(path, json=body if body is not None else {},
                                               headers=bearer(write_token))


def test_health_needs_no_login_and_reports_checks(app, client):
    assert client.get("/health").json == {"status": "ok", "checks": {"database": {"ok": True, "detail": "reachable"}}}
    app.config["HEALTH_CHECKS"] = {"writer": lambda: (True, "queue 0"), "scheduler": lambda: (False, "stopped"),
                                   "broken": lambda: 1 / 0}
    response = client.get("/health")
    assert response.status_code == 503 and response.json["status"] == "degraded"
    assert response.json["checks"]["scheduler"] == {"ok": False, "detail": "stopped"}
    assert response.json["checks"]["broken"]["ok"] is False


class ScanStandIn:
    """Stands in for the runtime's DiscoveryService (the part the API calls)."""

    def scan_now(self) -> dict:
        return {"running": True}

    def status(self) -> dict:
        return {"running": False, "progress": 100}


def test_discovery_inbox(app, get, post, monkeypatch):
    calls = []
    patch_functions(monkeypatch, INBOX, list_inbox=lambda: [{"device_id": "d1", "port": "/dev/ttyUSB0"}],
                   approve=lambda i: calls.append(("approve", i)) or {"approved": i},
                   reject=lambda i: calls.append(("reject", i)) or {"rejected": i},
                   ignore_port=lambda p: calls.append(("ignore", p)) or {"ignored": p})
    app.config["DISCOVERY"] = ScanStandIn()
    assert get("/api/discovery").json[0]["device_id"] == "d1"
    assert post("/api/discovery/d1/approve").json == {"approved": "d1"}
    assert post("/api/discovery/d1/reject").json == {"rejected": "d1"}
    assert post("/api/discovery/ignore-port", {"port": "/dev/ttyUSB0"}).json == {"ignored": "/dev/ttyUSB0"}
    assert post("/api/discovery/ignore-port", {}).status_code == 400
    assert post("/api/discovery/scan").status_code == 202
    assert get("/api/discovery/scan").json["progress"] == 100
    assert calls == [("approve", "d1"), ("reject", "d1"), ("ignore", "/dev/ttyUSB0")]


def test_a_scan_without_the_runtimes_discovery_is_a_503_not_a_second_scanner(app, get, post):
    assert app.config["DISCOVERY"] is None  # create_app alone: no runtime, so no discovery service
    for answer in (post("/api/discovery/scan"), get("/api/discovery/scan")):
        assert answer.status_code == 503, answer.data
        assert "device discovery does not run in this process" in answer.json["error"]["message"]


def test_inbox_errors_pass_through(get, post, monkeypatch):
    from appliance.errors import NotFoundError

    def approve(discovery_id):
        raise NotFoundError(f"discovery {discovery_id!r} does not exist", field="discovery_id")
    patch_functions(monkeypatch, INBOX, approve=approve)
    response = post("/api/discovery/nope/approve")
    assert response.status_code == 404 and response.json["error"]["field"] == "discovery_id"


def test_latest_reading(get, monkeypatch):
    patch_functions(monkeypatch, LIVE, latest_reading=lambda d: {"kind": "inverter", "pv_power_w": 1200,
                                                                "ts": 1, "stale": True} if d == "inverter:inv1" else None)
    assert get("/api/readings/inverter:inv1/latest").json["reading"]["stale"] is True
    assert get("/api/readings/meter:grid/latest").json == {"device_id": "meter:grid", "reading": None}
    assert get("/api/readings/nope/latest").status_code == 404


def test_power_flow(get, monkeypatch):
    patch_functions(monkeypatch, LIVE, power_flow=lambda s: {"pv_w": 1, "load_w": 2, "grid_w": 1, "battery_w": 0,
                                                            "soc_pct": 50, "ts": 5, "stale": False})
    assert get("/api/power-flow/home").json["soc_pct"] == 50
    assert get("/api/power-flow/nope").status_code == 404


def test_history(get, monkeypatch):
    seen = []

    def series(level, entity_id, resolution, start_ms, end_ms):
        seen.append((level, entity_id, resolution, start_ms, end_ms))
        return [{"ts": start_ms, "pv_w": 10}, {"ts": start_ms + 300_000, "pv_w": 20}]
    patch_functions(monkeypatch, HISTORY, series=series)
    body = get("/api/history/inverter/inv1?resolution=5m&from=2025-06-01&to=2025-06-02").json
    assert body["ts"][1] - body["ts"][0] == 300_000 and body["pv_w"] == [10, 20]
    # Dates are local midnights in the system's zone (Europe/Berlin, UTC+2 in June).
    assert seen[0][2:] == ("5m", 1748728800000, 1748815200000)
    assert get("/api/history/system/home?from=1748728800000").status_code == 200


@pytest.mark.parametrize("query,field", [("resolution=1m&from=2025-01-01", "resolution"), ("resolution=5m", "from"),
                                         ("from=banana", "from"), ("from=2025-01-02&to=2025-01-01", "to"),
                                         ("resolution=5m&from=2025-01-01&to=2025-06-01", "to")])
def test_history_validation(get, monkeypatch, query, field):
    patch_functions(monkeypatch, HISTORY, series=lambda *a: [])
    response = get(f"/api/history/system/home?{query}")
    assert response.status_code == 400 and response.json["error"]["field"] == field


def test_history_unknown_level_or_entity(get, monkeypatch):
    patch_functions(monkeypatch, HISTORY, series=lambda *a: [])
    assert get("/api/history/planet/home?from=2025-01-01").status_code == 400
    assert get("/api/history/inverter/nope?from=2025-01-01").status_code == 404


def test_energy(get, monkeypatch):
    patch_functions(monkeypatch, HISTORY,
                   daily_energy=lambda s, a, b: [{"date": a, "pv_kwh": 12.5}, {"date": b, "pv_kwh": 3.0}],
                   monthly_energy=lambda s, y: [{"month": f"{y}-01", "pv_kwh": 300}])
    assert get("/api/energy/daily?system_id=home&from=2025-01-01&to=2025-01-31").json[1]["date"] == "2025-01-31"
    assert get("/api/energy/monthly?system_id=home&year=2025").json[0]["month"] == "2025-01"
    assert get("/api/energy/daily?from=2025-01-01&to=2025-01-31").json["error"]["field"] == "system_id"
    assert get("/api/energy/daily?system_id=home&from=2025-02-01&to=2025-01-31").status_code == 400
    assert get("/api/energy/daily?system_id=nope&from=2025-01-01&to=2025-01-31").status_code == 404
    assert get("/api/energy/monthly?system_id=home&year=nineteen").json["error"]["field"] == "year"


def test_export_csv(get, monkeypatch):
    patch_functions(monkeypatch, HISTORY, series=lambda *a: {"ts": [1748728800000], "pv_w": [10], "soc_pct": [55.5]},
                   daily_energy=lambda s, a, b: [{"date": a, "pv_kwh": 1.5}])
    response = get("/api/export.csv?level=system&id=home&resolution=1h&from=2025-06-01")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    lines = response.data.decode().splitlines()
    # Machine names stay; the time is the system's local time in the one format, and the CSV states its zone.
    assert lines == ["ts_ms,time_local,timezone,pv_w,soc_pct",
                     "1748728800000,2025-06-01 00:00,Europe/Berlin,10,55.5"]
    people = get("/api/export.csv?level=system&id=home&resolution=1h&from=2025-06-01&headers=labels")
    assert people.data.decode().splitlines()[0] == "Epoch ms,Local time,Time zone,Solar (W),SOC (%)"
    daily = get("/api/export.csv?table=daily&system_id=home&from=2025-01-01&to=2025-01-02").data.decode()
    assert daily.splitlines() == ["date,pv_kwh,timezone", "2025-01-01,1.5,Europe/Berlin"]
    assert get("/api/export.csv?level=system&resolution=1h&from=2025-06-01").status_code == 400
