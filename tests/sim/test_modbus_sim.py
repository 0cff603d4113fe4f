"""The Modbus simulator servers (pymodbus's own) and the TCP/RTU buses: exceptions, faults, shared lines, timeouts."""

from __future__ import annotations

import threading
from typing import Any, Iterator

import pytest
import serial

from appliance.drivers.iammeter import IamMeterDriver
from appliance.drivers.modbus.exceptions import ModbusExceptionError
from appliance.drivers.powdrive import PowdriveDriver
from appliance.drivers.transports.modbus import RtuBus, TcpBus, open_bus, rtu_gap_s
from appliance.errors import TransportError, ValidationError
from appliance.sim.iammeter import IamMeterSim
from appliance.sim.modbus_server import ILLEGAL_ADDRESS, ModbusRtuSim, ModbusSimError, ModbusTcpSim, RegisterImage
from appliance.sim.null_modem import NullModem
from appliance.sim.powdrive import PowdriveSim

FAULTS = ["timeout", "exception", "bad_crc", "truncated", "disconnect"]


def _image() -> RegisterImage:
    return RegisterImage({100: 1, 101: 2, 102: 3}, {7: 77})


def test_register_image_reads_and_refuses_unmapped() -> None:
    image = _image()
    assert image.read("holding", 100, 3) == [1, 2, 3]
    assert image.read("input", 7, 1) == [77]
    with pytest.raises(ModbusSimError) as info:
        image.read("holding", 101, 3)
    assert info.value.code == ILLEGAL_ADDRESS


def test_register_image_write_callback() -> None:
    seen: list[tuple[int, list[int]]] = []
    image = RegisterImage({5: 0, 6: 0}, on_write=lambda a, v: seen.append((a, v)))
    image.write(5, [9, 10])
    assert seen == [(5, [9, 10])] and image.read("holding", 5, 2) == [9, 10]
    with pytest.raises(ModbusSimError):
        image.write(6, [1, 2])


def test_register_image_refuses_functions_and_reads_over_its_limit() -> None:
    image = RegisterImage({100: 1, 101: 2}, functions=frozenset({3, 16}), max_read=1)
    with pytest.raises(ModbusSimError) as info:
        image.answer(6, 100, 1, [5])
    assert info.value.code == 1
    with pytest.raises(ModbusSimError) as info:
        image.answer(3, 100, 2, None)
    assert info.value.code == 3
    assert image.answer(3, 101, 1, None) == [2]


def test_gap_is_three_and_a_half_characters() -> None:
    assert rtu_gap_s(9600) == pytest.approx(3.5 * 10 / 9600)
    assert rtu_gap_s(115200) == 0.00175


def test_simulators_listen_on_loopback_only() -> None:
    with pytest.raises(ValueError):
        ModbusTcpSim({1: _image()}, host="0.0.0.0")


@pytest.fixture(params=["tcp", "rtu", "rtu_over_tcp"])
def bus_and_sim(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any]]:
    """A bus to a two-unit simulator over TCP, RTU on a pty, or RTU framing through a TCP gateway (socket://)."""
    units = {1: _image(), 2: RegisterImage({100: 42})}
    if request.param == "tcp":
        sim: Any = ModbusTcpSim(units).start()
        bus: Any = TcpBus("127.0.0.1", sim.port, timeout_s=0.4)
    else:
        sim = ModbusRtuSim(units, over_tcp=request.param == "rtu_over_tcp").start()
        bus = RtuBus(sim.url, baudrate=115200, timeout_s=0.4)
    yield bus, sim
    bus.close()
    sim.stop()


def test_reads_and_writes(bus_and_sim: tuple[Any, Any]) -> None:
    bus, _ = bus_and_sim
    link = bus.unit(1)
    assert link.read_holding(100, 3) == [1, 2, 3]
    assert link.read_input(7, 1) == [77]
    link.write_register(101, 0xBEEF)
    link.write_registers(100, [5, 6])
    assert link.read_holding(100, 3) == [5, 6, 3]


def test_exception_response_names_the_code(bus_and_sim: tuple[Any, Any]) -> None:
    bus, _ = bus_and_sim
    with pytest.raises(ModbusExceptionError, match="illegal data address") as info:
        bus.unit(1).read_holding(200, 2)
    assert info.value.exception_code == 2
    assert isinstance(info.value, TransportError)


@pytest.mark.parametrize("fault", FAULTS)
def test_faults_give_transport_errors_and_the_bus_recovers(bus_and_sim: tuple[Any, Any], fault: str) -> None:
    bus, sim = bus_and_sim
    link = bus.unit(1)
    sim.fault = fault
    with pytest.raises(TransportError):
        link.read_holding(100, 3)
    sim.fault = None
    assert link.read_holding(100, 3) == [1, 2, 3]


