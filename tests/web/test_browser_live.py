"""The UI in a real browser against the real main job: the demo's simulated home, found by discovery, polled,
stored, rolled up and served by the runtime's own web server on 127.0.0.1."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.web.test_browser import ARGS, CHROMIUM

PASSWORD = "live browser password"
#: Left pending by the fixture: the test approves it in the UI.
UI_APPROVED = "pytes_SIMPY0001"
#: The JK pack on its TCP gateway: 16 cells in one unit.
CELL_PACK = "battery_pack:jkbms_tcpip_SIMJK0000001"  # the whole serial (issue 15: no longer cut at 11)
BACKFILL_DAYS = 0.1
BACKFILL_STEP_S = 120.0

pytestmark = [pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed "
                                 "(install.sh --dev installs it with apt)"),
              pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo runtime with auto-approve off: the first scan fills the inbox, every device but one is approved
    (as an owner would), a short history is backfilled, then the runtime starts with its web server."""
    from appliance.commands.main_job import backfill, build_demo
    from appliance.discovery import inbox
    from appliance.discovery import settings as discovery_settings
    from appliance.runtime import RuntimeOptions
    from appliance.settings import Settings

    root = tmp_path_factory.mktemp("live")
    settings = Settings(data_dir=root / "data", db_path=root / "appliance.db", config_file=root / "no-config.yaml",
                        flush_interval_s=1.0)
    runtime, sims = build_demo(settings, RuntimeOptions(host="127.0.0.1", port=0, discovery_interval_s=3600,
                                                        sync_interval_s=2))
    try:
        discovery_settings.set_value(discovery_settings.AUTO_APPROVE, False)
        runtime.discover()
        pending = [d for d in inbox.list_inbox() if d["approval"] == "pending"]
        assert UI_APPROVED in [d["discovery_id"] for d in pending], pending
        serials = set()
        # The JK pack answers on its TCP gateway and on BLE: one pack, approved once, on TCP.
        for found in sorted(pending, key=lambda d: d["source"] == "ble"):
            if found["discovery_id"] != UI_APPROVED and found["serial_number"] not in serials:
                serials.add(found["serial_number"])
                inbox.approve(found["discovery_id"])
        backfill(runtime, sims.site, BACKFILL_DAYS, step_s=BACKFILL_STEP_S)
        runtime.start()
        assert runtime.url and runtime.url.startswith("http://127.0.0.1:")
        yield runtime
    finally:
        runtime.stop()
        sims.stop()


