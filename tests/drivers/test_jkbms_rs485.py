"""jkbms_rs485 against the simulated pack on a pty, over the real SerialStream transport."""

from __future__ import annotations

import os
import threading
import tty
from typing import Any, Iterator

import pytest

from appliance.drivers.jkbms_rs485 import JkBmsRs485Driver
from appliance.drivers.transports.stream import SerialStream
from appliance.errors import DecodeError, TransportError
from appliance.sim.jkbms_gateway import JkPtySim
from appliance.sim.jkbms_render import default_values

TIMEOUT = 1.0  # a healthy answer arrives in milliseconds, also on a loaded machine; a fault ends in 1 s


def driver_for(path: str, **config: Any) -> tuple[JkBmsRs485Driver, SerialStream]:
    link = SerialStream(path, baudrate=115200)
    return JkBmsRs485Driver({"serial_port": path, "timeout_s": TIMEOUT, **config}, link), link


@pytest.fixture(params=["jkpb", "legacy"])
def pty_sim(request: pytest.FixtureRequest) -> Iterator[JkPtySim]:
    sim = JkPtySim(protocol=request.param, unit_id=1).start()
    yield sim
    sim.stop()


def test_identify_and_read_on_the_pty(pty_sim: JkPtySim) -> None:
    driver, link = driver_for(pty_sim.path)
    try:
        identity = driver.identify()
        reading = driver.read()
    finally:
        link.close()
    assert driver.protocol == pty_sim.pack.protocol
    # A JK-PB on the bus speaks JK02; the legacy 4E 57 protocol is a B1A/B2A unit's (sim jkbms_render).
    model = "JK-PB2A16S20P" if pty_sim.pack.protocol == "jkpb" else "JK_B1A20S15P"
    assert identity.model == model and identity.adapter_type == "jkbms_rs485"
    assert reading.values["cell_voltages_v"] == default_values()["cell_voltages_v"]
    assert reading.values["current_a"] == -5.25 and reading.details["protocol"] == pty_sim.pack.protocol


def test_jk02_24s_layout_on_the_bus() -> None:
    with JkPtySim(protocol="jkpb", variant="JK02_24S") as sim:
        driver, link = driver_for(sim.path, protocol="jkpb")
        try:
            reading = driver.read()
        finally:
            link.close()
    assert reading.details["frame_variant"] == "JK02_24S" and reading.values["soc_pct"] == 64


@pytest.mark.parametrize("fault,error", [("timeout", TransportError), ("bad_checksum", DecodeError),
                                         ("truncated", TransportError), ("garbage", TransportError),
                                         ("disconnect", TransportError)])
def test_faults_raise_and_never_hang(pty_sim: JkPtySim, fault: str, error: type) -> None:
    driver, link = driver_for(pty_sim.path, protocol=pty_sim.pack.protocol)
    try:
        driver.read()
        pty_sim.fault = fault
        with pytest.raises(error):
            driver.read()
    finally:
        link.close()


def test_identify_rejects_a_pylontech_console_on_the_pty() -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    stop = threading.Event()

    def console() -> None:
        while not stop.is_set():
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if data:
                os.write(master, b"\r\nUnknown command\r\n$$\r\npylon>")

    thread = threading.Thread(target=console, daemon=True)
    thread.start()
    driver, link = driver_for(os.ttyname(slave))
    try:
        with pytest.raises((TransportError, DecodeError)):
            driver.identify()
    finally:
        link.close()
        stop.set()
        os.close(slave)
        os.close(master)
        thread.join(timeout=2)
