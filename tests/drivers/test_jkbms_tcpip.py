"""jkbms_tcpip against the simulated RS485-TCP gateway on 127.0.0.1, over the real SerialStream transport."""

from __future__ import annotations

import socket
import threading
from typing import Any, Callable, Iterator

import pytest
from pymodbus.framer import FramerRTU

from appliance.drivers.jkbms_tcpip import JkBmsTcpIpDriver
from appliance.drivers.transports.stream import SerialStream
from appliance.errors import DecodeError, TransportError
from appliance.sim.jkbms_gateway import JkGatewaySim
from appliance.sim.jkbms_render import default_values

TIMEOUT = 0.25


def modbus_meter_reply(data: bytes) -> bytes:
    """A Modbus RTU meter that accepts any FC16 write (answers the echo ack) and ignores the rest.

    Its CRC is pymodbus's (3.16.1), not the appliance's: the two must agree on the wire."""
    if len(data) >= 11 and data[1] == 0x10 and FramerRTU.check_CRC(data[:-2], int.from_bytes(data[-2:], "big")):
        ack = data[:6]
        return ack + FramerRTU.compute_CRC(ack).to_bytes(2, "big")
    return b""


def pylontech_console_reply(data: bytes) -> bytes:
    """A Pylontech/Pytes console: every line gets an error and a prompt."""
    return b"\r\nUnknown command '" + data[:8].hex().encode() + b"'\r\n$$\r\npylon>"


class TcpPeer:
    """A one-function TCP peer on 127.0.0.1: each received chunk gets `reply(chunk)`."""

    def __init__(self, reply: Callable[[bytes], bytes]) -> None:
        self.reply = reply
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        conns = []
        while not self.stop_event.is_set():
            try:
                conn, _ = self.server.accept()
                conn.settimeout(0.05)
                conns.append(conn)
            except (TimeoutError, OSError):
                pass
            for conn in list(conns):
                try:
                    data = conn.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    conns.remove(conn)
                    continue
                if data and (answer := self.reply(data)):
                    conn.sendall(answer)
        for conn in conns:
            conn.close()

    def close(self) -> None:
        """Stop the peer and close its sockets."""
        self.stop_event.set()
        self.thread.join(timeout=2)
        self.server.close()


def driver_for(port: int, **config: Any) -> tuple[JkBmsTcpIpDriver, SerialStream]:
    link = SerialStream(f"socket://127.0.0.1:{port}")
    return JkBmsTcpIpDriver({"host": "127.0.0.1", "port": port, "timeout_s": TIMEOUT, **config}, link), link


@pytest.fixture(params=["jkpb", "legacy"])
def gateway(request: pytest.FixtureRequest) -> Iterator[JkGatewaySim]:
    sim = JkGatewaySim(protocol=request.param, unit_id=3).start()
    yield sim
    sim.stop()


def test_identify_and_read_through_the_gateway(gateway: JkGatewaySim) -> None:
    driver, link = driver_for(gateway.port, unit_id=3, protocol=gateway.pack.protocol)
    try:
        identity = driver.identify()
        reading = driver.read()
    finally:
        link.close()
    expected = default_values()
    # A JK-PB on the bus speaks JK02; the legacy 4E 57 protocol is a B1A/B2A unit's (sim jkbms_render).
    model = "JK-PB2A16S20P" if gateway.pack.protocol == "jkpb" else "JK_B1A20S15P"
    assert identity.adapter_type == "jkbms_tcpip" and identity.model == model
    assert identity.serial_number is not None and identity.serial_number.startswith("SIM00000001")
    v = reading.values
    assert reading.kind == "battery" and v["cell_voltages_v"] == expected["cell_voltages_v"]
    assert v["current_a"] == expected["current_a"] and v["power_w"] < 0  # charging
    assert v["soc_pct"] == 64 and v["cycles"] == 42 and v["full_ah"] == 280.0
    assert v["model"] == model and v["charge_enabled"] and v["discharge_enabled"]
    assert v["cell_delta_v"] == pytest.approx(0.008) and v["alarms"] == []


def test_auto_finds_the_protocol_and_remembers_it(gateway: JkGatewaySim) -> None:
    driver, link = driver_for(gateway.port, unit_id=3)
    try:
        driver.read()
        assert driver.protocol == gateway.pack.protocol
        before = gateway.pack.requests
        driver.read()
    finally:
        link.close()
    # Remembered: one more exchange of the working protocol, no new probe of the other one.
    assert gateway.pack.requests == before + 1


def test_values_are_rendered_per_request() -> None:
    state = {"soc": 10}

    def values() -> dict[str, Any]:
        state["soc"] += 5
        return {**default_values(), "soc_pct": state["soc"], "current_a": 12.5, "alarms": ["cell_undervoltage"]}

    with JkGatewaySim(values, protocol="jkpb") as sim:
        driver, link = driver_for(sim.port, protocol="jkpb")
        try:
            first, second = driver.read(), driver.read()
        finally:
            link.close()
    assert second.values["soc_pct"] > first.values["soc_pct"]
    assert first.values["current_a"] == 12.5 and first.values["power_w"] > 0
    assert first.values["alarms"] == ["cell_undervoltage"]


def test_another_unit_id_stays_silent() -> None:
    with JkGatewaySim(protocol="jkpb", unit_id=2) as sim:
        driver, link = driver_for(sim.port, unit_id=5, protocol="jkpb")
        try:
            with pytest.raises(TransportError):
                driver.read()
        finally:
            link.close()


@pytest.mark.parametrize("fault,error", [("timeout", TransportError), ("bad_checksum", DecodeError),
                                         ("truncated", TransportError), ("garbage", TransportError),
                                         ("disconnect", TransportError)])
def test_faults_raise_and_never_hang(gateway: JkGatewaySim, fault: str, error: type) -> None:
    driver, link = driver_for(gateway.port, unit_id=3, protocol=gateway.pack.protocol)
    try:
        driver.read()
        gateway.fault = fault
        with pytest.raises(error):
            driver.read()
    finally:
        link.close()


@pytest.mark.parametrize("reply", [modbus_meter_reply, pylontech_console_reply])
def test_identify_rejects_peers_that_are_not_jk(reply: Any) -> None:
    peer = TcpPeer(reply)
    driver, link = driver_for(peer.port)
    try:
        with pytest.raises((TransportError, DecodeError)):
            driver.identify()
        with pytest.raises((TransportError, DecodeError)):
            driver.read()
    finally:
        link.close()
        peer.close()
    assert driver.protocol == "auto"


def test_closed_port_is_a_transport_error() -> None:
    with JkGatewaySim() as sim:
        port = sim.port
    with pytest.raises(TransportError):
        driver, link = driver_for(port)
        driver.read()
