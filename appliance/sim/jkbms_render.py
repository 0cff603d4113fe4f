"""Renders battery-vocabulary values into JK frames (JK02, JK04, device info, settings, legacy 4E 57) for the sims."""

from __future__ import annotations

import struct
from typing import Any, Callable, Mapping

from appliance.drivers import jk_frames, jk_legacy
from appliance.drivers.jk_frames import ABSENT_TEMPERATURE, CELL_SENSORS, HEADER, JK02_24S, JK02_32S, JK04, LAYOUTS

Values = Mapping[str, Any]
ValuesSource = Callable[[], Values]

DEFAULT_VALUES: dict[str, Any] = {
    "cell_voltages_v": [3.301, 3.305, 3.298, 3.302, 3.304, 3.300, 3.303, 3.299,
                        3.302, 3.301, 3.306, 3.300, 3.302, 3.303, 3.301, 3.304],
    "current_a": -5.25, "soc_pct": 64, "soh_pct": 98, "remaining_ah": 179.2, "full_ah": 280.0, "cycles": 42,
    "cell_temperatures_c": [21.5, 22.0], "mos_temperature_c": 24.0, "balancing": False,
    "charge_enabled": True, "discharge_enabled": True, "alarms": [],
    "serial_number": "SIM00000001", "uptime_s": 123456,
}
#: What each frame variant's device-info frame says when the values name no model or firmware: the units
#: of syssi/esphome-jk-bms@2fa4323 tests/components/jk_bms_ble/frames_jk02_32s_v19.h, frames_jk02_24s_v10.h
#: and jk_bms_ble.cpp's JK04 example (a 24S frame layout comes from firmware below 11, a 32S one from 11 on).
FIRMWARE = {JK02_32S: {"model": "JK-PB2A16S20P", "hardware_version": "19A", "software_version": "19.27"},
            JK02_24S: {"model": "JK-B2A24S20P", "hardware_version": "10.XG", "software_version": "10.07"},
            JK04: {"model": "JK-B2A16S", "hardware_version": "3.0", "software_version": "3.3.0"}}
#: A legacy 4E 57 unit: the mpp-solar capture in fl4p/batmon-ha@10bb733 bmslib/test/data/jk_uart_fixtures.py.
LEGACY_FIRMWARE = {"model": "JK_B1A20S15P", "hardware_version": "11.XW", "software_version": "11.261"}


def default_values() -> dict[str, Any]:
    """A static, plausible snapshot of a 16-cell LFP pack, charging at 5.25 A."""
    return dict(DEFAULT_VALUES)


def _voltage(values: Values) -> float:
    return float(values.get("voltage_v") or sum(values["cell_voltages_v"]))


def _put(buf: bytearray, at: int, value: int, size: int, signed: bool = False) -> None:
    buf[at:at + size] = int(value).to_bytes(size, "little", signed=signed)


def _text(buf: bytearray, at: int, size: int, text: str | None) -> None:
    raw = (text or "").encode("ascii", "replace")[:size]
    buf[at:at + size] = raw.ljust(size, b"\x00")


