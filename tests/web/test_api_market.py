"""The market data API: scopes, upserts, every kind of bad input (400 naming point and field, nothing stored)."""

from __future__ import annotations

import json

import pytest

from appliance.store.models import database
from tests.conftest import table_rows
from tests.web.conftest import bearer

URL = "/api/market-data"
TS = 1748728800000  # 2025-06-01 00:00 in Berlin
GOOD = {"type": "import_tariff", "ts": TS, "value": 0.31}


@pytest.fixture
def post(client, site, write_token):
    def send(body, **kw):
        return client.post(URL, json=body, headers=bearer(write_token), **kw)
    return send


def _error(response, status=400) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert set(error) >= {"code", "message", "field"}
    return error


def test_post_a_series_then_read_it_back(client, post, read_token):
    response = post({"series": [GOOD, {"type": 6, "system_id": "home", "ts": "2025-06-01T00:00:00+02:00",
                                       "value": 0.08, "metadata": {"source": "utility"}}]})
    assert response.status_code == 201 and response.get_json() == {"stored": 2, "days_recosted": 0}
    assert post({**GOOD, "value": 0.33}).status_code == 201  # one point; same (type, system, ts): replaced
    body = client.get(URL, headers=bearer(read_token)).get_json()
    assert body["count"] == 2
    assert [(p["type_id"], p["system_id"], p["ts"], p["value"]) for p in body["points"]] == [
        (5, None, TS, 0.33), (6, "home", TS, 0.08)]
    assert body["points"][1]["metadata"] == {"source": "utility"}


def test_get_filters_by_type_system_and_time(client, post, read_token):
    post({"series": [GOOD, {**GOOD, "ts": TS + 3_600_000, "value": 0.4},
                     {"type": "wholesale_price", "ts": TS, "value": 95.0},
                     {"type": 5, "system_id": "home", "ts": TS + 1, "value": 0.2}]})

    def get(query):
        response = client.get(f"{URL}?{query}", headers=bearer(read_token))
        assert response.status_code == 200, response.get_json()
        return [(p["type"], p["system_id"], p["value"]) for p in response.get_json()["points"]]

    assert get("type=2") == [("wholesale_price", None, 95.0)]
    assert get(f"type=import_tariff&from={TS + 1}") == [("import_tariff", "home", 0.2), ("import_tariff", None, 0.4)]
    assert get("type=import_tariff&to=2025-05-31T22:00:00.001Z") == [("import_tariff", None, 0.31)]
    assert len(get("system_id=home")) == 4 and get("limit=1") == [("wholesale_price", None, 95.0)]
    assert _error(client.get(f"{URL}?type=spot", headers=bearer(read_token)))["field"] == "type"
    assert _error(client.get(f"{URL}?system_id=nowhere", headers=bearer(read_token)), 404)["field"] == "system_id"
    assert _error(client.get(f"{URL}?from=soon", headers=bearer(read_token)))["field"] == "from"
    assert _error(client.get(f"{URL}?limit=0", headers=bearer(read_token)))["field"] == "limit"


def test_scopes(client, site, read_token, write_token):
    assert client.post(URL, json=GOOD).status_code in (401, 403)  # no session: refused before CSRF or auth
    assert client.post(URL, json=GOOD, headers=bearer(read_token)).status_code == 403
    assert client.get(URL).status_code == 401
    assert client.get(URL, headers=bearer(write_token)).status_code == 200
    assert table_rows("market_data") == []


