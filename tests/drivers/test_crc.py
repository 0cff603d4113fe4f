"""The appliance's one CRC-16/MODBUS against the CRC catalogue, captured frames and pymodbus's own CRC."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pymodbus.framer import FramerRTU

from appliance.drivers.crc import crc16_modbus, crc_ok, with_crc


def test_catalogue_check_value() -> None:
    # Greg Cook's CRC catalogue (reveng), CRC-16/MODBUS: width 16, poly 0x8005 reflected, init 0xFFFF, check 0x4B37.
    assert crc16_modbus(b"123456789") == 0x4B37


def test_frames_captured_from_a_jk_pb_bus() -> None:
    # syssi/esphome-jk-bms issue #442: the master's trigger and the pack's acknowledgement, as sent on RS485.
    assert with_crc(bytes.fromhex("011016200001020000")).hex() == "011016200001020000d6f1"
    assert crc_ok(bytes.fromhex("011016200001044b")) and not crc_ok(bytes.fromhex("011016200001044c"))


@given(st.binary(max_size=300))
def test_agrees_with_pymodbus_on_any_bytes(data: bytes) -> None:
    # pymodbus 3.16.1 returns the two CRC bytes in wire order as one big-endian number.
    assert crc16_modbus(data).to_bytes(2, "little") == FramerRTU.compute_CRC(data).to_bytes(2, "big")
