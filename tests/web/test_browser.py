"""The UI in a real browser: Playwright driving Debian's Chromium, the app served by waitress on 127.0.0.1."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from appliance.web.server import serve

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "browser password 1"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed "
                                "(install.sh --dev installs it with apt)")


@pytest.fixture
def base_url(app):
    server = serve(app, "127.0.0.1", 0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture
def page(base_url):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context(base_url=base_url)
        tab = context.new_page()
        errors: list[str] = []
        # Script errors and CSP violations count; 4xx answers of forms with errors are expected.
        tab.on("console", lambda m: errors.append(m.text)
               if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.console_errors = errors  # type: ignore[attr-defined]
        yield tab
        browser.close()


def _first_run(page, shots: Path) -> None:
    page.goto("/")
    assert page.url.endswith("/setup")
    page.fill("#f-password", PASSWORD)
    page.fill("#f-confirmation", "something else")
    page.click("#setup-form button[type=submit]")
    assert "the two passwords differ" in page.inner_text("#error-confirmation")
    page.fill("#f-password", PASSWORD)
    page.fill("#f-confirmation", PASSWORD)
    page.screenshot(path=str(shots / "setup.png"))
    page.click("#setup-form button[type=submit]")
    page.wait_for_url("**/")
    assert page.title().startswith("Home") and page.locator("#power-flow").count() == 1


def test_first_run_login_and_creating_an_array_and_inverter(page, site, tmp_path):
    _first_run(page, tmp_path)
    page.screenshot(path=str(tmp_path / "dashboard.png"))
    page.click("header .logout button")
    page.wait_for_url("**/login")
    page.fill("#f-password", "wrong password")
    page.click("#login-form button[type=submit]")
    assert "Wrong password" in page.content()
    page.fill("#f-password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/")

    page.goto("/config")
    page.click("#new-arrays")
    page.fill("#f-array_id", "bad id!")
    page.select_option("#f-system_id", "home")
    page.fill("#f-name", "Garage roof")
    page.click("#entity-form button[type=submit]")
    assert "must be 1-64 letters" in page.inner_text("#error-array_id")
    page.screenshot(path=str(tmp_path / "array-error.png"))
    page.fill("#f-array_id", "garage")
    page.click("#entity-form button[type=submit]")
    page.wait_for_url("**/config#arrays")
    assert "Garage roof" in page.inner_text("#arrays")

    page.click("#new-inverters")
    page.fill("#f-inverter_id", "inv_garage")
    page.select_option("#f-array_id", "garage")
    page.click("#entity-form button[type=submit]")
    assert "name must not be empty" in page.inner_text("#error-name")
    page.fill("#f-name", "Garage inverter")
    page.click("#entity-form button[type=submit]")
    page.wait_for_url("**/config#inverters")
    assert "Garage inverter" in page.inner_text("#inverters")
    page.screenshot(path=str(tmp_path / "config.png"), full_page=True)
    assert not page.console_errors, page.console_errors
    assert list(tmp_path.glob("*.png"))


def test_generated_adapter_form(page, site, tmp_path):
    _first_run(page, tmp_path)
    page.goto("/config/adapters/new")
    page.fill("#f-adapter_id", "jk1")
    page.select_option("#f-adapter_type", "jkbms_tcpip")
    page.wait_for_selector("#f-config-host")  # swapped in by htmx from the type's JSON schema
    assert page.locator("#f-config-protocol option").count() >= 3
    page.fill("#f-config-port", "70000")
    page.click("#entity-form button[type=submit]")
    assert page.locator(".field-error").count() >= 1
    page.screenshot(path=str(tmp_path / "adapter-error.png"), full_page=True)
    page.fill("#f-config-host", "127.0.0.1")
    page.fill("#f-config-port", "5022")
    page.click("#entity-form button[type=submit]")
    page.wait_for_url("**/config#adapters")
    assert "jk1" in page.inner_text("#adapters")
    assert not page.console_errors, page.console_errors
