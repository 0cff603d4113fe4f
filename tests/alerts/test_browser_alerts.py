"""Alerts in Chromium against the running demo (the real pipeline and web server on 127.0.0.1): the grid fails
and the Pylontech bank goes silent; the bell counts them, the flow marks the grid, an acknowledgement recolours
the bell, the status page shows the chain with the bank's link red. Screenshots at 1366 and 390 px."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime.conftest import all_active_with_samples, wait_until
from tests.web.test_browser import ARGS, CHROMIUM
from tests.web.test_browser_ui import _check_page

PASSWORD = "alerts browser password"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed "
                                 "(install.sh --dev installs it with apt)"),
              pytest.mark.timeout(240)]


@pytest.fixture
def demo(tmp_path):
    """The demo runtime with its web server; short holds so the faults alert within seconds."""
    from appliance.accounts import passwords
    from appliance.commands.main_job import build_demo
    from appliance.runtime import RuntimeOptions
    from appliance.settings import Settings

    settings = Settings(data_dir=tmp_path / "data", db_path=tmp_path / "appliance.db",
                        config_file=tmp_path / "no-config.yaml", flush_interval_s=1.0)  # samples reach the database within a second
    options = RuntimeOptions(host="127.0.0.1", port=0, discovery_interval_s=3600, alerts_interval_s=0.5,
                             alert_overrides={"alerts.grid_outage.hold_s": 1, "alerts.device_offline.hold_s": 2})
    runtime, sims = build_demo(settings, options)
    try:
        passwords.set_password(PASSWORD, PASSWORD)
        runtime.start()
        wait_until(all_active_with_samples, 90)
        yield runtime, sims
    finally:
        runtime.stop()
        sims.stop()


@pytest.mark.parametrize("width", [1366, 390])
def test_the_bell_the_flow_the_alerts_page_and_the_status_chain(demo, width, tmp_path):
    runtime, sims = demo
    sync_api = pytest.importorskip("playwright.sync_api")
    sims.site.grid_up = False
    sims.bank().fault = "timeout"
    wait_until(lambda: {a.kind for a in runtime.alerts.active()} >= {"grid_outage", "device_offline"}, 90)
    name = "desktop" if width > 760 else "phone"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_context(base_url=runtime.url.rstrip("/"), viewport={"width": width, "height": 900}).new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.width = width  # type: ignore[attr-defined]
        page.goto("/login")
        page.fill("#f-password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url("**/")
        # The bell: two active alerts, red (a critical one nobody acknowledged).
        bell = page.locator("#poll-bell")
        assert page.inner_text("#bell-count") == "2" and "bell-critical" in bell.get_attribute("class")
        assert bell.get_attribute("aria-label") == "2 active alerts"
        # The flow: the grid node carries the critical mark; the list under it names both parts.
        page.wait_for_selector("#node-grid[data-alert=critical]")
        parts = [li.get_attribute("data-part") for li in page.locator("#flow-alerts li").all()]
        assert sorted(parts) == ["battery", "grid"]
        _check_page(page, "/")
        page.screenshot(path=str(tmp_path / f"alerts-dashboard-{name}.png"), full_page=True)
        # The alerts page: acknowledge the outage; the bell keeps counting it but is no longer red.
        page.goto("/alerts")
        grid = page.locator("li.alert-item[data-kind=grid_outage]")
        assert "Grid outage" in grid.inner_text()
        grid.locator("button", has_text="Acknowledge").click()
        page.wait_for_selector("li.alert-item.acked[data-kind=grid_outage]")
        assert page.inner_text("#bell-count") == "2" and "bell-warning" in page.locator("#poll-bell").get_attribute(
            "class")
        assert "Acknowledged by admin" in page.inner_text("li.alert-item[data-kind=grid_outage]")
        _check_page(page, "/alerts")
        page.screenshot(path=str(tmp_path / f"alerts-{name}.png"), full_page=True)
        # The status chain: the silent bank's adapter is red, the other devices' links green, no headend set up.
        page.goto("/status")
        chains = page.locator("ol.chain")
        assert chains.count() == 4
        bank = page.locator("ol.chain", has_text="pytes").first
        assert bank.locator(".adapters .hop").first.get_attribute("data-state") == "down"
        inverter = page.locator("ol.chain", has_text="inverter").first
        assert [h.get_attribute("data-state") for h in inverter.locator(".hop").all()] == ["ok", "ok", "ok", "off"]
        assert "no headend is set up" in inverter.inner_text()
        _check_page(page, "/status")
        page.screenshot(path=str(tmp_path / f"status-{name}.png"), full_page=True)
        page.goto("/alerts/settings")
        _check_page(page, "/alerts/settings")
        page.screenshot(path=str(tmp_path / f"alert-settings-{name}.png"), full_page=True)
        assert not errors, errors
        browser.close()
    if SHOTS.is_dir() and __import__("os").environ.get("APPLIANCE_KEEP_SHOTS"):
        for shot in tmp_path.glob("*.png"):
            shot.replace(SHOTS / shot.name)
