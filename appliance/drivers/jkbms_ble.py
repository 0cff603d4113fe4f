"""JK BMS through Bluetooth Low Energy."""

from __future__ import annotations

import time
from typing import Sequence, cast

from appliance.clock import now_ms
from appliance.drivers import jk_frames
from appliance.drivers.base import DECODE_HEX, Driver, Identity, Reading
from appliance.drivers.jk_frames import CMD_CELL_INFO, CMD_DEVICE_INFO, DeviceInfo, FrameAssembler, Settings
from appliance.drivers.jk_stream import decode_any
from appliance.drivers.links import BleLink
from appliance.drivers.schemas import BLE_ADDRESS, common, defaults_of, obj
from appliance.errors import DecodeError, TransportError
from appliance.jsontypes import Json, JsonObject, number, as_list, to_float

SCHEMA = obj({
    **common("jkbms_ble"),
    "bt_addresses": {"type": "array", "items": BLE_ADDRESS, "minItems": 1, "maxItems": 16, "uniqueItems": True,
                     "description": "Bluetooth addresses of the pack's BMSs"},
    "frame_variant": {"type": "string", "enum": ["auto", "JK02_24S", "JK02_32S", "JK04"], "default": "auto"},
}, ["bt_addresses"])

#: Chunks drained before a new request; a bound so a device that floods us cannot hold a poll forever.
MAX_DRAIN = 10000
IDENTITY_KEYS = ("model", "serial_number", "hardware_version", "software_version")


class _BmsState:
    """What the driver remembers about one BMS between polls."""

    def __init__(self, link: BleLink) -> None:
        self.link = link
        self.assembler = FrameAssembler()
        self.info: DeviceInfo | None = None
        self.settings: Settings | None = None


class JkBmsBleDriver(Driver):
    """JK BMS through Bluetooth Low Energy."""

    adapter_type = "jkbms_ble"
    category = "battery"
    name = "JK BMS Bluetooth Adapter"
    description = "JK BMS via Bluetooth Low Energy (JK02 and JK04 frames)"
    transports = ("ble",)
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
    decode_inputs = frozenset({DECODE_HEX})

    def __init__(self, config: JsonObject, link: object) -> None:
        super().__init__(config, link)
        # One BleLink per BMS of the pack, in bt_addresses order; a single link is a pack of one.
        links = list(link) if isinstance(link, (list, tuple)) else [link]
        if not links:
            raise TransportError("jkbms_ble needs at least one BLE link")
        # The pool opens BLE links for this family (connect.LinkPool): the cast states that contract.
        self._bms = [_BmsState(cast(BleLink, one)) for one in links]

    @classmethod
    def decode(cls, frame: bytes) -> Reading:
        """Decode one JK frame (55AA or 4E57, auto-detected) into a Reading."""
        return decode_any(frame)

    @property
    def timeout_s(self) -> float:
        """Seconds one request may wait for its frame."""
        return to_float(self.config.get("timeout_s", 3), "timeout_s")

    def _variant(self) -> str | None:
        variant = self.config.get("frame_variant", "auto")
        return None if variant == "auto" else str(variant)

    def _collect(self, bms: _BmsState, frame_type: int, deadline: float) -> bytes:
        """Feed notifications to the assembler until a frame of `frame_type` completes."""
        bad_before = bms.assembler.bad_frames
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TransportError(f"no JK frame {frame_type:#04x} from {bms.link.address} "
                                         f"within {self.timeout_s:g} s")
                for frame in bms.assembler.feed(bms.link.notifications(left)):
                    if frame[4] == jk_frames.TYPE_SETTINGS:
                        bms.settings = jk_frames.decode_settings(frame)
                    if frame[4] == frame_type:
                        return frame
        except TransportError as exc:
            # Frames that came but failed their checksum are a decode problem, not silence.
            if bms.assembler.bad_frames > bad_before:
                raise DecodeError(f"{bms.assembler.bad_frames - bad_before} JK frame(s) from {bms.link.address} "
                                  "failed their checksum and no good one came") from exc
            raise

    def _drain(self, bms: _BmsState) -> None:
        """Drop frames the BMS streamed since the last poll, so the reading is fresh."""
        for _ in range(MAX_DRAIN):
            try:
                bms.link.notifications(0)
            except TransportError:
                break
        bms.assembler.reset()

    def _device_info(self, bms: _BmsState) -> DeviceInfo:
        if bms.info is None:
            deadline = time.monotonic() + self.timeout_s
            self._drain(bms)
            bms.link.write(jk_frames.build_command(CMD_DEVICE_INFO), self.timeout_s)
            bms.info = jk_frames.decode_device_info(self._collect(bms, jk_frames.TYPE_DEVICE_INFO, deadline))
        return bms.info

    def _read_one(self, bms: _BmsState) -> Reading:
        info = self._device_info(bms)
        deadline = time.monotonic() + self.timeout_s
        self._drain(bms)
        # The BMS streams 0x02 only after both commands; writing 0x96 each poll restarts a stalled stream.
        bms.link.write(jk_frames.build_command(CMD_CELL_INFO), self.timeout_s)
        frame = self._collect(bms, jk_frames.TYPE_CELL_INFO, deadline)
        reading = jk_frames.decode_cell_info(frame, self._variant())
        values = {**reading.values, **{k: v for k, v in jk_frames.identity_values(info).items() if v is not None}}
        details = {**reading.details, "address": bms.link.address, "device_name": info.device_name}
        if bms.settings is not None:
            details.update(balancer_enabled=bms.settings.balancer_switch, nominal_ah=bms.settings.nominal_ah)
        return Reading(reading.kind, values, details, now_ms())

    def identify(self) -> Identity:
        """Model and serial number of the first BMS from its device-info frame (0x03)."""
        infos = [self._device_info(bms) for bms in self._bms]
        first = infos[0]
        details: Json = {"hardware_version": first.hardware_version,
                         "software_version": first.software_version, "device_name": first.device_name}
        if len(infos) > 1:
            details["serial_numbers"] = [info.serial_number for info in infos]
        return Identity(self.adapter_type, model=first.model, serial_number=first.serial_number,
                        details={k: v for k, v in details.items() if v is not None})

    def read(self) -> Reading:
        """One battery Reading; several BMSs of one pack are summed, with a per-unit `batteries` list."""
        readings = [self._read_one(bms) for bms in self._bms]
        if len(readings) == 1:
            return readings[0]
        return combine(readings)


