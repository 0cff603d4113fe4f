"""GET /api/alerts, POST /api/alerts/{id}/ack and GET /api/status; the alerts and status pages and the bell."""

from __future__ import annotations

import pytest

from appliance.alerts.engine import Observation
from appliance.alerts.service import AlertsService, Collaborators
from appliance.alerts.status import SchedulerState, WriterState
from appliance.catalog import systems
from appliance.web import create_app
from tests.web.conftest import admin, bearer, log_in, read_token, write_token  # noqa: F401 - fixtures

T0 = 1_780_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def service(db):
    systems.create_system("home", "Home", timezone="UTC")
    clock = Clock()
    made = AlertsService(None, Collaborators(
        writer=lambda: WriterState(True, clock.now - 800, 0, 1234), scheduler=lambda: SchedulerState(True, 9),
        clock_synchronised=lambda: True), clock=clock)
    made.start()
    made.clock_ = clock  # type: ignore[attr-defined]
    # Three alerts: one ended an hour ago, two active (a critical grid outage and a watchdog restart).
    made.engine.raise_event(Observation("watchdog_restart", "appliance", True, T0 - 7_200_000, "Restarted"))
    old = made.active()[0]
    made.engine.acknowledge(old.alert_id, "owner", T0 - 3_600_000)
    made.engine.raise_event(Observation("grid_outage", "system:home", True, T0 - 60_000, "Grid outage: 0 V",
                                        device_id="meter:grid", system_id="home", entity="grid"))
    made.engine.raise_event(Observation("unclean_stop", "appliance", True, T0 - 30_000, "Did not stop cleanly"))
    yield made
    made.stop()


@pytest.fixture
def client(service):
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-0123456789abcdef", "ALERTS": service})
    return app.test_client()


def test_active_alerts_worst_first_and_the_history_by_window(client, read_token):
    answer = client.get("/api/alerts", headers=bearer(read_token))
    assert answer.status_code == 200
    alerts = answer.json["alerts"]
    assert [a["kind"] for a in alerts] == ["grid_outage", "unclean_stop"]
    grid = alerts[0]
    assert grid["severity"] == "critical" and grid["label"] == "Grid outage" and grid["part"] == "grid"
    assert grid["started_at"] == "2026-05-28T20:25:40.000Z" and grid["ended_at"] is None and grid["active"]
    every = client.get("/api/alerts?all=1", headers=bearer(read_token)).json["alerts"]
    assert [a["kind"] for a in every] == ["unclean_stop", "grid_outage", "watchdog_restart"]
    ended = every[2]
    assert ended["active"] is False and ended["acknowledged_by"] == "owner"
    window = client.get(f"/api/alerts?all=1&from={T0 - 10 * 60_000}&to={T0}", headers=bearer(read_token)).json
    assert [a["kind"] for a in window["alerts"]] == ["unclean_stop", "grid_outage"], "ended before the window"
    assert window["from"] == "2026-05-28T20:16:40.000Z"


@pytest.mark.parametrize("query, field", [("all=2", "all"), ("from=2026-01-01", "all"),
                                          ("all=1&from=2026-02-01&to=2026-01-01", "to"),
                                          ("all=1&from=yesterday", "from")])
def test_bad_queries_name_the_field(client, read_token, query, field):
    answer = client.get(f"/api/alerts?{query}", headers=bearer(read_token))
    assert answer.status_code == 400 and answer.json["error"]["field"] == field


def test_acknowledge_with_a_write_token_once(client, service, read_token, write_token):
    grid = service.active()[0]
    assert client.post(f"/api/alerts/{grid.alert_id}/ack", headers=bearer(read_token)).status_code == 403
    service.clock_.now += 1000
    answer = client.post(f"/api/alerts/{grid.alert_id}/ack", headers=bearer(write_token))
    assert answer.status_code == 200
    assert answer.json["acknowledged_by"] == "token writer" and answer.json["active"] is True
    assert answer.json["acknowledged_at"] == "2026-05-28T20:26:41.000Z"
    service.clock_.now += 1000
    again = client.post(f"/api/alerts/{grid.alert_id}/ack", headers=bearer(write_token)).json
    assert again["acknowledged_at"] == answer.json["acknowledged_at"]
    assert client.post("/api/alerts/999/ack", headers=bearer(write_token)).status_code == 404
    assert client.post("/api/alerts/x1/ack", headers=bearer(write_token)).json["error"]["field"] == "id"


def test_status_gives_every_hop_with_iso_instants(client, read_token):
    body = client.get("/api/status", headers=bearer(read_token)).json
    assert body["now"] == "2026-05-28T20:26:40.000Z" and body["devices"] == []
    assert body["appliance"]["writer"] == {"state": "ok", "last_flush": "2026-05-28T20:26:39.200Z", "age_s": 0.8,
                                           "pending_rows": 0, "rows_written": 1234, "error": None,
                                           "flush_interval_s": 1.0}
    assert body["appliance"]["scheduler"] == {"state": "ok", "running": True, "jobs": 9}
    assert body["appliance"]["clock"]["state"] == "ok" and body["headend"]["state"] == "off"
    assert not any(key.endswith("_ms") for key in str(body).split("'"))


def test_the_pages_and_the_bell(client, service, admin):  # noqa: F811
    browser = log_in(client)
    page = browser.get("/alerts").data.decode()
    assert 'id="bell-count">2<' in page and "bell-critical" in page
    assert page.index("Grid outage: 0 V") < page.index("Did not stop cleanly"), "worst first"
    assert 'id="history-table"' in page and "Restarted" in page
    grid = service.active()[0]
    done = browser.post(f"/alerts/{grid.alert_id}/ack", {"back": "/"})
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert service.active()[0].acknowledged_by == "admin"
    bell = browser.get("/alerts/bell").data.decode()
    assert 'id="bell-count">2<' in bell and "bell-info" in bell, "the critical one is acknowledged: the info one is left"
    status = browser.get("/status").data.decode()
    assert 'id="chain-appliance"' in status and "stored just now" in status
    home = browser.get("/").data.decode()
    assert 'data-part="grid" data-kind="grid_outage"' in home and 'data-alert="critical"' in home


def test_the_writer_is_late_only_after_its_own_flush_interval():
    from appliance.alerts.status import WriterState, writer_hop

    now = 1_000_000_000
    group = WriterState(True, now - 54_000, 71, 10, None, flush_interval_s=300.0)  # commits every 5 minutes
    assert writer_hop(group, now)["state"] == "ok"
    assert writer_hop(group, now + 300_000)["state"] == "late", "pending rows past interval and grace"
    assert writer_hop(WriterState(True, now - 54_000, 71, 10, None, flush_interval_s=1.0), now)["state"] == "late"
