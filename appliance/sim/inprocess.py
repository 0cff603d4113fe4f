"""The demo's simulators reached in-process: the same drivers, decoders and protocol bytes, no socket or pty.

A backfill (`appliance simulate`, `demo --backfill`) polls on a virtual clock. Over loopback sockets
and a pty every poll waits for the kernel and the simulators' threads; here a driver's request is
answered by the simulator in the calling thread, so a simulated day costs only CPU. A read finds
the answer already there or times out at once: on a virtual clock, waiting is instantaneous.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from appliance.drivers.connect import MODBUS_TYPES, Handle, LinkPool, bus_key
from appliance.drivers.modbus.exceptions import ModbusExceptionError
from appliance.errors import TransportError
from appliance.jsontypes import JsonObject
from appliance.sim.jkbms_gateway import JkGatewaySim, JkPack
from appliance.sim.modbus_server import ModbusSimError, ModbusTcpSim, RegisterImage
from appliance.sim.pylontech_console import PylontechConsoleSim

READ_HOLDING, READ_INPUT, WRITE_MULTIPLE = 3, 4, 16


class ImageUnit:
    """A ModbusLink on one unit of a simulator's register image."""

    def __init__(self, image: RegisterImage | None, unit_id: int) -> None:
        self.image, self.unit_id = image, unit_id

    def _read(self, kind: str, function: int, address: int, count: int) -> list[int]:
        if self.image is None:
            raise TransportError(f"unit {self.unit_id} does not answer")
        try:
            return self.image.read(kind, address, count)
        except ModbusSimError as exc:
            raise ModbusExceptionError(exc.code, function=function, address=address, unit_id=self.unit_id) from exc

    def read_holding(self, address: int, count: int) -> list[int]:
        """FC03 from the image."""
        return self._read("holding", READ_HOLDING, address, count)

    def read_input(self, address: int, count: int) -> list[int]:
        """FC04 from the image."""
        return self._read("input", READ_INPUT, address, count)

    def write_registers(self, address: int, values: Sequence[int]) -> None:
        """FC16 into the image (the simulator's on_write sees it)."""
        if self.image is None:
            raise TransportError(f"unit {self.unit_id} does not answer")
        try:
            self.image.write(address, list(values))
        except ModbusSimError as exc:
            raise ModbusExceptionError(exc.code, function=WRITE_MULTIPLE, address=address,
                                       unit_id=self.unit_id) from exc

    def write_register(self, address: int, value: int) -> None:
        """FC06 into the image."""
        self.write_registers(address, [value])


class ImageBus:
    """A Modbus bus whose units are a simulator's register images."""

    def __init__(self, units: Mapping[int, RegisterImage]) -> None:
        self.units = units

    def unit(self, unit_id: int) -> ImageUnit:
        """The link of one unit id (a unit the simulator lacks never answers)."""
        return ImageUnit(self.units.get(unit_id), unit_id)

    def close(self) -> None:
        """Nothing to close."""


class AnswerStream:
    """A StreamLink whose peer answers every write at once through `answer(data) -> bytes | None`."""

    def __init__(self, answer: Callable[[bytes], bytes | None], name: str) -> None:
        self._answer, self.name = answer, name
        self._rx = bytearray()
        self._at = 0  # read position in _rx: drivers read a byte at a time, so no copy per byte
        self._closed = False

    def write(self, data: bytes) -> None:
        """Send bytes; the reply (if any) is ready to read."""
        if self._closed:
            raise TransportError(f"{self.name} hung up")
        reply = self._answer(bytes(data))
        if reply is None:
            self._closed = True
            return
        del self._rx[:self._at]
        self._at = 0
        self._rx += reply

    def _take(self, size: int) -> bytes:
        data = bytes(self._rx[self._at:self._at + size])
        self._at += len(data)
        return data

    def read(self, size: int, timeout: float) -> bytes:
        """Exactly `size` bytes if they are there, else a timeout at once."""
        if len(self._rx) - self._at < size:
            raise TransportError(f"timeout after {timeout:g} s on {self.name}: {len(self._rx) - self._at} of "
                                 f"{size} bytes")
        return self._take(size)

    def read_until(self, terminator: bytes, timeout: float, max_size: int = 65536) -> bytes:
        """Bytes up to and including `terminator` if they are there, else a timeout at once."""
        at = self._rx.find(terminator, self._at)
        if at < 0 or at - self._at > max_size:
            raise TransportError(f"timeout after {timeout:g} s on {self.name} waiting for {terminator!r}")
        return self._take(at + len(terminator) - self._at)

    def read_available(self, timeout: float) -> bytes:
        """Whatever is there."""
        return self._take(len(self._rx) - self._at)

    def reset_input(self) -> None:
        """Drop unread input."""
        self._rx.clear()
        self._at = 0

    def close(self) -> None:
        """Nothing to close."""


def jk_stream(pack: JkPack, name: str) -> AnswerStream:
    """A JK pack behind its gateway: request frames in, the pack's reply frames out."""
    def answer(data: bytes) -> bytes | None:
        replies = pack.feed(data)
        if any(r is None for r in replies):
            return None
        return b"".join(r for r in replies if r)
    return AnswerStream(answer, name)


def console_stream(served: PylontechConsoleSim, name: str) -> AnswerStream:
    """A console with the same values and layout as `served`, typing and answering in the caller's thread."""
    console = PylontechConsoleSim(served.values, fault=served.fault)
    console.layout, console.slots, console.page_lines = served.layout, served.slots, served.page_lines
    out = bytearray()

    def collect(data: bytes) -> None:
        out.extend(data)

    setattr(console, "send", collect)  # the pty is replaced by this buffer

    def answer(data: bytes) -> bytes:
        console.handle(data)
        reply = bytes(out)
        out.clear()
        return reply
    return AnswerStream(answer, name)


class InProcessPool(LinkPool):
    """A LinkPool that reaches the given simulators in-process; anything else is opened for real."""

    def __init__(self, servers: Sequence[Any], host: str = "127.0.0.1", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._routes: dict[str, Any] = {}
        for server in servers:
            if isinstance(server, ModbusTcpSim):
                self._routes[f"tcp:{host}:{server.port}"] = server
            elif isinstance(server, JkGatewaySim):
                self._routes[f"tcp:{host}:{server.port}"] = server
            elif isinstance(server, PylontechConsoleSim):
                self._routes[f"serial:{server.path}"] = server

    def _open(self, key: str, adapter_type: str, config: JsonObject) -> Handle:
        server = self._routes.get(bus_key(adapter_type, config))
        if server is None:
            return super()._open(key, adapter_type, config)
        modbus = adapter_type in MODBUS_TYPES
        if isinstance(server, ModbusTcpSim):
            return ImageBus(server.units) if modbus else AnswerStream(lambda data: b"", key)
        if isinstance(server, JkGatewaySim):
            return ImageBus({}) if modbus else jk_stream(server.pack, key)
        # A console ignores Modbus frames: a Modbus probe of it finds no unit.
        return ImageBus({}) if modbus else console_stream(server, key)