@pytest.mark.parametrize("point,field", [
    ({**GOOD, "value": "0.3"}, "series[2].value"),
    ({**GOOD, "value": True}, "series[2].value"),
    ({**GOOD, "type": "spot_price"}, "series[2].type"),
    ({**GOOD, "type": 7}, "series[2].type"),
    ({**GOOD, "system_id": "nowhere"}, "series[2].system_id"),
    ({**GOOD, "system_id": 3}, "series[2].system_id"),
    ({**GOOD, "ts": "2025-13-01"}, "series[2].ts"),
    ({**GOOD, "ts": 1.5}, "series[2].ts"),
    ({"type": 5, "value": 1}, "series[2].ts"),
    ({**GOOD, "metadata": "x"}, "series[2].metadata"),
    ({**GOOD, "unit": "kWh"}, "series[2].unit"),
    ("not a point", "series[2]"),
])
def test_a_bad_point_is_400_naming_it_and_nothing_is_stored(post, point, field):
    before = table_rows("sync_feed")
    error = _error(post({"series": [GOOD, {**GOOD, "ts": TS + 1}, point]}))
    assert (error["code"], error["field"]) == ("validation_error", field)
    assert table_rows("market_data") == [] and table_rows("sync_feed") == before


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_values_are_refused(client, site, write_token, literal):
    data = '{"series": [{"type": 5, "ts": %d, "value": 1}, {"type": 5, "ts": %d, "value": %s}]}' % (TS, TS + 1, literal)
    response = client.post(URL, data=data, content_type="application/json", headers=bearer(write_token))
    assert _error(response)["field"] == "series[1].value"
    nan_metadata = '{"type": 5, "ts": %d, "value": 1, "metadata": {"x": NaN}}' % TS
    response = client.post(URL, data=nan_metadata, content_type="application/json", headers=bearer(write_token))
    assert _error(response)["field"] == "metadata.x"  # the boundary names the value where it is in the body
    assert table_rows("market_data") == []


def test_oversized_empty_and_malformed_bodies(client, site, post, write_token):
    many = [{"type": 5, "ts": TS + i, "value": 1} for i in range(10_001)]
    assert _error(post({"series": many}))["field"] == "series"
    assert _error(post({"series": []}))["field"] == "series"
    assert _error(post({"series": {"type": 5}}))["field"] == "series[0].ts"
    assert _error(post({"series": [GOOD], "extra": 1}))["field"] == "extra"
    assert _error(post([GOOD]))["code"] == "validation_error"  # the body must be an object
    broken = client.post(URL, data='{"series": [', content_type="application/json", headers=bearer(write_token))
    assert _error(broken)["code"] == "bad_request"
    assert _error(client.post(URL, data="type=5", headers=bearer(write_token)), 415)
    huge = json.dumps({"series": [{**GOOD, "metadata": {"pad": "x" * 2000}}] * 600})
    assert client.post(URL, data=huge, content_type="application/json",
                       headers=bearer(write_token)).status_code == 413
    assert table_rows("market_data") == []
    assert post({"series": many[:10_000]}).get_json()["stored"] == 10_000


def test_tariffs_cost_the_energy_page(browser, site, post):
    conn = database.connection()
    conn.execute("BEGIN")
    conn.execute("INSERT INTO system_hourly_energy (system_id, date, hour_start, grid_import_energy_kwh, "
                 "grid_export_energy_kwh, load_energy_kwh) VALUES ('home', '2025-06-10', ?, 4.0, 1.0, 6.0)",
                 (TS + 9 * 86_400_000,))
    conn.execute("INSERT INTO system_daily_summary (date, system_id, day_of_year, year) "
                 "VALUES ('2025-06-10', 'home', 161, 2025)")
    conn.execute("COMMIT")
    body = post({"series": [{"type": 5, "ts": TS, "value": 50}, {"type": 6, "ts": TS, "value": 20}]}).get_json()
    assert body["days_recosted"] == 1
    daily = browser.get("/energy?period=month&date=2025-06-10").get_data(as_text=True)
    # 4 kWh x 50 paid, 1 kWh x 20 earned, 6 kWh x 50 without PV: saving 300 - 200 + 20. The site is in
    # Europe/Berlin, so its currency is the zone's: EUR.
    assert "Import cost (EUR)" in daily and "Saving (EUR)" in daily and "Currency" not in daily
    assert "200.00" in daily and "20.00" in daily and "120.00" in daily
    monthly = browser.get("/energy?period=year&date=2025-06-10").get_data(as_text=True)
    assert "Export revenue (EUR)" in monthly and "120.00" in monthly
    hourly = browser.get("/energy?period=day&date=2025-06-10").get_data(as_text=True)
    assert "Saving (EUR)" in hourly and "120.00" in hourly, "the day's hours carry their costs too"
