"""The one module wrapping pymodbus (3.16.1, pinned): Modbus TCP and RTU buses with per-unit links."""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Mapping, Sequence

from pymodbus.client import ModbusTcpClient

from appliance.drivers.modbus.exceptions import ModbusExceptionError
from appliance.drivers.modbus.frames import (READ_HOLDING, READ_INPUT, WRITE_MULTIPLE, WRITE_SINGLE, crc_ok,
                                             read_request, registers_of, rtu_frame, write_multiple_request,
                                             write_single_request)
from appliance.drivers.transports.stream import SerialStream
from appliance.errors import TransportError, ValidationError

log = logging.getLogger(__name__)


def rtu_gap_s(baudrate: int, bytesize: int = 8, parity: str = "N", stopbits: int = 1) -> float:
    """The RTU inter-frame silence: 3.5 character times, fixed at 1.75 ms above 19200 baud (spec)."""
    if baudrate > 19200:
        return 0.00175
    char_bits = 1 + bytesize + (0 if parity == "N" else 1) + stopbits
    return 3.5 * char_bits / baudrate


class ModbusUnit:
    """A ModbusLink: one unit id on a bus; every call is one locked transaction with a timeout."""

    def __init__(self, bus: "TcpBus | RtuBus", unit_id: int) -> None:
        if not 0 <= unit_id <= 247:
            raise ValidationError(f"unit id {unit_id} is outside 0..247", field="unit_id")
        self.bus = bus
        self.unit_id = unit_id

    def read_holding(self, address: int, count: int) -> list[int]:
        """FC03: `count` holding registers from `address`."""
        return self.bus.read(self.unit_id, READ_HOLDING, address, count)

    def read_input(self, address: int, count: int) -> list[int]:
        """FC04: `count` input registers from `address`."""
        return self.bus.read(self.unit_id, READ_INPUT, address, count)

    def write_registers(self, address: int, values: Sequence[int]) -> None:
        """FC16: write registers from `address`."""
        self.bus.write(self.unit_id, address, list(values), single=False)

    def write_register(self, address: int, value: int) -> None:
        """FC06: write one register."""
        self.bus.write(self.unit_id, address, [value], single=True)


class TcpBus:
    """A Modbus TCP endpoint (device or gateway) shared by every unit id behind it."""

    def __init__(self, host: str, port: int, timeout_s: float = 3.0) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self._lock = threading.Lock()
        # retries=0: the poller decides when to try again; a retry here would multiply the timeout.
        self._client = ModbusTcpClient(host, port=port, timeout=timeout_s, retries=0)

    def unit(self, unit_id: int) -> ModbusUnit:
        """The link to one unit id on this endpoint."""
        return ModbusUnit(self, unit_id)

    def close(self) -> None:
        """Close the connection; a later call reconnects."""
        with self._lock:
            self._client.close()

    def _call(self, unit_id: int, what: str, call: Callable[[], Any], function: int, address: int) -> Any:
        where = f"{self.host}:{self.port} unit {unit_id}"
        with self._lock:
            try:
                if not self._client.connected and not self._client.connect():
                    raise TransportError(f"cannot connect to {self.host}:{self.port}")
                response = call()
            except TransportError:
                raise
            except Exception as exc:  # pymodbus raises many types (and some bare ones) on broken frames
                self._client.close()  # a late answer must not be matched to the next request
                raise TransportError(f"{what} on {where} failed: {exc}") from exc
            if response.isError():
                code = getattr(response, "exception_code", None)
                if code is None:
                    self._client.close()
                    raise TransportError(f"{what} on {where} failed: {response}")
                raise ModbusExceptionError(code, function=function, address=address, unit_id=unit_id)
            return response

    def read(self, unit_id: int, function: int, address: int, count: int) -> list[int]:
        """One FC03/FC04 read; TransportError on any failure."""
        read_request(function, address, count)  # validates the range before anything is sent
        method = self._client.read_input_registers if function == READ_INPUT else self._client.read_holding_registers
        response = self._call(unit_id, f"read {count} at {address}",
                              lambda: method(address, count=count, device_id=unit_id), function, address)
        words = list(response.registers)[:count]
        if len(words) != count:
            raise TransportError(f"asked {count} registers at {address}, got {len(words)}")
        return words

    def write(self, unit_id: int, address: int, values: list[int], *, single: bool) -> None:
        """One FC06 (single) or FC16 write."""
        if single:
            write_single_request(address, values[0])
            self._call(unit_id, f"write at {address}",
                       lambda: self._client.write_register(address, values[0], device_id=unit_id),
                       WRITE_SINGLE, address)
        else:
            write_multiple_request(address, values)
            self._call(unit_id, f"write at {address}",
                       lambda: self._client.write_registers(address, values, device_id=unit_id),
                       WRITE_MULTIPLE, address)


