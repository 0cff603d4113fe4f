"""A device disabled by a bad stored row shows why, on the Devices list and its page, on a laptop and a phone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from appliance.accounts import passwords
from appliance.acquisition import health
from tests.web.test_browser import CHROMIUM, base_url, page  # noqa: F401 - fixtures

REASON = "not polled: adapter inv1_adapter: config.poll_interval_s: NaN is not allowed: numbers must be finite"
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")


@pytest.mark.parametrize("width", [1366, 390])
def test_the_reason_a_device_is_not_polled_is_on_its_pages(page, site, tmp_path, width):  # noqa: F811
    passwords.set_password("browser password 1", "browser password 1")
    health.disable("inverter:inv1", REASON, 1_780_000_000_000)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/login")
    page.fill("input[name=password]", "browser password 1")
    page.click("form button[type=submit]")
    page.wait_for_url("**/")
    shots = Path(os.environ.get("APPLIANCE_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    for path, name in (("/devices", "devices"), ("/devices/inverter:inv1", "device")):
        page.goto(path)
        assert "config.poll_interval_s" in page.inner_text("main"), path
        page.screenshot(path=str(shots / f"{name}-error-{width}.png"), full_page=True)
        scroll = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert scroll <= 0, f"{path} scrolls sideways by {scroll} px at {width} px"
    assert page.inner_text("#device-error").startswith("not polled")
    assert page.console_errors == []