def cell_info_frame(values: Values, variant: str = JK02_32S, counter: int = 0) -> bytes:
    """A type 0x02 frame carrying `values` (+ current = discharging, written with the wire's opposite sign)."""
    if variant == JK04:
        return jk04_frame(values, counter)
    lay = LAYOUTS[variant]
    body = bytearray(299)
    body[0:4], body[4], body[5] = HEADER, jk_frames.TYPE_CELL_INFO, counter & 0xFF
    cells = list(values["cell_voltages_v"])[:lay.cells]
    mv = [round(v * 1000) for v in cells]
    for i, cell in enumerate(mv):
        _put(body, 6 + 2 * i, cell, 2)
    _put(body, lay.mask, (1 << len(mv)) - 1, 4)
    delta_at = lay.mask + 4
    if mv:
        _put(body, delta_at, sum(mv) // len(mv), 2)
        _put(body, delta_at + 2, max(mv) - min(mv), 2)
        body[delta_at + 4], body[delta_at + 5] = mv.index(max(mv)), mv.index(min(mv))
    _put(body, lay.voltage, round(_voltage(values) * 1000), 4)
    _put(body, lay.current, round(-float(values.get("current_a", 0.0)) * 1000), 4, signed=True)
    _temperatures(body, lay, values)
    bits = {name: bit for bit, name in jk_frames.ERROR_BITS.items()}
    mask = sum(1 << bits[a] for a in values.get("alarms", []) if a in bits)
    _put(body, lay.errors, mask, lay.errors_size)
    balancing = bool(values.get("balancing"))
    _put(body, lay.balance_current, 150 if balancing else 0, 2, signed=True)
    body[lay.balancer] = 1 if balancing else 0
    body[lay.soc] = int(values.get("soc_pct", 0))
    _put(body, lay.remaining, round(float(values.get("remaining_ah", 0)) * 1000), 4)
    _put(body, lay.full, round(float(values.get("full_ah", 0)) * 1000), 4)
    _put(body, lay.cycles, int(values.get("cycles", 0)), 4)
    body[lay.soh] = int(values.get("soh_pct", 100))
    _put(body, lay.uptime, int(values.get("uptime_s", 0)), 4)
    body[lay.charge_fet] = 1 if values.get("charge_enabled", True) else 0
    body[lay.discharge_fet] = 1 if values.get("discharge_enabled", True) else 0
    if variant == JK02_32S:
        # The marker the variant auto-detection reads (fact sheet: byte 287 = 0xFE on 32S).
        body[286:290] = b"\x00\xfe\xff\x7f"
    return jk_frames.finish_frame(bytes(body))


def _temperatures(body: bytearray, lay: Any, values: Values) -> None:
    """Each sensor's temperature and its presence bit; a None (or missing T3-T5) is a sensor not fitted."""
    cell = list(values.get("cell_temperatures_c") or [])
    given: dict[str, Any] = {name: cell[i] if i < len(cell) else None for i, name in enumerate(CELL_SENSORS)}
    given["mos"] = values.get("mos_temperature_c", 25.0)
    given.update({name: values.get(f"{name}_temperature_c") for name in ("t3", "t4", "t5")})
    present = 0
    for bit, offset, name in lay.sensors:
        celsius = given.get(name)
        present |= (celsius is not None) << bit
        _put(body, offset, ABSENT_TEMPERATURE if celsius is None else round(float(celsius) * 10), 2, signed=True)
    _put(body, lay.sensor_mask, present, 2)


def jk04_frame(values: Values, counter: int = 0) -> bytes:
    """A JK04 type 0x02 frame: float32 cells, balancing flag and uptime."""
    body = bytearray(299)
    body[0:4], body[4], body[5] = HEADER, jk_frames.TYPE_CELL_INFO, counter & 0xFF
    for i, volts in enumerate(list(values["cell_voltages_v"])[:24]):
        struct.pack_into("<f", body, 6 + 4 * i, float(volts))
        struct.pack_into("<f", body, 102 + 4 * i, 0.12)
    body[220] = 1 if values.get("balancing") else 0
    struct.pack_into("<f", body, 222, 0.5 if values.get("balancing") else 0.0)
    _put(body, 286, int(values.get("uptime_s", 0)), 4)
    return jk_frames.finish_frame(bytes(body))


def device_info_frame(values: Values, counter: int = 0, variant: str = JK02_32S) -> bytes:
    """A type 0x03 frame with model, versions (consistent with the cell frames' variant) and serial number."""
    body = bytearray(299)
    body[0:4], body[4], body[5] = HEADER, jk_frames.TYPE_DEVICE_INFO, counter & 0xFF
    identity = {**FIRMWARE[variant], **{k: values[k] for k in FIRMWARE[variant] if values.get(k)}}
    _text(body, 6, 16, identity["model"])
    _text(body, 22, 8, identity["hardware_version"])
    _text(body, 30, 8, identity["software_version"])
    _put(body, 38, int(values.get("uptime_s", 0)), 4)
    _put(body, 42, 3, 4)
    _text(body, 46, 16, values.get("device_name", identity["model"]))
    _text(body, 62, 16, "1234")
    _text(body, 78, 8, "240101")
    _text(body, 86, 16, (values.get("serial_number") or "")[:15])  # NUL-terminated 16-byte field
    body[287] = 0x00 if variant == JK02_24S else 0xFE
    return jk_frames.finish_frame(bytes(body))


def settings_frame(values: Values, counter: int = 0, rs485_address: int = 1) -> bytes:
    """A type 0x01 frame with cell count, switches, nominal capacity and RS485 address."""
    body = bytearray(299)
    body[0:4], body[4], body[5] = HEADER, jk_frames.TYPE_SETTINGS, counter & 0xFF
    _put(body, 114, len(values["cell_voltages_v"]), 4)
    body[118] = 1 if values.get("charge_enabled", True) else 0
    body[122] = 1 if values.get("discharge_enabled", True) else 0
    body[126] = 1
    _put(body, 130, round(float(values.get("full_ah", 0)) * 1000), 4)
    body[270] = rs485_address & 0xFF
    return jk_frames.finish_frame(bytes(body))


def _legacy_temp(celsius: float) -> int:
    return int(round(celsius)) if celsius >= 0 else 100 + int(round(-celsius))


def legacy_frame(values: Values) -> bytes:
    """A legacy 4E 57 read-all reply (protocol version 1: bit 15 of 0x84 = charging)."""
    cells = [round(v * 1000) for v in values["cell_voltages_v"]]
    temps = [t for t in values.get("cell_temperatures_c") or [] if t is not None] + [25.0, 25.0]
    wire_current = -float(values.get("current_a", 0.0))
    current = round(abs(wire_current) * 100) & 0x7FFF | (0x8000 if wire_current > 0 else 0)
    status = (1 if values.get("charge_enabled", True) else 0) | (2 if values.get("discharge_enabled", True) else 0)
    status |= 4 if values.get("balancing") else 0
    bits = {name: bit for bit, name in jk_legacy.WARNING_BITS.items()}
    warnings = sum(1 << bits[a] for a in values.get("alarms", []) if a in bits)
    identity = {**LEGACY_FIRMWARE, **{k: values[k] for k in LEGACY_FIRMWARE if values.get(k)}}
    version = f"H{identity['hardware_version']}_S{identity['software_version']}_"
    payload = bytes([0x79, 3 * len(cells)]) + b"".join(bytes([i + 1]) + mv.to_bytes(2, "big")
                                                          for i, mv in enumerate(cells))
    fields = [(0x80, _legacy_temp(float(values.get("mos_temperature_c", 25.0))), 2), (0x81, _legacy_temp(temps[0]), 2),
              (0x82, _legacy_temp(temps[1]), 2), (0x83, round(_voltage(values) * 100), 2), (0x84, current, 2),
              (0x85, int(values.get("soc_pct", 0)), 1), (0x86, 2, 1), (0x87, int(values.get("cycles", 0)), 2),
              (0x8A, len(cells), 2), (0x8B, warnings, 2), (0x8C, status, 2),
              (0xAA, round(float(values.get("full_ah", 0))), 4)]
    for tag, value, size in fields:
        payload += bytes([tag]) + int(value).to_bytes(size, "big")
    payload += b"\xB7" + version.encode("ascii")[:15].ljust(15, b"_")
    # Tag 0xBA is the unit's unique id; real units embed the model name, so render serial + model.
    ident = f"{values.get('serial_number', '')}{identity['model']}"
    payload += b"\xBA" + ident.encode("ascii")[:24].ljust(24, b"\x00") + b"\xC0\x01"
    return jk_legacy.build_frame(payload)
