"""The alerts in the running process (real scheduler, default settings): a device configured at an address that
never answers is reported offline within two minutes."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from appliance.catalog import adapters, devices, systems
from appliance.runtime import Runtime, RuntimeOptions
from appliance.settings import Settings
from tests.runtime.conftest import wait_until


class Silent:
    """A TCP listener on 127.0.0.1 that accepts connections and never answers a byte."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            self.held.append(conn)

    def stop(self) -> None:
        self._stop.set()
        for sock in [self.server, *self.held]:
            sock.close()


@pytest.mark.timeout(200)
@pytest.mark.slow
def test_a_device_at_an_address_that_never_answers_is_offline_within_two_minutes(tmp_path):
    silent = Silent()
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "box.db", config_file=tmp_path / "none.yaml")
    runtime = Runtime(settings, RuntimeOptions(web=False, discovery_interval_s=3600))
    try:
        runtime.open()
        systems.create_system("home", "Home", timezone="UTC")
        systems.create_array("roof", "home", "Roof")
        adapters.create_adapter("inv_tcp", "powdrive", {"transport": "tcp", "host": "127.0.0.1", "port": silent.port})
        devices.create_inverter("inv1", "roof", "Inverter", adapter_id="inv_tcp")
        started = time.monotonic()
        runtime.start()
        [alert] = wait_until(lambda: [a for a in runtime.alerts.active() if a.kind == "device_offline"], 120,
                             step_s=1)
        print(f"offline alert after {time.monotonic() - started:.0f} s with the default settings")
        assert alert.device_id == "inverter:inv1" and "Inverter does not answer via inv_tcp" in alert.message
        assert silent.held, "the device was really asked"
        status = runtime.alerts.status()
        [device] = status["devices"]
        assert device["adapters"][0]["state"] == "down" and device["adapters"][0]["last_good_read"] is None
    finally:
        runtime.stop()
        silent.stop()
