"""Settings: MQTT and Home Assistant. The password is write-only; errors stand beside their field; the running
link's status (connected, drops) is shown; in Chromium at 390 and 1366 px it reads as words and fits."""

from __future__ import annotations

import threading

import pytest

from appliance.mqtt import settings as mqtt_settings
from appliance.web import create_app
from appliance.web.server import serve
from tests.web.conftest import PASSWORD, log_in
from tests.web.test_browser import ARGS, CHROMIUM

SECRET = "do-not-show-me-4711"
STATUS = {"enabled": True, "broker": "192.0.2.10:1883", "from_command_line": False, "base": "appliance/home",
          "prefix": "homeassistant", "commands": False, "devices": 4, "dropped": 17, "state": "connected",
          "last_error": None, "failures": 0, "published": 12345, "waiting": 0, "since_ms": 1_780_000_000_000,
          "retry_in_s": None, "client_id": "appliance-6d2a48adfda4", "protocol": "5"}


def test_saving_the_broker_keeps_the_password_write_only(browser, site):
    answer = browser.post("/settings/mqtt", {"mqtt.enabled": "on", "mqtt.url": "mqtt://192.0.2.10:1883",
                                             "mqtt.username": "ha", "mqtt.password": SECRET, "mqtt.protocol": "5",
                                             "mqtt.discovery_prefix": "homeassistant", "mqtt.topic_base": ""})
    assert answer.status_code == 200, answer.data.decode()[-2000:]
    stored = mqtt_settings.load()
    assert (stored.host, stored.username, stored.password, stored.protocol, stored.commands) == \
        ("192.0.2.10", "ha", SECRET, "5", False)
    page = browser.get("/settings").data.decode()
    assert SECRET not in page and "a password is stored; empty keeps it" in page
    assert 'value="mqtt://192.0.2.10:1883"' in page and 'value="ha"' in page
    # Saving again with the password field empty keeps it; "forget" drops it.
    browser.post("/settings/mqtt", {"mqtt.enabled": "on", "mqtt.url": "mqtt://192.0.2.10:1884",
                                    "mqtt.username": "ha", "mqtt.password": "", "mqtt.protocol": "5"})
    assert mqtt_settings.load().password == SECRET and mqtt_settings.load().port == 1884
    browser.post("/settings/mqtt", {"mqtt.enabled": "on", "mqtt.url": "mqtt://192.0.2.10:1884",
                                    "mqtt.username": "ha", "mqtt.forget_password": "on", "mqtt.protocol": "5"})
    assert mqtt_settings.load().password is None


@pytest.mark.parametrize("form, field, words", [
    ({"mqtt.enabled": "on", "mqtt.url": "http://broker"}, "mqtt-url", "mqtt:// or mqtts://"),
    ({"mqtt.enabled": "on", "mqtt.url": ""}, "mqtt-url", "no broker is set"),
    ({"mqtt.url": "mqtt://b", "mqtt.topic_base": "a/#"}, "mqtt-topic_base", "without spaces"),
    ({"mqtt.url": "mqtt://b", "mqtt.queue_size": "5"}, "mqtt-queue_size", "10..100000"),
    ({"mqtt.url": "mqtts://b", "mqtt.ca_file": "/no/such.pem"}, "mqtt-ca_file", "is not a file"),
])
def test_a_bad_value_is_shown_beside_its_field_and_nothing_is_saved(browser, site, form, field, words):
    answer = browser.post("/settings/mqtt", {"mqtt.protocol": "3.1.1", "mqtt.password": SECRET, **form})
    page = answer.data.decode()
    assert answer.status_code == 400
    assert f'id="error-{field}"' in page and words in page
    assert SECRET not in page  # not even echoed back from the failed form
    assert mqtt_settings.load().host == ""


def test_the_running_links_status_and_drops_are_shown(db, admin, site):
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-0123456789abcdef",
                      "MQTT_STATUS": lambda: dict(STATUS)})
    page = log_in(app.test_client()).get("/settings").data.decode()
    assert "Connected to <strong>192.0.2.10:1883</strong>" in page
    assert "State messages dropped (queue full)" in page and ">17<" in page
    failing = {**STATUS, "state": "waiting", "last_error": "192.0.2.10:1883 refused user 'ha': not authorized",
               "retry_in_s": 42.0}
    app.config["MQTT_STATUS"] = lambda: failing
    page = log_in(app.test_client()).get("/settings").data.decode()
    assert "Not connected to 192.0.2.10:1883: 192.0.2.10:1883 refused user" in page and "next try in 42" in page


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
@pytest.mark.parametrize("width", [390, 1366])
def test_the_mqtt_section_in_the_browser(db, admin, site, tmp_path, width):
    sync_api = pytest.importorskip("playwright.sync_api")
    mqtt_settings.update({"enabled": True, "url": "mqtts://ha:pw@192.0.2.10:8883", "protocol": "5"})
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-0123456789abcdef",
                      "MQTT_STATUS": lambda: dict(STATUS, broker="192.0.2.10:8883")})
    server = serve(app, "127.0.0.1", 0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
            tab = browser.new_context(base_url=f"http://127.0.0.1:{server.port}",
                                      viewport={"width": width, "height": 900}).new_page()
            tab.goto("/login")
            tab.fill("#f-password", PASSWORD)
            tab.click("#login-form button[type=submit]")
            tab.wait_for_url("**/")
            tab.goto("/settings#mqtt")
            section = tab.locator("#mqtt")
            text = section.inner_text()
            assert "Connected to 192.0.2.10:8883" in text and "pw" not in tab.locator("#f-mqtt-password").input_value()
            overflow = tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{overflow} px of sideways scrolling at {width} px"
            for word in ("None", "True", "False"):
                assert word not in text.split()
            tab.fill("#f-mqtt-url", "ftp://nope")
            tab.click("#mqtt button[type=submit]")
            assert "mqtt:// or mqtts://" in tab.locator("#error-mqtt-url").inner_text()
            tab.goto("/settings#mqtt")
            section.screenshot(path=str(tmp_path / f"settings-mqtt-{width}.png"))
            browser.close()
    finally:
        server.close()
        thread.join(timeout=5)
