"""The UI answers as soon as the database is open; discovery (a slow BLE scan included) runs behind it."""

from __future__ import annotations

import threading
import urllib.request

from appliance.discovery.process import Sources
from appliance.discovery.sources import BleSource, StaticPortSource
from appliance.runtime import Runtime, RuntimeOptions
from appliance.settings import Settings


def test_the_web_ui_answers_while_a_slow_ble_scan_is_still_running(tmp_path):
    scanning, release = threading.Event(), threading.Event()

    def slow_scan() -> list:
        scanning.set()
        release.wait(30)  # a BLE scan of several seconds, held here until the test has its answer
        return []

    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "a.db", config_file=tmp_path / "none.yaml",
                        flush_interval_s=1.0)
    runtime = Runtime(settings, RuntimeOptions(host="127.0.0.1", port=0, discovery_interval_s=3600),
                      discovery_sources=Sources(usb=StaticPortSource([]), ble=BleSource(scanner=slow_scan)))
    try:
        runtime.start()
        assert runtime.url is not None
        with urllib.request.urlopen(runtime.url + "health", timeout=5) as answer:  # noqa: S310 - 127.0.0.1
            assert answer.status == 200
        # Order, not seconds: the UI answered while the first scan was still held inside its BLE scan.
        assert scanning.wait(10), "the first discovery scan runs in the background"
        assert not release.is_set() and runtime.discovery.status()["running"], "the UI did not wait for the scan"
    finally:
        release.set()
        runtime.stop()
