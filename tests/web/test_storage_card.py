"""The storage figures: GET /api/storage and the settings page's storage card."""

from __future__ import annotations


def test_the_api_and_the_settings_card_show_the_figures(browser, site):
    body = browser.get("/api/storage").json
    assert body["database_bytes"] > 0 and body["limit_bytes"] > 0 and body["min_free_pct"] == 15
    assert set(body) >= {"growth_bytes_per_day", "writes_bytes_per_day", "days_left", "used_bytes", "wal_bytes"}
    page = browser.get("/settings").data.decode()
    assert 'id="storage"' in page and "Days left" in page and "Disk writes" in page
    assert "None" not in page.split('id="storage"')[1].split("</section>")[0]