def test_two_units_share_one_bus(bus_and_sim: tuple[Any, Any]) -> None:
    bus, _ = bus_and_sim
    one, two = bus.unit(1), bus.unit(2)
    results: list[bool] = []

    def poll(link: Any, expected: list[int], count: int) -> None:
        for _ in range(15):
            results.append(link.read_holding(100, count) == expected)

    threads = [threading.Thread(target=poll, args=(one, [1, 2, 3], 3)),
               threading.Thread(target=poll, args=(two, [42], 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(results) == 30 and all(results)


def test_an_absent_unit_is_an_error(bus_and_sim: tuple[Any, Any]) -> None:
    bus, _ = bus_and_sim
    with pytest.raises(TransportError):
        bus.unit(9).read_holding(100, 1)


def test_bad_requests_are_refused_before_sending(bus_and_sim: tuple[Any, Any]) -> None:
    bus, _ = bus_and_sim
    with pytest.raises(ValidationError):
        bus.unit(1).read_holding(100, 126)
    with pytest.raises(ValidationError):
        bus.unit(1).write_register(100, 70000)
    with pytest.raises(ValidationError):
        bus.unit(300)


def test_two_devices_on_one_pty_through_one_rtu_bus() -> None:
    inverter, meter = PowdriveSim(), IamMeterSim()
    sim = ModbusRtuSim({1: inverter.image, 4: meter.image}).start()
    bus = open_bus({"transport": "rtu", "serial_port": sim.path, "baudrate": 9600, "timeout_s": 1})
    try:
        assert isinstance(bus, RtuBus)
        pd, im = PowdriveDriver({}, bus.unit(1)), IamMeterDriver({}, bus.unit(4))
        assert pd.identify().serial_number == "PD24000001"
        assert im.identify().model == "WEM3080T"
        assert pd.read().values["battery_soc_pct"] == 67
        assert im.read().values["power_w"] == 1660
    finally:
        bus.close()
        sim.stop()


def test_open_bus_tcp_and_bad_configs() -> None:
    sim = ModbusTcpSim({1: _image()}).start()
    try:
        bus = open_bus({"transport": "tcp", "host": "127.0.0.1", "port": sim.port, "timeout_s": 1})
        assert isinstance(bus, TcpBus) and bus.unit(1).read_holding(100, 1) == [1]
        bus.close()
    finally:
        sim.stop()
    for config in ({"transport": "tcp"}, {"transport": "rtu"}, {"transport": "ble"}):
        with pytest.raises(ValidationError):
            open_bus(config)


def test_nothing_listening_is_a_transport_error() -> None:
    sim = ModbusTcpSim({1: _image()}).start()
    port = sim.port
    sim.stop()
    with pytest.raises(TransportError, match="connect"):
        TcpBus("127.0.0.1", port, timeout_s=0.3).unit(1).read_holding(100, 1)


def test_missing_serial_port_is_a_transport_error() -> None:
    with pytest.raises(TransportError):
        RtuBus("/dev/does-not-exist-modbus", timeout_s=0.3)
    with pytest.raises(ValidationError, match="socket://HOST:PORT"):
        RtuBus("socket://127.0.0.1", timeout_s=0.3)


def test_rtu_bus_speaks_the_specifications_bytes() -> None:
    # Fixed frames, not a second implementation: "read 1 holding register at 0 from unit 1" is
    # 01 03 00 00 00 01 84 0A on the wire (Modbus over serial line, CRC low byte first); the answer
    # 01 03 02 00 01 79 84 carries the value 1, and 01 83 02 C0 F1 is exception 2.
    modem = NullModem().start()
    bus = RtuBus(modem.path, baudrate=115200, timeout_s=1)
    device = serial.Serial(modem.device_path, timeout=1)
    try:
        for answer, expected in ((bytes.fromhex("01030200017984"), [1]), (bytes.fromhex("018302c0f1"), None)):
            def respond() -> None:
                assert device.read(8) == bytes.fromhex("010300000001840a")
                device.write(answer)
            thread = threading.Thread(target=respond)
            thread.start()
            if expected is None:
                with pytest.raises(ModbusExceptionError, match="illegal data address"):
                    bus.unit(1).read_holding(0, 1)
            else:
                assert bus.unit(1).read_holding(0, 1) == expected
            thread.join(timeout=5)
    finally:
        device.close()
        bus.close()
        modem.stop()


def test_an_rtu_over_tcp_gateway_is_a_socket_url_serial_port() -> None:
    # An RS485 gateway that passes RTU frames through: `transport: rtu`, `serial_port: socket://host:port`.
    sim = PowdriveSim().rtu(over_tcp=True)
    bus = open_bus({"transport": "rtu", "serial_port": sim.url, "timeout_s": 1})
    try:
        assert sim.url.startswith("socket://127.0.0.1:")
        assert PowdriveDriver({}, bus.unit(1)).read().values["battery_soc_pct"] == 67
    finally:
        bus.close()
        sim.stop()
