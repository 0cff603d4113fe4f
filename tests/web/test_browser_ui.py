"""The homeowner's UI in Chromium at a phone's width (390 px) and a laptop's (1366 px): the power flow's direction,
no Python literal or reading key on any page the navigation reaches, no sideways scrolling, a delete that asks
first, and the energy bars of every period."""

from __future__ import annotations

import json
import re
import threading

import pytest

from appliance import vocabulary
from appliance.catalog import adapters, devices
from appliance.web.server import serve
from tests.web.conftest import PASSWORD, patch_functions
from tests.web.test_browser import ARGS, CHROMIUM
from tests.web.test_pages import LIVE, _energy_rows, flow

pytestmark = [pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed "
                                 "(install.sh --dev installs it with apt)"),
              pytest.mark.timeout(180)]
WIDTHS = [390, 1366]
#: Reading keys of READINGS.md and the rollups: none may reach a page as text.
RAW_KEYS = sorted(k for k in vocabulary.TERMS if "_" in k)
LITERAL = re.compile(r"(?<![\w-])(None|True|False|\[\]|\{\})(?![\w-])")
READING = {"kind": "battery", "ts": 1, "stale": False, "soc_pct": 87.0, "voltage_v": 52.4, "power_w": -900.0,
           "balancing": True, "alarms": [], "charge_enabled": True, "details": {"mos_temperature_c": 30.0},
           "batteries": [{"index": 1, "voltage_v": 52.4, "cell_voltages_v": [3.30, 3.31, 3.29, 3.32]}]}


@pytest.fixture
def base_url(app, site, admin, monkeypatch):
    """The app on waitress, with a live flow, a battery reading and a day of energy rollups."""
    adapters.create_adapter("meter_adapter", "iammeter", {"transport": "tcp", "host": "127.0.0.1"})
    devices.update_meter("grid", adapter_id="meter_adapter")
    _energy_rows()
    patch_functions(monkeypatch, LIVE, power_flow=lambda s: flow(), latest_reading=lambda d: READING)
    server = serve(app, "127.0.0.1", 0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def page(request, base_url):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context(base_url=base_url, viewport={"width": request.param, "height": 860})
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        errors: list[str] = []
        tab.on("console", lambda m: errors.append(m.text)
               if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.console_errors = errors  # type: ignore[attr-defined]
        tab.width = request.param  # type: ignore[attr-defined]
        tab.goto("/login")
        tab.fill("#f-password", PASSWORD)
        tab.click("#login-form button[type=submit]")
        tab.wait_for_url("**/")
        yield tab
        browser.close()


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def _check_page(page, path: str) -> None:
    text = page.inner_text("body")
    found = LITERAL.search(text)
    context = text[max(0, found.start() - 60):found.end() + 60] if found else ""
    assert not found, f"{path}: Python literal in {context!r}"
    raw = [k for k in RAW_KEYS if re.search(rf"(?<![\w]){re.escape(k)}(?![\w])", text)]
    assert not raw, f"{path}: raw reading keys {raw}"
    assert _overflow(page) <= 0, f"{path}: {_overflow(page)} px of sideways scrolling at {page.width} px"


def test_every_page_reads_as_words_and_fits_the_screen(page, tmp_path):
    if page.width < 760:
        assert not page.locator(".main-nav").is_visible(), "the navigation collapses on a phone"
        page.click(".nav-button")
        assert page.locator(".main-nav").is_visible()
    links = [a.get_attribute("href") for a in page.locator(".main-nav a").all()]
    assert len(links) >= 7
    visited = []
    for path in links:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        _check_page(page, path)
        visited.append(path)
    # One level deeper: a device, an entity form, a delete's confirmation.
    page.goto("/devices")
    deeper = [a.get_attribute("href") for a in page.locator("#devices-table a").all()]
    deeper += ["/config/inverters/inv1", "/config/systems/new", "/config/inverters/inv1/delete",
               "/energy?period=year&date=2025-06-10", "/history?level=battery_pack&period=week"]
    for path in deeper:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        _check_page(page, path)
    page.screenshot(path=str(tmp_path / f"last-{page.width}.png"), full_page=True)
    assert not page.console_errors, page.console_errors


def test_power_flow_direction_for_export_and_import(page, base_url, monkeypatch):
    page.goto("/")
    grid = page.locator("#line-grid")
    assert grid.get_attribute("data-direction") == "out" and "moving" in grid.get_attribute("class")
    assert page.locator("#node-grid").get_attribute("data-words") == "exporting"
    assert "exporting" in page.inner_text("#power-flow") and "1.5 kW" in page.inner_text("#power-flow")
    # The dashes move along the line: its CSS animation runs (no script does it).
    assert page.evaluate("getComputedStyle(document.querySelector('#line-grid')).animationName") == "flow-dash"
    patch_functions(monkeypatch, LIVE, power_flow=lambda s: flow(grid_w=2100.0, battery_w=600.0, pv_w=0.0))
    page.wait_for_function("() => document.querySelector('#line-grid').dataset.direction === 'in'", timeout=15_000)
    assert page.locator("#node-grid").get_attribute("data-words") == "importing"
    assert page.locator("#line-battery").get_attribute("data-direction") == "in"
    assert page.locator("#line-pv").get_attribute("data-direction") == "idle"
    assert _overflow(page) <= 0
    assert not page.console_errors, page.console_errors


def test_a_delete_asks_first_and_tells_what_goes(page):
    page.goto("/config")
    row = page.locator("#inverters tr", has_text="inv1")
    row.locator("a", has_text="Delete").click()
    page.wait_for_url("**/config/inverters/inv1/delete")
    removes = page.inner_text("#confirm-removes")
    assert "Inverter 1" in removes and "inv1_adapter" in removes, removes
    assert _overflow(page) <= 0
    page.click("#confirm-cancel")
    page.wait_for_url("**/config#inverters")
    assert "inv1" in page.inner_text("#inverters"), "cancel deleted nothing"
    page.goto("/config/inverters/inv1/delete")
    page.click("#confirm-button")
    page.wait_for_url("**/config#inverters")
    assert "Inverter 1" not in page.inner_text("#inverters")
    assert not page.console_errors, page.console_errors


@pytest.mark.parametrize("period,bars", [("day", 24), ("week", 7), ("month", 30), ("year", 12)])
def test_energy_bars_for_each_period(page, period, bars, tmp_path):
    page.goto(f"/energy?period={period}&date=2025-06-10")
    page.wait_for_selector("#chart-solar canvas")
    page.wait_for_selector("#chart-grid canvas")
    spec = json.loads(page.locator("#chart-solar-data").text_content())
    assert len(spec["x"]) == bars
    painted = page.evaluate("""() => { const c = document.querySelector('#chart-solar canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) { if (d[i + 3] > 0 && d[i] > 200 && d[i + 2] < 60) n++; }
        return n; }""")
    assert painted > 50, "the solar bars (yellow) are drawn"
    legend = page.inner_text("#chart-solar .u-legend")
    assert "Solar" in legend and "Consumption" in legend and "pv_" not in legend
    assert page.locator("#period-" + period).get_attribute("aria-current") == "page"
    assert "12.0 kWh" in page.inner_text("#energy-totals"), "the period's solar total"
    assert _overflow(page) <= 0
    page.screenshot(path=str(tmp_path / f"energy-{period}-{page.width}.png"), full_page=True)
    assert not page.console_errors, page.console_errors