@pytest.fixture
def page(demo):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context(base_url=demo.url.rstrip("/"), viewport={"width": 1280, "height": 800})
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        errors: list[str] = []
        tab.on("console", lambda m: errors.append(m.text)
               if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.console_errors = errors  # type: ignore[attr-defined]
        yield tab
        browser.close()


def sign_in(page) -> None:
    """Set the admin password on first visit, else log in."""
    page.goto("/")
    if page.url.endswith("/setup"):
        page.fill("#f-password", PASSWORD)
        page.fill("#f-confirmation", PASSWORD)
        page.click("#setup-form button[type=submit]")
    else:
        assert "/login" in page.url, page.url
        page.fill("#f-password", PASSWORD)
        page.click("#login-form button[type=submit]")
    page.wait_for_url("**/")
    assert page.title().startswith("Home") and page.locator("#power-flow").count() == 1


def test_first_run_setup_and_login(page, tmp_path: Path):
    from appliance.accounts import passwords

    assert passwords.is_first_run(), "this test runs first in the module: the demo starts without a password"
    page.goto("/history")
    assert "/setup" in page.url  # every page redirects to setup until the password is set
    page.fill("#f-password", PASSWORD)
    page.fill("#f-confirmation", PASSWORD + "x")
    page.click("#setup-form button[type=submit]")
    assert "the two passwords differ" in page.inner_text("#error-confirmation")
    page.fill("#f-password", PASSWORD)
    page.fill("#f-confirmation", PASSWORD)
    page.screenshot(path=str(tmp_path / "setup.png"))
    page.click("#setup-form button[type=submit]")
    page.wait_for_url("**/")
    assert page.title().startswith("Home") and page.locator("#power-flow").count() == 1

    page.click("header .logout button")
    page.wait_for_url("**/login")
    page.goto("/devices")
    assert "/login" in page.url
    page.fill("#f-password", "not the password")
    page.click("#login-form button[type=submit]")
    assert "Wrong password" in page.content()
    page.fill("#f-password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/devices")  # back where the login interrupted
    page.screenshot(path=str(tmp_path / "logged-in.png"))
    assert "SIMPD00001" in page.inner_text("#devices-table")  # the demo's inverter, approved and polled
    assert not page.console_errors, page.console_errors


def _flow_text(page) -> str:
    return page.inner_text("#power-flow")


def test_dashboard_updates_without_reload(page, tmp_path: Path):
    sign_in(page)
    flow = page.locator("#power-flow")
    # Live values of the simulated site, not placeholders.
    for key in ("pv_w", "load_w", "battery_w", "grid_w", "soc_pct"):
        text = flow.locator(f"[data-key={key}]").first.text_content()
        assert any(ch.isdigit() for ch in text), (key, text)
    assert "stale" not in _flow_text(page)
    assert "Updated" in _flow_text(page)
    totals = page.inner_text("#today")
    assert "Solar" in totals and "kWh" in totals and "Self-sufficiency" in totals
    assert "active" in page.inner_text("#health") or "online" in page.inner_text("#health")
    page.screenshot(path=str(tmp_path / "dashboard-before.png"))

    page.evaluate("window.__sameDocument = true")
    before = _flow_text(page)
    deadline = time.monotonic() + 20
    while _flow_text(page) == before and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    after = _flow_text(page)
    assert after != before, "the power flow did not change within 20 s"
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded instead of updated"
    page.screenshot(path=str(tmp_path / "dashboard-after.png"))
    assert not page.console_errors, page.console_errors


def test_history_chart_is_drawn(page, tmp_path: Path):
    sign_in(page)
    page.goto("/history?level=system&range=day")
    page.wait_for_selector("#history-chart canvas")
    data = json.loads(page.locator("#history-chart-data").text_content())
    assert len(data["x"]) >= 6  # 5-minute rollups of the backfilled hours
    labels = [s["label"] for s in data["series"]]
    assert "Solar kW" in labels and not any("_" in label for label in labels), labels
    assert any(v for s in data["series"] for v in s["values"] if v is not None)
    box = page.locator("#history-chart canvas").bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100
    legend = page.inner_text("#history-chart .u-legend")
    assert labels[0] in legend
    # The canvas has ink on it, not only a blank frame.
    painted = page.evaluate("""() => {
        const c = document.querySelector('#history-chart canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }""")
    assert painted > 1000, painted
    assert page.locator("a[download]").first.inner_text() == "Download CSV"
    page.screenshot(path=str(tmp_path / "history.png"), full_page=True)
    assert not page.console_errors, page.console_errors


def test_approving_a_discovered_device(page, tmp_path: Path):
    sign_in(page)
    page.goto("/devices")
    assert "SIMPD00001" in page.inner_text("#devices-table")
    assert "SIMPY0001" not in page.inner_text("#devices-table")  # found, but not a device of the system yet

    page.goto("/discovery")
    pending = page.locator("#inbox-table li", has_text="SIMPY0001")
    assert "pending" in pending.inner_text()
    page.screenshot(path=str(tmp_path / "inbox-pending.png"), full_page=True)
    pending.locator("button", has_text="Approve").click()
    page.wait_for_function("""() => [...document.querySelectorAll('#inbox-table li')]
        .some(r => r.innerText.includes('SIMPY0001') && r.innerText.includes('approved'))""")
    approved = page.locator("#inbox-table li", has_text="SIMPY0001")
    assert approved.locator("button", has_text="Approve").count() == 0
    page.screenshot(path=str(tmp_path / "inbox-approved.png"), full_page=True)

    page.goto("/devices")
    row = page.locator("#devices-table li", has_text="SIMPY0001")
    assert "registered" not in row.inner_text()
    assert "battery pack" in row.inner_text().lower()
    row.locator("a").click()
    page.wait_for_selector("#reading")
    assert page.locator("h1").inner_text().endswith("SIMPY0001")
    page.screenshot(path=str(tmp_path / "approved-device.png"), full_page=True)
    assert not page.console_errors, page.console_errors


def test_battery_pack_cell_chart(page, tmp_path: Path):
    sign_in(page)
    page.goto("/devices")
    page.locator("#devices-table li", has_text="SIMJK0000001").locator("a").click()
    page.wait_for_url(f"**/devices/{CELL_PACK}")
    page.wait_for_selector("svg.cell-chart g.cell rect")
    chart = page.locator("figure.cells").first
    assert chart.locator("g.cell").count() == 16
    caption = chart.locator("figcaption").inner_text()
    assert "lowest" in caption and "highest" in caption and "spread" in caption and "mV" in caption, caption
    volts = [float(x) for x in caption.replace(",", " ").split() if x.replace(".", "").isdigit() and "." in x]
    assert len(volts) >= 2 and all(2.5 < v < 3.7 for v in volts[:2]), caption
    assert chart.locator("g.cell.min").count() >= 1 and chart.locator("g.cell.max").count() >= 1
    assert "Cell 1:" in chart.locator("g.cell title").first.inner_html()
    # A tap (focus) shows the cell's value on the chart itself.
    cell = chart.locator("g.cell").nth(2)
    cell.focus()
    assert float(cell.locator(".cell-value").evaluate("e => getComputedStyle(e).opacity")) == 1.0
    page.locator("#cells").screenshot(path=str(tmp_path / "cells.png"))
    assert not page.console_errors, page.console_errors


def test_the_storage_card_says_how_readings_reach_the_card(page, tmp_path: Path):
    sign_in(page)
    page.goto("/settings#storage")
    written = page.locator("#storage-commits").inner_text()
    # The running appliance's own policy: this demo commits every second, with its RAM spool in the tests' tmpfs.
    assert written.startswith("every 1 s, in one burst") and "RAM" in written, written
    page.set_viewport_size({"width": 1366, "height": 768})
    page.locator("#storage").screenshot(path=str(tmp_path / "storage-1366.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#storage").screenshot(path=str(tmp_path / "storage-390.png"))
    box = page.locator("#storage-commits").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390  # wraps on a phone, nothing cut off
    assert not page.console_errors, page.console_errors


def test_the_settings_page_shows_every_section_on_a_desktop_and_a_phone(page, tmp_path: Path):
    sign_in(page)
    page.goto("/settings")
    # The home and MQTT sections bring their own context (settings_home.py, settings_mqtt.py): their fields
    # are filled from the running box, not left empty.
    assert page.locator("#home select[name=timezone]").input_value()
    assert page.locator("#mqtt #mqtt-status").inner_text().strip()
    for section in ("home", "tariffs", "discovery", "retention", "password", "tokens", "sync", "storage", "mqtt",
                    "events"):
        assert page.locator(f"section#{section}").is_visible(), section
        assert page.locator(f'nav.jump a[href="#{section}"]').count() == 1, section  # the jump list reaches it
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(tmp_path / f"settings-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing scrolls sideways
    assert not page.console_errors, page.console_errors
