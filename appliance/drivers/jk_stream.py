"""JK BMS over a byte stream (RS485 port or transparent TCP gateway): JK-PB Modbus trigger, legacy 4E 57, auto."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from appliance.clock import now_ms
from appliance.drivers import jk_frames, jk_legacy
from appliance.drivers.base import DECODE_HEX, Driver, Identity, Reading
from appliance.drivers.jk_frames import FRAME_LEN, HEADER
from appliance.drivers.links import StreamLink
from appliance.errors import DecodeError, TransportError
from appliance.jsontypes import Json, JsonObject, text, to_float, to_int

PROTOCOL_JKPB, PROTOCOL_LEGACY, PROTOCOL_AUTO = "jkpb", "legacy", "auto"
#: Junk tolerated before a frame header (gateway banners, `AT` lines, other packs' traffic).
MAX_JUNK = 4096
T = TypeVar("T")


def decode_any(frame: bytes) -> Reading:
    """A JK02/JK04 `55 AA EB 90` frame or a legacy `4E 57` frame, told apart by their first bytes."""
    frame = bytes(frame)
    if frame.startswith(jk_legacy.START):
        return jk_legacy.decode(frame)
    if frame.startswith(HEADER):
        return jk_frames.decode_frame(frame)
    raise DecodeError(f"not a JK frame: starts with {frame[:4].hex(' ') or 'nothing'}, "
                      "expected 55 aa eb 90 or 4e 57")


class JkStreamDriver(Driver):
    """Shared logic of the JK drivers that talk through a StreamLink."""

    decode_inputs = frozenset({DECODE_HEX})
    link: StreamLink

    def __init__(self, config: JsonObject, link: object) -> None:
        super().__init__(config, link)
        requested = self.config.get("protocol", PROTOCOL_AUTO)
        #: The protocol that last worked; "auto" until one has.
        self.protocol: str = str(requested)
        self._identity: Json | None = None

    @classmethod
    def decode(cls, frame: bytes) -> Reading:
        """Decode one JK frame (55AA or 4E57, auto-detected) into a Reading."""
        return decode_any(frame)

    @property
    def unit_id(self) -> int:
        """The pack's JK-PB DIP address."""
        return to_int(self.config.get("unit_id", 1), "unit_id")

    @property
    def timeout_s(self) -> float:
        """Seconds one exchange may take."""
        return to_float(self.config.get("timeout_s", 3), "timeout_s")

    def _remaining(self, deadline: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TransportError(f"no complete JK answer within {self.timeout_s:g} s")
        return left

    def jkpb_frame(self, register: int) -> bytes:
        """Send the Modbus trigger for `register` and return the 300-byte frame, after checking the ack."""
        deadline = time.monotonic() + self.timeout_s
        self.link.reset_input()
        self.link.write(jk_frames.build_trigger(self.unit_id, register))
        self.link.read_until(HEADER, self._remaining(deadline), max_size=MAX_JUNK)
        frame = HEADER + self.link.read(FRAME_LEN - len(HEADER), self._remaining(deadline))
        jk_frames.check_frame(frame)
        if frame[4] != jk_frames.TRIGGER_FRAME_TYPE[register]:
            raise DecodeError(f"asked for JK frame type {jk_frames.TRIGGER_FRAME_TYPE[register]:#04x}, "
                              f"got {frame[4]:#04x}")
        ack = self.link.read(8, self._remaining(deadline))
        jk_frames.parse_trigger_ack(ack, self.unit_id, register)
        return frame

    def legacy_frame(self) -> bytes:
        """Send the 4E 57 read-all request and return the whole reply frame."""
        deadline = time.monotonic() + self.timeout_s
        self.link.reset_input()
        self.link.write(jk_legacy.build_request())
        self.link.read_until(jk_legacy.START, self._remaining(deadline), max_size=MAX_JUNK)
        length = self.link.read(2, self._remaining(deadline))
        total = int.from_bytes(length, "big") + 2
        if not jk_legacy.MIN_FRAME <= total <= jk_legacy.MAX_FRAME:
            raise DecodeError(f"legacy JK length field says {total} bytes: not a JK answer")
        rest = self.link.read(total - 4, self._remaining(deadline))
        frame = jk_legacy.START + length + rest
        jk_legacy.check_frame(frame)
        return frame

    def _jkpb_identity(self) -> Json:
        info = jk_frames.decode_device_info(self.jkpb_frame(jk_frames.TRIGGER_DEVICE_INFO))
        return {**jk_frames.identity_values(info), "device_name": info.device_name,
                "manufacturing_date": info.manufacturing_date, "protocol": PROTOCOL_JKPB}

    def _legacy_identity(self) -> Json:
        parsed = jk_legacy.parse_frame(self.legacy_frame())
        return {**jk_legacy.identity_values(parsed), "protocol": PROTOCOL_LEGACY}

    def _jkpb_read(self) -> Reading:
        if self._identity is None or self._identity.get("protocol") != PROTOCOL_JKPB:
            self._identity = self._jkpb_identity()
        return jk_frames.decode_cell_info(self.jkpb_frame(jk_frames.TRIGGER_CELL_INFO))

    def _legacy_read(self) -> Reading:
        reading = jk_legacy.decode(self.legacy_frame())
        self._identity = {k: reading.values.get(k) for k in ("model", "serial_number", "hardware_version",
                                                             "software_version")}
        self._identity["protocol"] = PROTOCOL_LEGACY
        return reading

    def _attempt(self, jkpb: Callable[[], T], legacy: Callable[[], T]) -> T:
        """Run the call of the remembered protocol, or in auto mode jkpb then legacy."""
        if self.protocol == PROTOCOL_JKPB:
            return jkpb()
        if self.protocol == PROTOCOL_LEGACY:
            return legacy()
        errors: list[Exception] = []
        for name, call in ((PROTOCOL_JKPB, jkpb), (PROTOCOL_LEGACY, legacy)):
            try:
                result = call()
            except (TransportError, DecodeError) as exc:
                errors.append(exc)
                continue
            self.protocol = name
            return result
        summary = "; ".join(f"{name}: {exc}" for name, exc in zip((PROTOCOL_JKPB, PROTOCOL_LEGACY), errors))
        # A peer that answered with wrong bytes is a decode problem; silence on both is a transport one.
        if any(isinstance(exc, DecodeError) for exc in errors):
            raise DecodeError(f"no JK BMS answered: {summary}")
        raise TransportError(f"no JK BMS answered: {summary}")

    def identify(self) -> Identity:
        """Model and serial number from the device-info frame (JK-PB) or the text tags (legacy)."""
        ident = self._attempt(self._jkpb_identity, self._legacy_identity)
        self._identity = ident
        details = {k: v for k, v in ident.items() if k not in ("model", "serial_number") and v is not None}
        return Identity(self.adapter_type, model=text(ident.get("model")),
                        serial_number=text(ident.get("serial_number")), details=details)

    def read(self) -> Reading:
        """One battery Reading: the cell-info frame (JK-PB) or the read-all reply (legacy)."""
        reading = self._attempt(self._jkpb_read, self._legacy_read)
        ident = self._identity or {}
        values = dict(reading.values)
        for key in ("model", "serial_number", "hardware_version", "software_version"):
            if ident.get(key) is not None:
                values[key] = ident[key]
        details = {**reading.details, "protocol": self.protocol, "unit_id": self.unit_id}
        return Reading(reading.kind, values, details, now_ms())
