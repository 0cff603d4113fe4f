"""The control page in Chromium at 390 and 1366 px against a simulated Deye on loopback: the program, the lease and
the budget; an edit reviewed as its writes, confirmed and read back; the logical battery on the dashboard. No raw
key, no Python literal, no sideways scrolling; screenshots of each step."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from appliance.acquisition import live
from appliance.acquisition.context import load
from appliance.acquisition.live import LiveCache
from appliance.catalog import adapters, devices
from appliance.control.delivery import Dispatcher
from appliance.drivers.base import Reading
from appliance.drivers.connect import LinkPool
from appliance.store.models import RegistryDevice
from appliance.web.server import serve
from tests.control import deye as deye_sim
from tests.control.conftest import set_health
from tests.web.conftest import PASSWORD
from tests.web.test_browser import ARGS, CHROMIUM
from tests.web.test_browser_ui import WIDTHS, _check_page

pytestmark = [pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed "
                                 "(install.sh --dev installs it with apt)"),
              pytest.mark.timeout(180)]


class Clock:
    def __init__(self) -> None:
        self.now = 1_767_225_600_000

    def __call__(self) -> int:
        return self.now


def battery(values: dict) -> Reading:
    cells = [3.301, 3.312, 3.296, 3.305]
    return Reading(kind="battery", values={"voltage_v": 52.8, "current_a": -10.0, "power_w": -528.0,
                                           "cell_voltages_v": cells, "cell_min_v": min(cells),
                                           "cell_max_v": max(cells), "temperature_c": 24.0, **values}, ts_ms=Clock()())


@pytest.fixture
def base_url(app, site, admin):
    clock = Clock()
    cache = LiveCache(clock=clock)
    live.install(cache)
    pool = LinkPool()
    app.config["DISPATCHER"] = Dispatcher(pool, clock=clock, min_interval_s=0)  # as runtime.py hands it over
    inverter = deye_sim.start("tcp", clock, inverter_id="hybrid")
    devices.update_battery_pack("pack1", max_charge_kw=3.0, max_discharge_kw=3.5, nominal_kwh=5.0)
    devices.create_battery_pack("pack2", "bank", "Pack 2", max_charge_kw=2.0, max_discharge_kw=2.5, nominal_kwh=10.0)
    for pack in ("pack1", "pack2"):
        adapters.create_adapter(f"{pack}_bms", "pylontech_rs485", {"serial_port": f"/dev/ttyUSB-{pack}"})
        adapters.link_pack_adapter(pack, f"{pack}_bms")
        set_health(f"battery_pack:{pack}", "online")
        cache.update(load(RegistryDevice.get_by_id(f"battery_pack:{pack}")),
                     battery({"soc_pct": 62.0 if pack == "pack1" else 71.0, "soh_pct": 97.0}))
    server = serve(app, "127.0.0.1", 0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.close()
    thread.join(timeout=5)
    inverter.server.stop()
    pool.close_all()
    live.install(None)


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


def test_the_owner_reviews_and_confirms_a_program_change(page, tmp_path):
    width = page.width
    shots = Path(tmp_path)
    card = page.locator("#battery-bank")
    assert "one battery of 2 packs" in card.inner_text() and "2 of 2" in card.inner_text()
    assert "68 %" in card.inner_text()  # 62 % of 5 kWh and 71 % of 10 kWh, weighted
    assert "5.0 kW" in card.inner_text() and "6.0 kW" in card.inner_text()  # 3 + 2 to charge, 3.5 + 2.5 to discharge
    _check_page(page, "/")
    page.screenshot(path=str(shots / f"dashboard-battery-{width}.png"), full_page=True)

    page.goto("/devices/inverter:hybrid")
    page.click("#control-link a")
    page.wait_for_url("**/devices/inverter:hybrid/control")
    assert "nobody now" in page.inner_text("#control-status") and "200 of 200" in page.inner_text("#control-status")
    _check_page(page, "/devices/inverter:hybrid/control")
    page.screenshot(path=str(shots / f"control-{width}.png"), full_page=True)

    page.fill("#f-export_limit_w", "5000")
    page.select_option("#f-work_mode", "selling_first")
    page.fill("#f-slots-2-start", "05:30")
    page.check("#f-slots-2-grid_charge")
    page.click("#review-button")
    page.wait_for_selector("#confirm-writes")
    changes = page.inner_text("#confirm-changes")
    assert "Export limit: 8 000 W → 5 000 W" in changes.replace("\u202f", " ")
    assert "Work mode: Zero export to the CT → Selling first (export allowed)" in changes
    assert "FC16 at registers 142–143: 2 8000 → 0 5000" in page.inner_text("#confirm-writes")
    _check_page(page, "confirm")
    page.screenshot(path=str(shots / f"control-confirm-{width}.png"), full_page=True)
    page.click("#confirm-button")
    page.wait_for_selector("#control-message")
    assert "Written and read back." in page.inner_text("#control-message")
    assert "the local UI (admin)" in page.inner_text("#control-status")
    assert page.input_value("#f-export_limit_w") == "5000" and page.input_value("#f-slots-2-start") == "05:30"
    _check_page(page, "written")
    page.screenshot(path=str(shots / f"control-written-{width}.png"), full_page=True)
    assert page.console_errors == []  # type: ignore[attr-defined]
