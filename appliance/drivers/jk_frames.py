"""JK BMS `55 AA EB 90` frames (JK02_24S, JK02_32S, JK04), the BLE command and the JK-PB Modbus trigger.

Pure functions over bytes; facts and offsets from /work/shared/protocols/bms.md sections 3 and 4a.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from appliance.drivers.base import Reading
from appliance.drivers.crc import crc_ok, with_crc
from appliance.errors import DecodeError
from appliance.jsontypes import Json

HEADER = b"\x55\xAA\xEB\x90"
FRAME_LEN = 300
#: Some firmwares pad frames to 320 bytes; the checksum stays at byte 299.
MAX_FRAME_LEN = 320
TYPE_SETTINGS, TYPE_CELL_INFO, TYPE_DEVICE_INFO = 0x01, 0x02, 0x03
FRAME_TYPES = (TYPE_SETTINGS, TYPE_CELL_INFO, TYPE_DEVICE_INFO)
JK02_24S, JK02_32S, JK04 = "JK02_24S", "JK02_32S", "JK04"
VARIANTS = (JK02_24S, JK02_32S, JK04)
CMD_DEVICE_INFO, CMD_CELL_INFO = 0x97, 0x96
#: JK-PB trigger registers: writing 0 to one makes the pack send the frame type named.
TRIGGER_DEVICE_INFO, TRIGGER_SETTINGS, TRIGGER_CELL_INFO = 0x161C, 0x161E, 0x1620
TRIGGER_FRAME_TYPE = {TRIGGER_DEVICE_INFO: TYPE_DEVICE_INFO, TRIGGER_SETTINGS: TYPE_SETTINGS,
                      TRIGGER_CELL_INFO: TYPE_CELL_INFO}
MAX_CELL_V = 5.0

#: Error bits of the cell-info frame, numbered on the little-endian mask (fact sheet, syssi table).
ERROR_BITS = {1: "mos_overtemperature", 4: "cell_overvoltage", 5: "pack_overvoltage",
              6: "charge_overcurrent", 7: "charge_short_circuit", 8: "charge_overtemperature",
              9: "charge_undertemperature", 11: "cell_undervoltage", 12: "pack_undervoltage",
              13: "discharge_overcurrent", 14: "discharge_short_circuit", 15: "discharge_overtemperature"}
BALANCER_STATES = {0: "off", 1: "charge_balancing", 2: "discharge_balancing"}


@dataclass(frozen=True)
class Layout:
    """Offsets of one JK02 cell-info layout (the 32S layout moves groups by +16 and +32)."""

    cells: int
    mask: int
    voltage: int
    current: int
    errors: int
    errors_size: int
    balance_current: int
    balancer: int
    soc: int
    remaining: int
    full: int
    cycles: int
    soh: int
    uptime: int
    charge_fet: int
    discharge_fet: int
    #: The temperature-sensor presence mask (bit set = sensor fitted) and (bit, offset, name) per sensor.
    sensor_mask: int
    sensors: tuple[tuple[int, int, str], ...]


#: A sensor whose bit is set but whose probe is unplugged reads this raw value (-200.0 C).
ABSENT_TEMPERATURE = -2000
#: Presence bits (aiobmsble 0.24.0 jikong_bms.py `temp_sensors` at 214, -32 on 24S, bit set = fitted;
#: syssi protocol-design-ble.md "bit0=MOS, bit1-5=Sensors 1-5"; 24S bit order as aiobmsble `_temp_pos`).
_SENSORS_24S = ((0, 130, "t1"), (1, 132, "t2"), (2, 134, "mos"))
_SENSORS_32S = ((0, 144, "mos"), (1, 162, "t1"), (2, 164, "t2"), (3, 258, "t3"), (4, 256, "t4"), (5, 254, "t5"))
CELL_SENSORS = ("t1", "t2")

LAYOUTS = {
    JK02_24S: Layout(24, 54, 118, 126, 136, 2, 138, 140, 141, 142, 146, 150, 158, 162, 166, 167, 182, _SENSORS_24S),
    JK02_32S: Layout(32, 70, 150, 158, 166, 4, 170, 172, 173, 174, 178, 182, 190, 194, 198, 199, 214, _SENSORS_32S),
}


@dataclass(frozen=True)
class DeviceInfo:
    """What a type 0x03 frame says about the BMS."""

    model: str | None
    hardware_version: str | None
    software_version: str | None
    serial_number: str | None
    device_name: str | None
    manufacturing_date: str | None
    uptime_s: int
    power_on_count: int


@dataclass(frozen=True)
class Settings:
    """The few fields of a type 0x01 settings frame the appliance uses."""

    cell_count: int
    charge_switch: bool
    discharge_switch: bool
    balancer_switch: bool
    nominal_ah: float
    rs485_address: int


def sum8(data: bytes) -> int:
    """The JK sum-8 checksum: the byte sum modulo 256."""
    return sum(data) & 0xFF


def build_command(cmd: int, value: int = 0, length: int = 0, counter: int = 0) -> bytes:
    """The 20-byte BLE command `AA 55 90 EB cmd len val[4 LE] 00.. counter@16 00 00 crc@19`."""
    body = bytearray(20)
    body[0:4] = b"\xAA\x55\x90\xEB"
    body[4], body[5] = cmd & 0xFF, length & 0xFF
    body[6:10] = (value & 0xFFFFFFFF).to_bytes(4, "little")
    body[16] = counter & 0xFF
    body[19] = sum8(bytes(body[:19]))
    return bytes(body)


def build_trigger(unit_id: int, register: int) -> bytes:
    """The JK-PB Modbus RTU request (FC 0x10, one register, value 0) that makes a pack send a frame."""
    return with_crc(bytes([unit_id & 0xFF, 0x10, register >> 8, register & 0xFF, 0x00, 0x01, 0x02, 0x00, 0x00]))


def build_trigger_ack(unit_id: int, register: int) -> bytes:
    """The 8-byte FC 0x10 acknowledgement a pack sends after its frame."""
    return with_crc(bytes([unit_id & 0xFF, 0x10, register >> 8, register & 0xFF, 0x00, 0x01]))


def parse_trigger_ack(data: bytes, unit_id: int, register: int) -> None:
    """Check an FC 0x10 acknowledgement; raise DecodeError when it is not the one expected."""
    if len(data) != 8:
        raise DecodeError(f"Modbus ack is {len(data)} bytes, expected 8")
    if not crc_ok(data):
        raise DecodeError(f"bad CRC in Modbus ack {data.hex(' ')}")
    if data[1] & 0x80:
        raise DecodeError(f"Modbus exception {data[2]:#04x} from unit {data[0]}")
    if data[:6] != build_trigger_ack(unit_id, register)[:6]:
        raise DecodeError(f"unexpected Modbus ack {data.hex(' ')} for unit {unit_id} register {register:#06x}")


def check_frame(frame: bytes) -> bytes:
    """Validate header, length, type and sum-8 of a 55AA frame; return its first 300 bytes."""
    if not frame.startswith(HEADER):
        raise DecodeError(f"not a JK frame: starts with {frame[:4].hex(' ') or 'nothing'}, expected 55 aa eb 90")
    if not FRAME_LEN <= len(frame) <= MAX_FRAME_LEN:
        raise DecodeError(f"short or long JK frame: {len(frame)} bytes, expected {FRAME_LEN}")
    if frame[4] not in FRAME_TYPES:
        raise DecodeError(f"unknown JK frame type {frame[4]:#04x}")
    if sum8(frame[:299]) != frame[299]:
        raise DecodeError(f"bad checksum in JK frame: byte 299 is {frame[299]:#04x}, sum is {sum8(frame[:299]):#04x}")
    return bytes(frame[:FRAME_LEN])


def finish_frame(body: bytes) -> bytes:
    """Append the sum-8 to a 299-byte frame body (used by simulators and tests)."""
    if len(body) != 299:
        raise DecodeError(f"frame body is {len(body)} bytes, expected 299")
    return body + bytes([sum8(body)])


def _u16(b: bytes, at: int) -> int:
    return int.from_bytes(b[at:at + 2], "little")


def _i16(b: bytes, at: int) -> int:
    return int.from_bytes(b[at:at + 2], "little", signed=True)


def _u32(b: bytes, at: int) -> int:
    return int.from_bytes(b[at:at + 4], "little")


def _i32(b: bytes, at: int) -> int:
    return int.from_bytes(b[at:at + 4], "little", signed=True)


def _f32(b: bytes, at: int) -> float:
    return float(struct.unpack_from("<f", b, at)[0])


def _text(b: bytes, at: int, size: int) -> str | None:
    raw = b[at:at + size].split(b"\x00", 1)[0]
    text = "".join(ch for ch in raw.decode("ascii", "replace") if ch.isprintable() and ch != "\ufffd").strip()
    return text or None


def detect_variant(frame: bytes) -> str:
    """JK04 when bytes 6-9 read as a plausible float cell, else byte 287: 0xFE on 32S, 0x00 on 24S."""
    first = _f32(frame, 6)
    # A JK02 frame would need a second cell of ~16 V for its first four bytes to read as a 0.5-5 V float.
    if 0.5 < first < MAX_CELL_V:
        return JK04
    if frame[287] == 0x00:
        return JK02_24S
    return JK02_32S


def _check_cells(cells: list[float]) -> None:
    for index, volts in enumerate(cells, 1):
        if not math.isfinite(volts) or volts > MAX_CELL_V or volts < 0:
            raise DecodeError(f"cell {index} reads {volts:.3f} V, outside 0-{MAX_CELL_V:g} V (wrong frame variant?)")


def _cell_stats(cells: list[float]) -> Json:
    if not cells:
        return {"cell_voltages_v": []}
    low, high = min(cells), max(cells)
    return {"cell_voltages_v": cells, "cell_min_v": low, "cell_max_v": high, "cell_delta_v": round(high - low, 4)}


def cell_extremes(cells: list[float]) -> Json:
    """1-based indexes of the lowest and highest cell (computed: the frame's own indexes are unreliable)."""
    if not cells:
        return {}
    return {"cell_min_index": cells.index(min(cells)) + 1, "cell_max_index": cells.index(max(cells)) + 1}


def error_alarms(mask: int) -> list[str]:
    """Short snake_case names for the set bits of a cell-info error mask."""
    return [ERROR_BITS.get(bit, f"error_bit_{bit}") for bit in range(32) if mask >> bit & 1]


def decode_cell_info(frame: bytes, variant: str | None = None) -> Reading:
    """Decode a type 0x02 cell-info frame into a battery Reading (+ current = discharging)."""
    frame = check_frame(frame)
    if frame[4] != TYPE_CELL_INFO:
        raise DecodeError(f"JK frame type {frame[4]:#04x} is not cell info (0x02)")
    variant = variant or detect_variant(frame)
    if variant == JK04:
        return _decode_jk04(frame)
    if variant not in LAYOUTS:
        raise DecodeError(f"unknown JK frame variant {variant!r}")
    lay = LAYOUTS[variant]
    mask = _u32(frame, lay.mask) & ((1 << lay.cells) - 1)
    raw = [_u16(frame, 6 + 2 * i) for i in range(lay.cells)]
    mv = [raw[i] for i in range(lay.cells) if mask >> i & 1] if mask else [v for v in raw if v]
    cells = [v / 1000 for v in mv]
    _check_cells(cells)
    soc, soh = frame[lay.soc], frame[lay.soh]
    if soc > 100:
        raise DecodeError(f"SOC reads {soc} %, above 100 (wrong frame variant?)")
    if soh > 100:
        raise DecodeError(f"SOH reads {soh} %, above 100 (wrong frame variant?)")
    voltage = _u32(frame, lay.voltage) / 1000
    # On the wire + = charging; the vocabulary wants + = discharging. `+ 0.0` avoids -0.0.
    current = round(-_i32(frame, lay.current) / 1000, 3) + 0.0
    temps, absent = temperatures(frame, lay)
    cell_temps = [temps[name] for name in CELL_SENSORS if name in temps]
    errors = _u32(frame, lay.errors) if lay.errors_size == 4 else _u16(frame, lay.errors)
    balancer = frame[lay.balancer]
    values: Json = {
        "voltage_v": voltage, "current_a": current, "power_w": round(voltage * current, 1) + 0.0,
        "soc_pct": soc, "soh_pct": soh, "remaining_ah": _u32(frame, lay.remaining) / 1000,
        "full_ah": _u32(frame, lay.full) / 1000, "cycles": _u32(frame, lay.cycles), **_cell_stats(cells),
        "balancing": balancer != 0, "charge_enabled": frame[lay.charge_fet] == 1,
        "discharge_enabled": frame[lay.discharge_fet] == 1, "alarms": error_alarms(errors),
    }
    if cell_temps:
        # A sensor that is not fitted is left out: never 0, never -200 C pulling the average down.
        values.update(cell_temperatures_c=cell_temps, temperature_c=round(sum(cell_temps) / len(cell_temps), 1))
    details: Json = {
        "frame_variant": variant, "balance_current_a": _i16(frame, lay.balance_current) / 1000,
        "balancer_state": BALANCER_STATES.get(balancer, f"state_{balancer}"), "uptime_s": _u32(frame, lay.uptime),
        "error_bitmask": errors, "enabled_cells_mask": mask, **cell_extremes(cells),
        **{f"{name}_temperature_c": value for name, value in temps.items() if name not in CELL_SENSORS},
    }
    if absent:
        details["absent_temperature_sensors"] = absent
    return Reading("battery", values, details)


def temperatures(frame: bytes, lay: Layout) -> tuple[dict[str, float], list[str]]:
    """The fitted sensors' temperatures by name, and the names of those not fitted or unplugged.

    A zero presence mask is read as "not reported" (the MOS sensor is on the board, so a frame that
    fills the mask always sets its bit): then only the -2000 sentinel marks a sensor absent."""
    present = _u16(frame, lay.sensor_mask)
    temps: dict[str, float] = {}
    absent: list[str] = []
    for bit, offset, name in lay.sensors:
        raw = _i16(frame, offset)
        if raw == ABSENT_TEMPERATURE or (present and not present >> bit & 1):
            absent.append(name)
        else:
            temps[name] = raw / 10
    return temps, absent


def _decode_jk04(frame: bytes) -> Reading:
    floats = [_f32(frame, 6 + 4 * i) for i in range(24)]
    cells = [round(v, 4) for v in floats if v != 0.0]
    _check_cells(cells)
    balance_current = _f32(frame, 222)
    if not math.isfinite(balance_current):
        raise DecodeError("JK04 balance current is not a number")
    values: Json = {"voltage_v": round(sum(cells), 3), **_cell_stats(cells), "balancing": frame[220] != 0,
                              "alarms": []}
    details = {"frame_variant": JK04, "balance_current_a": round(balance_current, 4), "uptime_s": _u32(frame, 286),
               "cell_resistances_ohm": [round(_f32(frame, 102 + 4 * i), 4) for i in range(len(cells))],
               **cell_extremes(cells)}
    return Reading("battery", values, details)


def decode_device_info(frame: bytes) -> DeviceInfo:
    """Decode a type 0x03 device-info frame (model, versions, serial number)."""
    frame = check_frame(frame)
    if frame[4] != TYPE_DEVICE_INFO:
        raise DecodeError(f"JK frame type {frame[4]:#04x} is not device info (0x03)")
    # The serial number is a NUL-terminated field of 16 bytes at 86-101 (syssi protocol-design-ble.md):
    # firmware 19.x fills 15 characters of it (frames_jk02_32s_v19.h: 506177F49000674), older ones 10-11.
    return DeviceInfo(model=_text(frame, 6, 16), hardware_version=_text(frame, 22, 8),
                      software_version=_text(frame, 30, 8), serial_number=_text(frame, 86, 16),
                      device_name=_text(frame, 46, 16), manufacturing_date=_text(frame, 78, 8),
                      uptime_s=_u32(frame, 38), power_on_count=_u32(frame, 42))


def decode_settings(frame: bytes) -> Settings:
    """Decode the fields the appliance uses from a type 0x01 settings frame."""
    frame = check_frame(frame)
    if frame[4] != TYPE_SETTINGS:
        raise DecodeError(f"JK frame type {frame[4]:#04x} is not settings (0x01)")
    return Settings(cell_count=_u32(frame, 114), charge_switch=frame[118] == 1, discharge_switch=frame[122] == 1,
                    balancer_switch=frame[126] == 1, nominal_ah=_u32(frame, 130) / 1000, rs485_address=frame[270])


def identity_values(info: DeviceInfo) -> Json:
    """The reading vocabulary's identity fields from a device-info frame."""
    return {"model": info.model, "serial_number": info.serial_number,
            "hardware_version": info.hardware_version, "software_version": info.software_version}


def decode_frame(frame: bytes, variant: str | None = None) -> Reading:
    """Any 55AA frame as a Reading: cell info in full, device info and settings as what they carry."""
    frame = check_frame(frame)
    if frame[4] == TYPE_CELL_INFO:
        return decode_cell_info(frame, variant)
    if frame[4] == TYPE_DEVICE_INFO:
        info = decode_device_info(frame)
        return Reading("battery", identity_values(info),
                       {"device_name": info.device_name, "manufacturing_date": info.manufacturing_date,
                        "uptime_s": info.uptime_s, "power_on_count": info.power_on_count})
    settings = decode_settings(frame)
    return Reading("battery", {}, {"cell_count": settings.cell_count, "balancer_enabled": settings.balancer_switch,
                                   "nominal_ah": settings.nominal_ah, "rs485_address": settings.rs485_address})


class FrameAssembler:
    """Rebuilds 300-byte frames from chunks split anywhere, resyncing on the header and dropping junk."""

    def __init__(self, max_buffer: int = 4096) -> None:
        self._buf = bytearray()
        self.max_buffer = max_buffer
        self.dropped_bytes = 0
        self.bad_frames = 0

    def reset(self) -> None:
        """Forget buffered bytes (a new exchange starts)."""
        self._buf.clear()

    def feed(self, chunk: bytes) -> list[bytes]:
        """Add a chunk and return every complete, checksum-valid frame it finishes."""
        self._buf += chunk
        frames: list[bytes] = []
        while True:
            at = self._buf.find(HEADER)
            if at < 0:
                # Keep a possible partial header: a notification may end mid-header.
                keep = len(HEADER) - 1
                self.dropped_bytes += max(0, len(self._buf) - keep)
                del self._buf[:-keep]
                break
            self.dropped_bytes += at
            del self._buf[:at]
            if len(self._buf) < FRAME_LEN:
                break
            candidate = bytes(self._buf[:FRAME_LEN])
            if candidate[4] in FRAME_TYPES and sum8(candidate[:299]) == candidate[299]:
                frames.append(candidate)
                del self._buf[:FRAME_LEN]
            else:
                # A broken or foreign frame: skip its header and resync on the next one.
                self.bad_frames += 1
                self.dropped_bytes += 1
                del self._buf[:1]
        if len(self._buf) > self.max_buffer:
            self.dropped_bytes += len(self._buf) - self.max_buffer
            del self._buf[:-self.max_buffer]
        return frames
