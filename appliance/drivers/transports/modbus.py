"""The one module wrapping pymodbus (3.16.1, pinned): Modbus TCP and RTU buses with per-unit links.

pymodbus frames every request and answer (MBAP header, RTU CRC); this module adds what the appliance
needs around it: one lock per bus, the RTU inter-frame silence, request limits checked before anything
is sent, and one error type (TransportError, or ModbusExceptionError for an exception response).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Sequence
from urllib.parse import urlsplit

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU

from appliance.drivers.modbus.exceptions import ModbusExceptionError
from appliance.errors import TransportError, ValidationError
from appliance.jsontypes import JsonObject, to_float, to_int

log = logging.getLogger(__name__)

READ_HOLDING, READ_INPUT, WRITE_SINGLE, WRITE_MULTIPLE = 3, 4, 6, 16
MAX_READ, MAX_WRITE = 125, 123  # registers per request (Modbus application protocol 1.1b3, 6.3 and 6.12)


def rtu_gap_s(baudrate: int, bytesize: int = 8, parity: str = "N", stopbits: int = 1) -> float:
    """The RTU inter-frame silence: 3.5 character times, fixed at 1.75 ms above 19200 baud (spec)."""
    if baudrate > 19200:
        return 0.00175
    char_bits = 1 + bytesize + (0 if parity == "N" else 1) + stopbits
    return 3.5 * char_bits / baudrate


def check_range(address: int, count: int, limit: int) -> None:
    """ValidationError unless `count` registers from `address` fit one request and the address space."""
    if not 0 <= address <= 0xFFFF or not 1 <= count <= limit or address + count > 0x10000:
        raise ValidationError(f"register range {address}+{count} is outside 0..65535 or over {limit} registers")


def check_words(values: Sequence[int]) -> None:
    """ValidationError unless every value is a 16-bit register value."""
    if not all(isinstance(value, int) and 0 <= value <= 0xFFFF for value in values):
        raise ValidationError(f"{list(values)} are not all 16-bit register values")


class ModbusUnit:
    """A ModbusLink: one unit id on a bus; every call is one locked transaction with a timeout."""

    def __init__(self, bus: "ModbusBus", unit_id: int) -> None:
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


class ModbusBus:
    """One pymodbus client (a TCP endpoint or a serial line) shared by every unit id behind it."""

    def __init__(self, client: ModbusTcpClient | ModbusSerialClient, where: str, timeout_s: float,
                 gap_s: float = 0.0) -> None:
        self.where, self.timeout_s, self.inter_frame_gap_s = where, timeout_s, gap_s
        self._client = client
        self._lock = threading.Lock()
        self._last_io = 0.0
        self._heard = 0  # bytes received during the current transaction (RTU: tells garbage from silence)

    def unit(self, unit_id: int) -> ModbusUnit:
        """The link to one unit id on this bus."""
        return ModbusUnit(self, unit_id)

    def close(self) -> None:
        """Close the connection or port; a later call reopens it."""
        with self._lock:
            self._close_client()

    def _close_client(self) -> None:
        close: Callable[[], None] = self._client.close  # typed here: pymodbus 3.16 leaves close() unannotated
        close()

    def _trace(self, sending: bool, data: bytes) -> bytes:
        if not sending:
            self._heard = len(data)
        return data

    def _connect(self) -> None:
        if not self._client.connected and not self._client.connect():
            raise TransportError(f"cannot connect to {self.where}")

    def _failed(self, unit_id: int, what: str, exc: Exception) -> TransportError:
        """The error for a transaction that got no usable answer (the client is reset where that helps)."""
        return TransportError(f"{what} on {self.where} unit {unit_id} failed: {exc}")

    def _call(self, unit_id: int, what: str, call: Callable[[], ModbusPDU], function: int, address: int) -> ModbusPDU:
        with self._lock:
            wait = self._last_io + self.inter_frame_gap_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)  # the bus must stay silent 3.5 characters between frames
            self._heard = 0
            try:
                self._connect()
                response = call()
            except TransportError:
                raise
            except Exception as exc:  # pymodbus raises its own types and some bare ones on broken frames
                raise self._failed(unit_id, what, exc) from exc
            finally:
                self._last_io = time.monotonic()
            if response.isError():
                code = getattr(response, "exception_code", None)
                if code is None:
                    raise self._failed(unit_id, what, RuntimeError(str(response)))
                raise ModbusExceptionError(int(code), function=function, address=address, unit_id=unit_id)
            return response

    def read(self, unit_id: int, function: int, address: int, count: int) -> list[int]:
        """One FC03/FC04 read; TransportError on any failure."""
        check_range(address, count, MAX_READ)
        method = self._client.read_input_registers if function == READ_INPUT else self._client.read_holding_registers
        response = self._call(unit_id, f"read {count} at {address}",
                              lambda: method(address, count=count, device_id=unit_id), function, address)
        words = list(response.registers)
        if len(words) != count:
            raise TransportError(f"{self.where} unit {unit_id}: asked {count} registers at {address}, got {len(words)}")
        return words

    def write(self, unit_id: int, address: int, values: list[int], *, single: bool) -> None:
        """One FC06 (single) or FC16 write; the answer must echo the request."""
        check_range(address, len(values), 1 if single else MAX_WRITE)
        check_words(values)
        if single:
            response = self._call(unit_id, f"write at {address}",
                                  lambda: self._client.write_register(address, values[0], device_id=unit_id),
                                  WRITE_SINGLE, address)
            echoed = (response.address, list(response.registers)) == (address, values)
        else:
            response = self._call(unit_id, f"write at {address}",
                                  lambda: self._client.write_registers(address, values, device_id=unit_id),
                                  WRITE_MULTIPLE, address)
            echoed = (response.address, response.count) == (address, len(values))
        if not echoed:
            raise TransportError(f"{self.where} unit {unit_id} answered a write at {address} with {response}")


class TcpBus(ModbusBus):
    """A Modbus TCP endpoint (device or gateway) shared by every unit id behind it."""

    def __init__(self, host: str, port: int, timeout_s: float = 3.0) -> None:
        self.host, self.port = host, port
        # retries=0: the poller decides when to try again; a retry here would multiply the timeout.
        super().__init__(ModbusTcpClient(host, port=port, timeout=timeout_s, retries=0), f"{host}:{port}", timeout_s)

    def _failed(self, unit_id: int, what: str, exc: Exception) -> TransportError:
        self._close_client()  # a late answer must not be matched to the next request
        return super()._failed(unit_id, what, exc)


class RtuBus(ModbusBus):
    """A serial RS485 line (or pty) carrying Modbus RTU for several units; `socket://HOST:PORT` is a gateway
    that passes RTU frames through over TCP (pymodbus's TCP client with its RTU framer: pyserial's socket://
    port reports one waiting byte at a time, which makes pymodbus's serial client read byte by byte)."""

    def __init__(self, url: str, baudrate: int = 9600, parity: str = "N", stopbits: int = 1, bytesize: int = 8,
                 timeout_s: float = 3.0, inter_frame_gap_s: float | None = None) -> None:
        gap = rtu_gap_s(baudrate, bytesize, parity, stopbits) if inter_frame_gap_s is None else inter_frame_gap_s
        self.url = url
        self.over_tcp = url.startswith("socket://")
        client: ModbusTcpClient | ModbusSerialClient
        if self.over_tcp:
            where = urlsplit(url)
            if not where.hostname or where.port is None:
                raise ValidationError(f"{url!r} is not socket://HOST:PORT", field="serial_port")
            client = ModbusTcpClient(where.hostname, port=where.port, framer=FramerType.RTU, timeout=timeout_s,
                                     retries=0, trace_packet=self._trace)
        else:
            client = ModbusSerialClient(url, baudrate=baudrate, parity=parity, stopbits=stopbits, bytesize=bytesize,
                                        timeout=timeout_s, retries=0, trace_packet=self._trace)
        super().__init__(client, url, timeout_s, gap)
        with self._lock:
            if not client.connect():  # a missing port is reported at once, as a serial adapter config error
                raise TransportError(f"cannot open {url}")

    def _failed(self, unit_id: int, what: str, exc: Exception) -> TransportError:
        if self.over_tcp:
            self._close_client()  # RTU frames carry no transaction id: a late answer must not meet the next request
        if self._heard:
            # Bytes came but pymodbus framed no answer from them: a bad CRC, another unit's frame, or a cut.
            return TransportError(f"{what} on {self.url}: unit {unit_id} sent {self._heard} bytes that are no "
                                  "valid Modbus RTU answer (bad CRC, wrong unit or cut short)")
        return super()._failed(unit_id, what, exc)


def open_bus(config: JsonObject) -> TcpBus | RtuBus:
    """The bus an adapter config describes (transport rtu: serial_port...; tcp: host/port)."""
    transport = config.get("transport")
    timeout = to_float(config.get("timeout_s", 3.0), "timeout_s")
    if transport == "tcp":
        if not config.get("host"):
            raise ValidationError("a tcp adapter needs a host", field="host")
        return TcpBus(str(config["host"]), to_int(config.get("port", 502), "port"), timeout_s=timeout)
    if transport == "rtu":
        if not config.get("serial_port"):
            raise ValidationError("an rtu adapter needs a serial_port", field="serial_port")
        return RtuBus(str(config["serial_port"]), baudrate=to_int(config.get("baudrate", 9600), "baudrate"),
                      parity=str(config.get("parity", "N")), stopbits=to_int(config.get("stopbits", 1), "stopbits"),
                      bytesize=to_int(config.get("bytesize", 8), "bytesize"), timeout_s=timeout)
    raise ValidationError(f"transport {transport!r} must be rtu or tcp", field="transport")