class RtuBus:
    """A serial RS485 line (or pty, or socket:// gateway) carrying Modbus RTU for several unit ids."""

    def __init__(self, url: str, baudrate: int = 9600, parity: str = "N", stopbits: int = 1, bytesize: int = 8,
                 timeout_s: float = 3.0, inter_frame_gap_s: float | None = None) -> None:
        gap = rtu_gap_s(baudrate, bytesize, parity, stopbits) if inter_frame_gap_s is None else inter_frame_gap_s
        self.url, self.timeout_s, self.inter_frame_gap_s = url, timeout_s, gap
        self._lock = threading.Lock()
        self._stream = SerialStream(url, baudrate=baudrate, parity=parity, stopbits=stopbits, bytesize=bytesize,
                                    inter_frame_gap_s=gap)

    def unit(self, unit_id: int) -> ModbusUnit:
        """The link to one unit id on this line."""
        return ModbusUnit(self, unit_id)

    def close(self) -> None:
        """Close the serial port."""
        with self._lock:
            self._stream.close()

    def _answer(self, unit_id: int, function: int) -> bytes:
        """Read one answer frame; its length follows from the function code."""
        timeout = self.timeout_s
        head = self._stream.read(2, timeout)
        if head[0] != unit_id:
            raise TransportError(f"answer from unit {head[0]} while waiting for unit {unit_id}")
        if head[1] == function | 0x80:
            frame = head + self._stream.read(3, timeout)
        elif head[1] != function:
            raise TransportError(f"unit {unit_id} answered function {head[1]} to function {function}")
        elif function in (READ_HOLDING, READ_INPUT):
            size = self._stream.read(1, timeout)
            frame = head + size + self._stream.read(size[0] + 2, timeout)
        else:
            frame = head + self._stream.read(6, timeout)
        if not crc_ok(frame):
            raise TransportError(f"bad CRC in the answer of unit {unit_id} on {self.url}")
        if head[1] & 0x80:
            raise ModbusExceptionError(frame[2], function=function, unit_id=unit_id)
        return frame[1:-2]

    def _transact(self, unit_id: int, pdu: bytes, address: int) -> bytes:
        with self._lock:
            try:
                self._stream.reset_input()  # drop a late answer to an earlier, timed-out request
                self._stream.write(rtu_frame(unit_id, pdu))
                return self._answer(unit_id, pdu[0])
            except ModbusExceptionError as exc:
                raise ModbusExceptionError(exc.exception_code, function=pdu[0], address=address,
                                           unit_id=unit_id) from None
            except TransportError as exc:
                raise TransportError(f"{self.url} unit {unit_id} at register {address}: {exc.message}") from exc
            except Exception as exc:  # pyserial and the OS raise their own types; none may escape
                raise TransportError(f"{self.url} unit {unit_id}: {exc}") from exc

    def read(self, unit_id: int, function: int, address: int, count: int) -> list[int]:
        """One FC03/FC04 read; TransportError on any failure."""
        answer = self._transact(unit_id, read_request(function, address, count), address)
        if answer[1] != 2 * count or len(answer) != 2 + 2 * count:
            raise TransportError(f"unit {unit_id} sent {answer[1]} bytes for {count} registers at {address}")
        return registers_of(answer[2:])

    def write(self, unit_id: int, address: int, values: list[int], *, single: bool) -> None:
        """One FC06 (single) or FC16 write; the echo must match the request."""
        pdu = write_single_request(address, values[0]) if single else write_multiple_request(address, values)
        answer = self._transact(unit_id, pdu, address)
        if answer != pdu[:5]:
            raise TransportError(f"unit {unit_id} echoed {answer.hex()} to a write at {address}")


def open_bus(config: Mapping[str, Any]) -> TcpBus | RtuBus:
    """The bus an adapter config describes (transport rtu: serial_port...; tcp: host/port)."""
    transport = config.get("transport")
    timeout = float(config.get("timeout_s", 3.0))
    if transport == "tcp":
        if not config.get("host"):
            raise ValidationError("a tcp adapter needs a host", field="host")
        return TcpBus(str(config["host"]), int(config.get("port", 502)), timeout_s=timeout)
    if transport == "rtu":
        if not config.get("serial_port"):
            raise ValidationError("an rtu adapter needs a serial_port", field="serial_port")
        return RtuBus(str(config["serial_port"]), baudrate=int(config.get("baudrate", 9600)),
                      parity=str(config.get("parity", "N")), stopbits=int(config.get("stopbits", 1)),
                      bytesize=int(config.get("bytesize", 8)), timeout_s=timeout)
    raise ValidationError(f"transport {transport!r} must be rtu or tcp", field="transport")