def combine(readings: Sequence[Reading]) -> Reading:
    """A bank reading from unit readings: currents and capacities add, voltage and temperature average."""
    units = [r.values for r in readings]

    def found(key: str) -> list[float]:
        return [n for u in units if (n := number(u.get(key))) is not None]

    def total(key: str) -> float | None:
        values = found(key)
        return round(sum(values), 3) if len(values) == len(units) else None

    def mean(key: str) -> float | None:
        values = found(key)
        return round(sum(values) / len(values), 3) if values else None

    remaining, full = total("remaining_ah"), total("full_ah")
    if full is not None and full <= 0:
        raise DecodeError("bank full capacity is not positive")
    values: Json = {
        "voltage_v": mean("voltage_v"), "current_a": total("current_a"), "power_w": total("power_w"),
        "remaining_ah": remaining, "full_ah": full, "temperature_c": mean("temperature_c"),
        "soc_pct": round(100 * remaining / full, 1) if remaining is not None and full else mean("soc_pct"),
        "balancing": any(u.get("balancing") for u in units),
        "charge_enabled": all(u.get("charge_enabled") for u in units),
        "discharge_enabled": all(u.get("discharge_enabled") for u in units),
        "alarms": sorted({a for u in units for a in as_list(u.get("alarms")) if isinstance(a, str)}),
        "batteries": [{"index": i, "voltage_v": u.get("voltage_v"), "current_a": u.get("current_a"),
                       "temperature_c": u.get("temperature_c"), "soc_pct": u.get("soc_pct"),
                       "status": "alarm" if u.get("alarms") else "normal", "serial_number": u.get("serial_number")}
                      for i, u in enumerate(units)],
    }
    return Reading("battery", values, {"units": len(units)}, readings[0].ts_ms)
