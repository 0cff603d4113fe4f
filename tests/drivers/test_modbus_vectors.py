"""Every Modbus vector of vectors/modbus.json for the Deye/Powdrive, Senergy and Acuvim II families."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.drivers.acuvim2 import AcuvimDriver
from appliance.drivers.base import decode_with
from appliance.drivers.modbus.codec import hhmm_decimal, hhmm_packed, join32, signed
from appliance.drivers.powdrive import PowdriveDriver, identity_of

VECTORS = {v["name"]: v for v in json.loads((Path(__file__).parent / "vectors" / "modbus.json").read_text())}
MINE = {"modbus_deye", "modbus_senergy", "modbus_acuvim2"}


def test_every_vector_of_these_families_is_covered() -> None:
    names = {name for name, vector in VECTORS.items() if vector["protocol"] in MINE}
    assert names == {"deye_temperature_offset", "deye_u32_lw_first", "deye_identity", "deye_tou_time",
                     "senergy_tou_time", "acuvim2_float_block", "acuvim2_energy_int32"}


def test_deye_temperature_offset() -> None:
    vector = VECTORS["deye_temperature_offset"]
    reading = decode_with(PowdriveDriver, registers={int(k): v for k, v in vector["registers"].items()})
    assert reading.details["dc_transformer_temp_c"] == vector["expect"]["dc_transformer_temp_c"]


@pytest.mark.parametrize("words,expected", VECTORS["deye_u32_lw_first"]["words_lw_first"])
def test_deye_u32_lw_first(words: list[int], expected: int) -> None:
    assert signed(join32(words[0], words[1], "lw_first"), 32) == expected


def test_deye_s16() -> None:
    assert signed(0x8000, 16) == -32768


def test_deye_32bit_through_the_map() -> None:
    # battery charge total (516/517, LW-first, 0.1 kWh): words (0xFFFF, 0x7FFF) -> 2147483647 * 0.1
    reading = PowdriveDriver.decode({516: 0xFFFF, 517: 0x7FFF})
    assert reading.values["battery_charge_total_kwh"] == pytest.approx(214748364.7)


def test_deye_identity() -> None:
    expect = VECTORS["deye_identity"]["expect"]
    serial = "ABCDE12345"
    registers = {0: 3, 1: 0, 2: 0x0102}
    registers.update({3 + i: (ord(serial[2 * i]) << 8) | ord(serial[2 * i + 1]) for i in range(5)})
    values = identity_of(registers)
    assert values["device_type"] == expect["device_type"]
    assert values["protocol_version"] == expect["protocol"]
    assert values["serial_number"] == expect["serial"]


@pytest.mark.parametrize("raw,text", VECTORS["deye_tou_time"]["pairs"])
def test_deye_tou_time(raw: int, text: str) -> None:
    assert hhmm_decimal(raw) == text


@pytest.mark.parametrize("raw,text", VECTORS["senergy_tou_time"]["pairs"])
def test_senergy_tou_time(raw: int, text: str) -> None:
    assert hhmm_packed(raw) == text


def _hex_registers(vector: dict) -> dict[int, int]:
    return {int(k): int(v, 16) for k, v in vector["registers_hex"].items()}


def test_acuvim2_float_block() -> None:
    vector = VECTORS["acuvim2_float_block"]
    reading = decode_with(AcuvimDriver, registers=_hex_registers(vector))
    assert reading.values["frequency_hz"] == vector["expect"]["frequency_hz"]
    assert reading.values["voltages_v"][0] == vector["expect"]["voltage_v1"]
    assert reading.values["voltages_v"][1] == vector["expect"]["voltage_v2"]


def test_acuvim2_energy_int32() -> None:
    vector = VECTORS["acuvim2_energy_int32"]
    reading = decode_with(AcuvimDriver, registers=_hex_registers(vector))
    assert reading.values["import_energy_kwh"] == pytest.approx(vector["expect"]["energy_imported_kwh"])
