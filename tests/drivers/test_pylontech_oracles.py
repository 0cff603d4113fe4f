"""Pylontech RS485 (V3.3) against pylontech 0.1.3 (PyPI, Tomcat42/pylontech-python): its decoder on the
recorded frames, its own serial client on the simulator, and `appliance decode --text-file` of a captured line.

pylontech 0.1.3 reports current + = charging (the wire's sign); the appliance's readings say + = discharging.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pylontech.pylontech_base import PylontechRS485
from pylontech.pylontech_decode import PylontechDecode
from pylontech.pylontech_encode import PylontechEncode

from appliance.drivers.pylontech_rs485 import PylontechRs485Driver
from appliance.drivers.transports.stream import SerialStream
from appliance.sim.pylontech_rs485 import PylontechRs485Sim
from appliance.sim.serial_gateway import SerialTcpGateway

VECTORS = {v["name"]: v for v in json.loads((Path(__file__).parent / "vectors" / "bms.json").read_text())}
ANALOG = ["pylon_0x42_single_us2000c", "pylon_0x42_single_up2500_udi4"]
STATES = {0: "Ok", 1: "BelowLimit", 2: "AboveLimit"}


def theirs(frame: str, decoder: str) -> dict[str, Any]:
    """pylontech 0.1.3's decode of one `~...\\r` reply (its decoder takes the frame without `~` and `\\r`)."""
    decode = PylontechDecode()
    decode.decode_header(frame.strip().lstrip("~").encode("ascii"))
    return dict(getattr(decode, decoder)())


def compare_analog(ours: dict[str, Any], oracle: dict[str, Any]) -> int:
    """Every analog field pylontech 0.1.3 reports, against the appliance's unit; returns the count."""
    pairs = [(ours["cell_voltages_v"], oracle["CellVoltages"]),
             ([ours["bms_temperature_c"], *ours["cell_temperatures_c"]], oracle["Temperatures"]),
             (ours["current_a"], -oracle["Current"]), (ours["voltage_v"], oracle["Voltage"]),
             (ours["remaining_ah"], oracle["RemainCapacity"]), (ours["full_ah"], oracle["ModuleTotalCapacity"]),
             (ours["cycles"], oracle["CycleNumber"])]
    for mine, other in pairs:
        assert mine == pytest.approx(other)
    return len(oracle["CellVoltages"]) + len(oracle["Temperatures"]) + 5


@pytest.mark.parametrize("name", ANALOG)
def test_analog_replies_agree_with_pylontech(name: str) -> None:
    frame = VECTORS[name]["ascii"]
    unit = PylontechRs485Driver.decode(text=frame).values["batteries"][0]
    assert compare_analog(unit, theirs(frame, "decodeAnalogValue")) >= 18


def test_alarm_management_and_serial_replies_agree_with_pylontech() -> None:
    alarm = PylontechRs485Driver.decode(text=VECTORS["pylon_0x44_alarm"]["ascii"]).details["alarm_modules"][0]
    oracle = theirs(VECTORS["pylon_0x44_alarm"]["ascii"], "decodeAlarmInfo")
    assert [STATES.get(s, "OtherError") for s in alarm["cell_states"]] == oracle["CellAlarm"]
    assert [STATES.get(s, "OtherError") for s in alarm["temp_states"]] == oracle["TemperatureAlarm"]
    assert alarm["status"] == [oracle[f"Status{i}"] for i in range(1, 6)]
    limits = PylontechRs485Driver.decode(text=VECTORS["pylon_0x92_mgmt"]["ascii"]).details
    oracle = theirs(VECTORS["pylon_0x92_mgmt"]["ascii"], "decodeChargeDischargeManagementInfo")
    assert (limits["charge_voltage_limit_v"], limits["discharge_voltage_limit_v"]) == (
        oracle["ChargeVoltage"], oracle["DischargeVoltage"])
    assert (limits["charge_current_limit_a"], limits["discharge_current_limit_a"]) == (
        oracle["ChargeCurrent"], oracle["DischargeCurrent"])
    assert (limits["charge_enabled"], limits["discharge_enabled"], limits["full_charge_request"]) == (
        oracle["StatusChargeEnable"], oracle["StatusDischargeEnable"], oracle["StatusFullChargeRequired"])
    serial = PylontechRs485Driver.decode(text=VECTORS["pylon_0x93_serial"]["ascii"]).details["serial_number"]
    assert serial == theirs(VECTORS["pylon_0x93_serial"]["ascii"], "decodeSerialNumber")["ModuleSerialNumber"]


