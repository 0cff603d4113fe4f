"""The storage figures: GET /api/storage and the settings page's storage card."""

from __future__ import annotations


def test_the_api_and_the_settings_card_show_the_figures(browser, site):
    body = browser.get("/api/storage").json
    assert body["database_bytes"] > 0 and body["limit_bytes"] > 0 and body["min_free_pct"] == 15
    assert set(body) >= {"growth_bytes_per_day", "writes_bytes_per_day", "days_left", "used_bytes", "wal_bytes"}
    page = browser.get("/settings").data.decode()
    assert 'id="storage"' in page and "Days left" in page and "Disk writes" in page
    assert "None" not in page.split('id="storage"')[1].split("</section>")[0]


def test_the_budget_is_changed_through_the_api_with_validation(browser, site):
    answer = browser.api("PATCH", "/api/storage", {"max_db_mb": 512, "min_free_pct": 25})
    assert answer.status_code == 200
    assert answer.json["max_db_bytes"] == 512 * 1024 * 1024 and answer.json["min_free_pct"] == 25
    for body, field in (({"max_db_mb": 2}, "max_db_mb"), ({"min_free_pct": 95}, "min_free_pct"),
                        ({"max_db_mb": "big"}, "max_db_mb"), ({"bogus": 1}, "bogus")):
        refused = browser.api("PATCH", "/api/storage", body)
        assert refused.status_code == 400 and refused.json["error"]["field"] == field
    assert browser.get("/api/storage").json["max_db_bytes"] == 512 * 1024 * 1024  # nothing half-written


def test_the_card_says_how_often_readings_reach_the_card_and_what_a_crash_loses(app, browser, site):
    from appliance.energy.storage import StorageWatch

    app.config["STORAGE"] = StorageWatch(write_policy=lambda: (1800.0, True))
    body = browser.get("/api/storage").json
    assert (body["flush_interval_s"], body["ram_spool"]) == (1800.0, True)
    card = browser.get("/settings").data.decode().split('id="storage"')[1].split("</section>")[0]
    assert "every 30 min, in one burst; a copy in RAM keeps the readings in between through a crash" in card
    app.config["STORAGE"] = StorageWatch(write_policy=lambda: (300.0, False))
    card = browser.get("/settings").data.decode().split('id="storage"')[1].split("</section>")[0]
    assert "every 5 min" in card and "a crash loses at most the readings since the last one" in card
