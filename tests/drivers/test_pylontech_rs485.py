"""The Pylontech RS485 (V3.3 ASCII-hex) driver: recorded frames, checksums, the simulator over a pty, fuzzing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from appliance.drivers.base import Reading, decode_with
from appliance.drivers.pylontech_frames import (
    CMD_ALARM, CMD_ANALOG, CMD_MANUFACTURER, CMD_SERIAL, build_frame, check_reply, length_field, parse_frame,
    request,
)
from appliance.drivers.pylontech_rs485 import PylontechRs485Driver
from appliance.drivers.transports.stream import SerialStream
from appliance.errors import DecodeError, TransportError
from appliance.sim.pylontech_console import PylontechConsoleSim
from appliance.sim.pylontech_rs485 import PylontechRs485Sim

VECTORS = {v["name"]: v for v in json.loads((Path(__file__).parent / "vectors" / "bms.json").read_text())
           if v["protocol"] == "pylontech_rs485_ascii"}


def decode(name: str) -> dict:
    return PylontechRs485Driver.decode(VECTORS[name]["ascii"].encode("ascii")).to_json()


def test_every_rs485_vector_has_a_test() -> None:
    assert set(VECTORS) == {"pylon_0x42_single_us2000c", "pylon_0x42_all_3x_us2000", "pylon_0x42_single_up2500_udi4",
                            "pylon_0x42_mixed_us3000_us2000", "pylon_0x44_alarm", "pylon_0x93_serial",
                            "pylon_0x51_manufacturer", "pylon_0x92_mgmt", "pylon_requests"}


def test_length_field_example_from_the_fact_sheet() -> None:
    assert length_field(0x012) == "D012"
    assert length_field(0) == "0000"


@pytest.mark.parametrize("name, frame", sorted(VECTORS["pylon_requests"]["frames"].items()))
def test_requests_match_the_recorded_strings(name: str, frame: str) -> None:
    command = int(name[2:4], 16)
    if command in (0x4F, 0x47):
        built = build_frame(2, command)
    else:
        built = request(2, command, 0xFF if "FF" in name else None)
    assert built == frame.encode("ascii")


def test_single_us2000c_analog() -> None:
    r = decode("pylon_0x42_single_us2000c")
    assert r["cell_voltages_v"] == [v / 1000 for v in (3226, 3224, 3225, 3224, 3226, 3226, 3225, 3227, 3228, 3226,
                                                        3227, 3227, 3227, 3227, 3225)]
    pack = r["batteries"][0]
    assert pack["bms_temperature_c"] == 20.1 and pack["cell_temperatures_c"] == [17.0, 17.2, 16.8, 18.4]
    assert (r["current_a"], r["voltage_v"], r["remaining_ah"], r["full_ah"], r["cycles"]) == (
        0.0, 48.39, 6.415, 50.0, 132)
    assert r["soc_pct"] == pytest.approx(12.83, abs=0.05)  # the source rounds to 13


def test_three_pack_ff_reply() -> None:
    r = decode("pylon_0x42_all_3x_us2000")
    packs = r["batteries"]
    assert len(packs) == 3
    # On the wire -2.6 A means discharging; the vocabulary counts discharge as positive.
    assert [p["current_a"] for p in packs] == [2.6, 2.5, 2.7]
    assert [p["voltage_v"] for p in packs] == [49.545, 49.52, 49.504]
    assert packs[0]["cycles"] == 31 and packs[0]["bms_temperature_c"] == 23.0
    assert packs[0]["remaining_ah"] == 33.5 and packs[0]["full_ah"] == 50.0 and packs[0]["soc_pct"] == 67.0
    assert (min(packs[0]["cell_voltages_v"]), max(packs[0]["cell_voltages_v"])) == (3.301, 3.306)
    assert r["current_a"] == pytest.approx(7.8) and r["soc_pct"] == 67.0


def test_udi4_large_pack_capacities() -> None:
    r = decode("pylon_0x42_single_up2500_udi4")
    assert len(r["cell_voltages_v"]) == 8
    assert (r["current_a"], r["voltage_v"], r["cycles"]) == (0.6, 26.638, 0)
    assert (r["remaining_ah"], r["full_ah"], r["soc_pct"]) == (95.46, 111.0, 86.0)


def test_mixed_us3000_us2000() -> None:
    packs = decode("pylon_0x42_mixed_us3000_us2000")["batteries"]
    assert [(p["current_a"], p["voltage_v"], p["cycles"], p["remaining_ah"], p["full_ah"]) for p in packs] == [
        (6.1, 49.149, 564, 32.56, 74.0), (4.7, 49.125, 658, 24.5, 50.0)]


def test_alarm_reply_with_the_extra_trailing_byte() -> None:
    r = decode("pylon_0x44_alarm")
    assert r["alarms"] == [] and r["charge_enabled"] and r["discharge_enabled"]
    assert r["details"]["alarm_modules"][0]["status"] == [0, 0x0E, 0, 0, 0]


def test_serial_manufacturer_and_management() -> None:
    assert decode("pylon_0x93_serial")["details"]["serial_number"] == "HPTCR03171112590"
    maker = decode("pylon_0x51_manufacturer")["details"]
    assert (maker["model"], maker["software_version"], maker["manufacturer"]) == ("US2000C", "1.7", "Pylon")
    limits = decode("pylon_0x92_mgmt")
    assert (limits["charge_enabled"], limits["discharge_enabled"]) == (True, True)
    d = limits["details"]
    assert (d["charge_voltage_limit_v"], d["discharge_voltage_limit_v"]) == (28.4, 23.2)
    assert (d["charge_current_limit_a"], d["discharge_current_limit_a"]) == (55.5, -55.5)


def test_alarm_bits_are_named() -> None:
    info = bytes([0x10, 2, 2, 0, 2, 1, 0, 0, 0, 0x02, 0x81, 0x0E, 0x40, 0, 0])
    r = PylontechRs485Driver.decode(build_frame(2, 0, info)).values
    assert {"cell_voltage_high", "discharge_current_high", "pack_undervoltage", "pack_overvoltage"} <= set(r["alarms"])


def test_implausible_cell_voltage_and_soc_become_alarms() -> None:
    module = bytes([1]) + (6000).to_bytes(2, "big") + bytes([0]) + (0).to_bytes(2, "big") + (3300).to_bytes(2, "big")
    module += (60000).to_bytes(2, "big") + b"\x02" + (50000).to_bytes(2, "big") + (1).to_bytes(2, "big")
    r = PylontechRs485Driver.decode(build_frame(2, 0, b"\x10\x02" + module)).values
    assert {"implausible_cell_voltage", "implausible_soc"} <= set(r["alarms"])
    assert "soc_pct" not in r and r["cell_voltages_v"] == [None]


@pytest.mark.parametrize("mangle, message", [
    (lambda f: f[:-5] + b"0000\r", "bad checksum"),
    (lambda f: f[:9] + b"F" + f[10:], "checksum|LCHKSUM"),
    (lambda f: f[:40] + b"\r", "checksum|short"),
    (lambda f: f.replace(b"0C", b"0G", 1), "hex"),
    (lambda f: b"20024600", "`~`"),
])
def test_damaged_frames_are_decode_errors(mangle, message: str) -> None:
    frame = VECTORS["pylon_0x42_single_us2000c"]["ascii"].encode("ascii")
    with pytest.raises(DecodeError, match=message):
        PylontechRs485Driver.decode(mangle(frame))


def test_lchksum_is_checked_even_when_chksum_matches() -> None:
    good = build_frame(2, 0, b"\x01\x02")
    assert good[9:13] == b"C004"
    body = good[1:-5].replace(b"C004", b"1004")
    forged = b"~" + body + f"{(~sum(body) + 1) & 0xFFFF:04X}".encode() + b"\r"
    with pytest.raises(DecodeError, match="LCHKSUM"):
        parse_frame(forged)


@pytest.mark.parametrize("rtn, error", [(0x02, TransportError), (0x03, TransportError), (0x90, TransportError),
                                        (0x04, DecodeError), (0x06, DecodeError), (0x77, DecodeError)])
def test_rtn_codes_raise_with_their_names(rtn: int, error) -> None:
    with pytest.raises(error, match=f"RTN {rtn:02X}"):
        check_reply(parse_frame(build_frame(2, rtn)))


def test_decode_entry_point_takes_hex_only() -> None:
    frame = VECTORS["pylon_0x42_single_us2000c"]["ascii"].encode("ascii")
    assert decode_with(PylontechRs485Driver, frame=frame).values["cycles"] == 132


@settings(deadline=None, max_examples=200)
@given(st.binary(max_size=400))
def test_fuzz_any_bytes(data: bytes) -> None:
    try:
        assert isinstance(PylontechRs485Driver.decode(data), Reading)
    except DecodeError:
        pass


@settings(deadline=None, max_examples=200)
@given(st.binary(max_size=200), st.integers(0, 255))
def test_fuzz_valid_frames_with_any_info(info: bytes, rtn: int) -> None:
    try:
        assert isinstance(PylontechRs485Driver.decode(build_frame(2, rtn, info)), Reading)
    except (DecodeError, TransportError) as exc:
        assert rtn or isinstance(exc, DecodeError)


# -- the driver over the simulator on a real pty -------------------------------------------------

def driver_for(sim, **config) -> tuple[PylontechRs485Driver, SerialStream]:
    link = SerialStream(sim.path, baudrate=115200)
    return PylontechRs485Driver({"serial_port": sim.path, "timeout_s": 1.0, **config}, link), link


def test_identify_and_read_two_packs() -> None:
    with PylontechRs485Sim() as sim:
        driver, link = driver_for(sim, batteries=2, read_limits=True)
        try:
            ident = driver.identify()
            r = driver.read().to_json()
        finally:
            link.close()
    assert (ident.model, ident.serial_number) == ("US3000C", "HPTBR01234567891")
    assert [p["address"] for p in r["batteries"]] == [2, 3]
    assert r["batteries"][0]["current_a"] == 4.2 and r["batteries"][0]["soc_pct"] == 52.0
    assert r["batteries"][1]["cell_voltages_v"][2] == 3.306
    assert r["current_a"] == pytest.approx(8.2) and r["charge_enabled"] is True
    assert r["batteries"][0]["status"] == "dischg" and r["details"]["limits"]["charge_current_limit_a"] == 74.0


def test_large_pack_from_a_values_source_uses_udi4() -> None:
    def values() -> dict:
        return {"voltage_v": 51.2, "current_a": -20.0, "soc_pct": 90.0, "full_ah": 100.0, "cycles": 3,
                "cell_voltages_v": [3.2] * 16}

    with PylontechRs485Sim(values) as sim:
        driver, link = driver_for(sim)
        try:
            r = driver.read().values
        finally:
            link.close()
    assert (r["full_ah"], r["remaining_ah"], r["soc_pct"], r["current_a"]) == (100.0, 90.0, 90.0, -20.0)


def test_a_missing_pack_times_out() -> None:
    with PylontechRs485Sim() as sim:
        driver, link = driver_for(sim, address=9, timeout_s=0.3)
        try:
            with pytest.raises(TransportError):
                driver.read()
        finally:
            link.close()


@pytest.mark.parametrize("fault, error", [("timeout", TransportError), ("bad_checksum", DecodeError),
                                          ("truncated", DecodeError), ("disconnect", TransportError),
                                          ("garbage", (DecodeError, TransportError))])
def test_faults_raise_and_never_hang(fault: str, error) -> None:
    with PylontechRs485Sim(fault=fault) as sim:
        driver, link = driver_for(sim, timeout_s=0.5)
        try:
            with pytest.raises(error):
                driver.read()
        finally:
            link.close()


def test_identify_rejects_the_console_simulator() -> None:
    with PylontechConsoleSim() as sim:
        driver, link = driver_for(sim, timeout_s=0.5)
        try:
            with pytest.raises((TransportError, DecodeError)):
                driver.identify()
        finally:
            link.close()


def test_exchange_checks_the_reply_address() -> None:
    with PylontechRs485Sim() as sim:
        driver, link = driver_for(sim)
        try:
            assert driver.exchange(3, CMD_SERIAL).adr == 3
            assert driver.exchange(2, CMD_MANUFACTURER).info.startswith(b"US3000C")
            assert driver.exchange(2, CMD_ANALOG).info[1] == 2 and driver.exchange(2, CMD_ALARM).info[0] == 0x10
        finally:
            link.close()