def test_decode_text_file_of_a_line_copied_from_a_serial_monitor(tmp_path: Path) -> None:
    # The source's stated values (martiby/ess pylontech.py): 15 cells 3.224-3.228 V, 20.1/17.0/17.2/16.8/18.4 C,
    # 0.0 A, 48.39 V, 6.415 of 50 Ah, 132 cycles. A monitor shows the request line before the reply.
    reply = VECTORS["pylon_0x42_single_us2000c"]["ascii"].rstrip("\r")
    capture = tmp_path / "capture.txt"
    capture.write_text(f"12:00:01.120 TX ~20024642E00202FD33<CR>\n12:00:01.180 RX {reply}<CR>\n")
    result = subprocess.run([sys.executable, "-m", "appliance.cli", "decode", "--adapter", "pylontech_rs485",
                             "--text-file", str(capture)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    unit = json.loads(result.stdout)["batteries"][0]
    assert (unit["voltage_v"], unit["current_a"], unit["remaining_ah"], unit["full_ah"], unit["cycles"]) == (
        48.39, 0.0, 6.415, 50.0, 132)
    assert (min(unit["cell_voltages_v"]), max(unit["cell_voltages_v"])) == (3.224, 3.228)
    assert [unit["bms_temperature_c"], *unit["cell_temperatures_c"]] == [20.1, 17.0, 17.2, 16.8, 18.4]
    compare_analog(unit, theirs(reply, "decodeAnalogValue"))
    plain = tmp_path / "plain.txt"
    plain.write_text(reply)  # the bare line, no CR at all
    again = subprocess.run([sys.executable, "-m", "appliance.cli", "decode", "--adapter", "pylontech_rs485",
                            "--text-file", str(plain)], capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and json.loads(again.stdout) == json.loads(result.stdout)


@pytest.mark.parametrize("text, says", [("~20024642E00202FD33\n", "no pack reply"), ("hello\n", "no `~` frame"),
                                        ("~20024600C06E10020F0C9A\n", "bad checksum")])
def test_a_capture_without_one_good_reply_is_one_clear_error(tmp_path: Path, text: str, says: str) -> None:
    capture = tmp_path / "capture.txt"
    capture.write_text(text)
    result = subprocess.run([sys.executable, "-m", "appliance.cli", "decode", "--adapter", "pylontech_rs485",
                             "--text-file", str(capture)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and says in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_pylontechs_own_client_reads_the_simulator() -> None:
    # pylontech 0.1.3 drives RTS for an RS485 transmitter, which a pty lacks: it reaches the simulated bus
    # through a transparent TCP gateway (socket://), as it would through an installer's RS485 gateway.
    sim = PylontechRs485Sim().start()
    gateway = SerialTcpGateway(sim.path).start()
    client = PylontechRS485(device=gateway.url, baud=115200)
    encode = PylontechEncode()
    try:
        oracle = []
        for battery in range(2):
            client.send(encode.getAnalogValue(battery))
            raw = client.receive(2)[0].decode("ascii")
            oracle.append(theirs(raw, "decodeAnalogValue"))
        client.send(encode.getSerialNumber(0))
        serial = theirs(client.receive(2)[0].decode("ascii"), "decodeSerialNumber")["ModuleSerialNumber"]
    finally:
        client.close()
        gateway.stop()
    link = SerialStream(sim.path, baudrate=115200)
    try:
        driver = PylontechRs485Driver({"serial_port": sim.path, "batteries": 2, "timeout_s": 2}, link)
        units = driver.read().values["batteries"]
        assert driver.identify().serial_number == serial
    finally:
        link.close()
        sim.stop()
    assert sum(compare_analog(unit, other) for unit, other in zip(units, oracle)) == 2 * (15 + 5 + 5)
