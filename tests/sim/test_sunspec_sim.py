"""The SunSpec simulator: a correct chain, served on 127.0.0.1 and read by the real driver and transport."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from appliance.drivers.sunspec import SunSpecDriver
from appliance.drivers.sunspec_models import ModelRef, walk_chain
from appliance.drivers.transports.modbus import RtuBus, TcpBus
from appliance.errors import DecodeError, TransportError
from appliance.sim.modbus_server import ModbusRtuSim, ModbusTcpSim, RegisterImage
from appliance.sim.sunspec import DEFAULT_VALUES, INVERTER_CHAIN, render_chain, serve, sunspec_image

CONFIG = {"transport": "tcp", "host": "127.0.0.1", "timeout_s": 2}


@pytest.mark.parametrize("base", [40000, 0, 50000])
def test_rendered_chain_is_well_formed(base: int) -> None:
    regs = render_chain(base=base)
    assert (regs[base], regs[base + 1]) == (0x5375, 0x6E53)
    chain = walk_chain(regs, base)
    assert [ref.model_id for ref in chain] == list(INVERTER_CHAIN)
    assert chain[0] == ModelRef(1, base + 2, 66)
    mppt = next(ref for ref in chain if ref.model_id == 160)
    assert mppt.length == 8 + 20 * 2 and regs[mppt.address + 8] == 2  # two modules
    end = chain[-1].end
    assert (regs[end], regs[end + 1]) == (0xFFFF, 0) and max(regs) == end + 1


def test_values_that_do_not_fit_raise_the_scale_factor() -> None:
    big = {**DEFAULT_VALUES, "ac_power_w": 150_000.0}
    reading = SunSpecDriver.decode(render_chain(big))
    assert reading.details["ac_power_w"] == 150_000


@pytest.fixture
def sim() -> Iterator[ModbusTcpSim]:
    server = serve()
    yield server
    server.stop()


@pytest.fixture
def bus(sim: ModbusTcpSim) -> Iterator[TcpBus]:
    tcp = TcpBus("127.0.0.1", sim.port, timeout_s=2)
    yield tcp
    tcp.close()


def test_driver_reads_the_inverter_over_tcp(bus: TcpBus) -> None:
    driver = SunSpecDriver(CONFIG, bus.unit(1))
    identity = driver.identify()
    assert (identity.model, identity.serial_number) == ("SunSpec Hybrid 5K", "SIM-SS-0001")
    reading = driver.read()
    assert reading.kind == "inverter"
    v = reading.values
    assert v["pv_powers_w"] == [2100, 1650] and v["pv_power_w"] == 3750
    assert v["grid_frequency_hz"] == 50.01 and v["state"] == "mppt"
    assert v["grid_power_w"] == -1200 and v["battery_soc_pct"] == 64.0
    assert v["pv_energy_total_kwh"] == 15234.5


def test_meter_unit_is_a_meter_with_its_own_serial(bus: TcpBus) -> None:
    driver = SunSpecDriver(CONFIG, bus.unit(2))
    assert driver.identify().serial_number == "SIM-SS-0002"
    reading = driver.read()
    assert reading.kind == "meter" and reading.values["power_w"] == -1200
    assert reading.values["import_energy_kwh"] == 4321.0


def test_values_source_drives_every_read() -> None:
    state: dict[str, Any] = {**DEFAULT_VALUES}
    server = serve(lambda: state, inverter_model=113)
    tcp = TcpBus("127.0.0.1", server.port, timeout_s=2)
    try:
        driver = SunSpecDriver(CONFIG, tcp.unit(1))
        assert driver.read().values["pv_power_w"] == 3750
        state.update(pv_powers_w=[500.0, 250.0], state="throttled")
        reading = driver.read()
        assert reading.values["pv_power_w"] == 750 and reading.values["state"] == "throttled"
        assert reading.details["models"][1] == 113
    finally:
        tcp.close()
        server.stop()


def test_identify_rejects_a_plain_register_image() -> None:
    plain = RegisterImage(holding={a: 3 for a in range(0, 64)})
    server = ModbusTcpSim({1: plain}).start()
    tcp = TcpBus("127.0.0.1", server.port, timeout_s=2)
    try:
        with pytest.raises(DecodeError, match="not a SunSpec device"):
            SunSpecDriver(CONFIG, tcp.unit(1)).identify()
    finally:
        tcp.close()
        server.stop()


def test_simulator_refuses_writes(bus: TcpBus) -> None:
    with pytest.raises(TransportError, match="illegal data address"):
        bus.unit(1).write_register(40002, 7)


def test_other_base_address_over_tcp() -> None:
    server = ModbusTcpSim({3: sunspec_image(models=(1, 802), base=50000)}).start()
    tcp = TcpBus("127.0.0.1", server.port, timeout_s=2)
    try:
        reading = SunSpecDriver(CONFIG, tcp.unit(3)).read()
        assert reading.kind == "battery" and reading.details["base_address"] == 50000
        assert reading.values["power_w"] == -500
    finally:
        tcp.close()
        server.stop()


def test_driver_reads_over_rtu_on_a_pty() -> None:
    server = ModbusRtuSim({1: sunspec_image()}).start()
    line = RtuBus(server.path, baudrate=115200, timeout_s=2)
    try:
        driver = SunSpecDriver({"transport": "rtu", "serial_port": server.path}, line.unit(1))
        assert driver.identify().serial_number == "SIM-SS-0001"
        assert driver.read().values["pv_power_w"] == 3750
    finally:
        line.close()
        server.stop()
