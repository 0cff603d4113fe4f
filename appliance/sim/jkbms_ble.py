"""A fake BleLink for JK BMS tests: answers commands with frames split at random boundaries, junk between."""

from __future__ import annotations

import random
from collections import deque
from typing import Mapping, Sequence

from appliance.drivers import jk_frames
from appliance.drivers.jk_frames import JK02_32S
from appliance.errors import TransportError
from appliance.sim import jkbms_render as render
from appliance.sim.jkbms_render import ValuesSource

FAULTS = (None, "timeout", "bad_checksum", "truncated", "garbage", "disconnect")
#: What real modules put between frames: JK-PB `AT` lines (batmon #370) and random bytes.
JUNK = (b"AT\r\n", b"\x00", b"\xff\xfe", b"\x55\xaa", b"\x55\xaa\xeb\x90\x02")


class FakeBleLink:
    """A BleLink whose BMS lives in memory; a seeded RNG chooses chunk sizes and junk."""

    def __init__(self, values: ValuesSource | None = None, *, address: str = "C8:47:8C:00:00:01",
                 variant: str = JK02_32S, seed: int = 0, junk: bool = True, max_chunk: int = 128,
                 stream_frames: int = 2, fault: str | None = None,
                 recorded: Mapping[int, Sequence[bytes]] | None = None) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        self.values = values or render.default_values
        self.address, self.variant, self.fault = address, variant, fault
        self.rng = random.Random(seed)
        self.junk, self.max_chunk, self.stream_frames = junk, max(1, max_chunk), stream_frames
        #: Recorded frames to send per command byte instead of rendered ones (captures from real units).
        self.recorded = dict(recorded or {})
        self.writes: list[bytes] = []
        self._chunks: deque[bytes] = deque()
        self._counter = 0

    def _junk(self) -> bytes:
        if not self.junk or self.rng.random() < 0.3:
            return b""
        if self.rng.random() < 0.5:
            return self.rng.choice(JUNK)
        return bytes(self.rng.randrange(256) for _ in range(self.rng.randint(1, 24)))

    def _shape(self, frame: bytes) -> bytes:
        if self.fault == "bad_checksum":
            return frame[:299] + bytes([frame[299] ^ 0xA5])
        if self.fault == "truncated":
            return frame[:self.rng.randint(20, 280)]
        if self.fault == "garbage":
            return bytes(self.rng.randrange(256) for _ in range(len(frame))).replace(b"\x55", b"\x56")
        return frame

    def _emit(self, frames: list[bytes]) -> None:
        stream = b"".join(self._junk() + self._shape(frame) for frame in frames) + self._junk()
        at = 0
        while at < len(stream):
            size = self.rng.randint(1, self.max_chunk)
            self._chunks.append(stream[at:at + size])
            at += size

    def write(self, data: bytes, timeout: float) -> None:
        """Take a 20-byte command and queue the frames a JK BMS would send for it."""
        if self.fault == "disconnect":
            raise TransportError(f"BLE {self.address} disconnected")
        self.writes.append(bytes(data))
        if self.fault == "timeout":
            return
        valid = len(data) == 20 and data[:4] == b"\xAA\x55\x90\xEB" and jk_frames.sum8(data[:19]) == data[19]
        if not valid:
            return
        if data[4] in self.recorded:
            self._emit(list(self.recorded[data[4]]))
            return
        values = self.values()
        self._counter += 1
        if data[4] == jk_frames.CMD_DEVICE_INFO:
            self._emit([render.device_info_frame(values, self._counter, self.variant)])
        elif data[4] == jk_frames.CMD_CELL_INFO:
            cells = [render.cell_info_frame(values, self.variant, self._counter + i)
                     for i in range(self.stream_frames)]
            self._emit([render.settings_frame(values, self._counter), *cells])

    def notifications(self, timeout: float) -> bytes:
        """The next queued chunk; an empty queue is a timeout at once (the fake has no clock to wait on)."""
        if self.fault == "disconnect":
            raise TransportError(f"BLE {self.address} disconnected")
        if not self._chunks:
            raise TransportError(f"no BLE notification from {self.address} within {timeout:g} s")
        return self._chunks.popleft()

    def push(self, data: bytes) -> None:
        """Queue raw bytes as one notification (recorded captures, hand-made junk)."""
        self._chunks.append(bytes(data))
