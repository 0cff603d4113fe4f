"""Every Modbus simulator read by a client that shares no code with the appliance or with pymodbus:
pysunspec2 1.3.7's own Modbus TCP and RTU clients (sunspec2.modbus.modbus), over each device's register space."""

from __future__ import annotations

import struct
from typing import Any, Callable, Iterator

import pytest
from sunspec2.modbus.modbus import ModbusClientException, ModbusClientRTU, ModbusClientTCP

from appliance.sim.acuvim2 import DEFAULT as ACUVIM_DEFAULT
from appliance.sim.acuvim2 import AcuvimSim
from appliance.sim.iammeter import IamMeterSim
from appliance.sim.modbus_server import ModbusTcpSim
from appliance.sim.powerpack import PowerPackSim
from appliance.sim.senergy import SenergySim


def words(data: bytes) -> list[int]:
    return list(struct.unpack(f">{len(data) // 2}H", data))


@pytest.fixture
def tcp_client() -> Iterator[Callable[[Any], ModbusClientTCP]]:
    opened: list[tuple[ModbusClientTCP, ModbusTcpSim]] = []

    def connect(sim: Any) -> ModbusClientTCP:
        server = sim.tcp()
        client = ModbusClientTCP(slave_id=1, ipaddr="127.0.0.1", ipport=server.port, timeout=2)
        client.connect()
        opened.append((client, server))
        return client

    yield connect
    for client, server in opened:
        client.disconnect()
        server.stop()


def test_acuvim_answers_the_manuals_example_and_60_registers(tcp_client: Callable[[Any], ModbusClientTCP]) -> None:
    # Acuvim II manual section 5.3, Table 5-28: 6 registers from 0x4000 with F = 50.00 Hz, V1 = 99.9 V,
    # V2 = 100.1 V answer 42480000 42C7CCCD 42C83333; Table 5-31 presets EP_imp = 0x0A9D4089 = 17 807 783.3 kWh.
    values = {**ACUVIM_DEFAULT, "voltages_v": [99.9, 100.1, 100.0], "import_energy_kwh": 17807783.3}
    client = tcp_client(AcuvimSim(lambda: values))
    assert words(client.read(0x4000, 6)) == [0x4248, 0x0000, 0x42C7, 0xCCCD, 0x42C8, 0x3333]
    assert words(client.read(0x4048, 2)) == [0x0A9D, 0x4089]
    assert len(client.read(0x4000, 60)) == 120  # one request of 60 registers, as the meter serves
    with pytest.raises(ModbusClientException):
        client.read(0x4000, 61)  # pysunspec2 sends 61 in one request: the meter's limit refuses it
    secondary = words(client.read(0x3000, 60))
    assert struct.unpack(">f", struct.pack(">HH", *secondary[18:20]))[0] == pytest.approx(10.2 / 20)  # I1 / CT
    assert len(client.read(17952, 12)) == 24  # per-phase energies


@pytest.mark.parametrize("make, spans", [
    (lambda: IamMeterSim(), ((0, 66),)),
    (lambda: IamMeterSim(model="WEM3080"), ((0, 66),)),
    (lambda: SenergySim(), ((6656, 8), (6672, 8), (4112, 8))),
    (lambda: PowerPackSim(), ((2000, 29),)),
])
def test_each_meter_and_inverter_space_reads_whole(tcp_client: Callable[[Any], ModbusClientTCP], make: Callable[[], Any],
                                                   spans: tuple[tuple[int, int], ...]) -> None:
    client = tcp_client(make())
    for start, count in spans:
        assert len(client.read(start, count)) == 2 * count


def test_iammeter_voltage_and_power_as_the_vendor_integration_reads_them(tcp_client: Callable[[Any], ModbusClientTCP]) -> None:
    # lewei50/ha_iammeter_modbus@aedb2e7: voltage A at 0 in 0.01 V, power A at 2-3 as S32 high word first.
    regs = words(tcp_client(IamMeterSim()).read(0, 4))
    assert regs[0] == 23012 and struct.unpack(">i", struct.pack(">HH", regs[2], regs[3]))[0] == 950


def test_an_rtu_client_reads_the_meter_on_the_line() -> None:
    server = AcuvimSim().rtu()
    client = ModbusClientRTU(server.path, baudrate=9600, timeout=1)
    try:
        assert words(client.read(1, 0x4000, 2)) == [0x4248, 0x0000]
    finally:
        client.close()
        server.stop()
