"""Settings a homeowner reaches: time zone and currency (asked at first run), tariffs, discovery."""

from __future__ import annotations

from appliance.accounts import passwords
from appliance.catalog import systems
from appliance.discovery import settings as discovery_settings
from appliance.energy import market, tariffs
from tests.web.conftest import PASSWORD, csrf_from


def test_first_run_asks_time_zone_and_currency(client, site):
    page = client.get("/setup").data.decode()
    assert 'name="timezone"' in page and 'name="currency"' in page
    assert '<option value="Europe/Berlin" selected>' in page, "the system's zone is proposed"
    csrf = csrf_from(page.encode())
    bad = client.post("/setup", data={"csrf_token": csrf, "password": PASSWORD, "confirmation": PASSWORD,
                                      "timezone": "Mars/Base", "currency": "EUR"})
    assert bad.status_code == 400 and passwords.is_first_run(), "a bad zone sets no password"
    ok = client.post("/setup", data={"csrf_token": csrf, "password": PASSWORD, "confirmation": PASSWORD,
                                     "timezone": "Europe/Vienna", "currency": "CHF"})
    assert ok.status_code == 303
    home = systems.get_system("home")
    assert (home["timezone"], home["currency"]) == ("Europe/Vienna", "CHF")


def test_home_time_zone_and_currency(browser, site):
    assert browser.post("/settings/home", {"timezone": "Nowhere/Else", "currency": "EUR"}).status_code == 400
    assert browser.post("/settings/home", {"timezone": "Asia/Tokyo", "currency": "JPY"}).status_code == 200
    assert systems.get_system("home")["currency"] == "JPY"


def test_flat_and_time_of_use_tariffs_become_price_steps(browser, site):
    form = {"from": "2025-06-01", "import.kind": "tou", "import.base": "0.30",
            "import.periods[0].start": "17:00", "import.periods[0].end": "21:00", "import.periods[0].price": "0.50",
            "import.periods[1].start": "23:00", "import.periods[1].end": "06:00", "import.periods[1].price": "0.15",
            "export.kind": "flat", "export.price": "0.08"}
    assert browser.post("/settings/tariffs", form).status_code == 200
    # 2025-06-02 in Europe/Berlin (UTC+2): 18:00 local is 16:00 UTC, 02:00 local is 00:00 UTC.
    assert market.price_at("import_tariff", "home", "2025-06-02T16:00:00Z") == 0.50
    assert market.price_at("import_tariff", "home", "2025-06-02T10:00:00Z") == 0.30
    assert market.price_at("import_tariff", "home", "2025-06-02T00:00:00Z") == 0.15
    assert market.price_at("export_tariff", "home", "2026-01-01T12:00:00Z") == 0.08
    page = browser.get("/settings").data.decode()
    assert 'value="17:00"' in page and 'value="0.5"' in page
    bad = browser.post("/settings/tariffs", {**form, "import.periods[0].end": "25:00"})
    assert bad.status_code == 400 and "HH:MM" in bad.data.decode()
    flat = browser.post("/settings/tariffs", {"from": "2025-06-01", "import.kind": "flat", "import.price": "0.25",
                                              "export.kind": "none"})
    assert flat.status_code == 200
    assert market.price_at("import_tariff", "home", "2025-06-02T16:00:00Z") == 0.25, "the old plan's steps are gone"
    assert market.price_at("export_tariff", "home", "2025-06-02T16:00:00Z") == 0.0
    assert tariffs.get_plan("home")["import"] == {"kind": "flat", "price": 0.25}


def test_discovery_targets_and_auto_approve(browser, site):
    ok = browser.post("/settings/discovery", {"discovery.tcp_targets": "127.0.0.1 502,8899 1,2\n127.0.0.1 1502",
                                              "discovery.unit_ids": "1, 3", "discovery.auto_approve": "on"})
    assert ok.status_code == 200
    found = discovery_settings.load()
    assert found.auto_approve is True and found.unit_ids == (1, 3)
    assert found.tcp_targets[0] == {"host": "127.0.0.1", "ports": [502, 8899], "unit_ids": [1, 2]}
    bad = browser.post("/settings/discovery", {"discovery.tcp_targets": "not a host! 502"})
    assert bad.status_code == 400 and discovery_settings.load().unit_ids == (1, 3), "nothing half-written"
