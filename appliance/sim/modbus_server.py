"""Simulated Modbus devices on loopback: a register image served over TCP or RTU on a pty, with faults."""

from __future__ import annotations

import os
import select
import socket
import struct
import threading
import tty
from typing import Callable, Mapping, Sequence

from appliance.drivers.modbus.frames import (READ_HOLDING, READ_INPUT, WRITE_MULTIPLE, WRITE_SINGLE, crc_ok,
                                             rtu_frame)

FAULTS = (None, "timeout", "exception", "bad_crc", "truncated", "disconnect")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
ILLEGAL_FUNCTION, ILLEGAL_ADDRESS, ILLEGAL_VALUE, DEVICE_FAILURE, GATEWAY_TARGET = 1, 2, 3, 4, 11


class ModbusSimError(Exception):
    """A request the simulated device refuses with a Modbus exception code."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(message or f"Modbus exception {code}")
        self.code = code


class RegisterImage:
    """Holding and input registers of one unit; unmapped addresses answer 'illegal data address'."""

    def __init__(self, holding: Mapping[int, int] | None = None, input: Mapping[int, int] | None = None, *,
                 on_write: Callable[[int, list[int]], None] | None = None,
                 refresh: Callable[["RegisterImage"], None] | None = None,
                 writable: set[int] | None = None) -> None:
        self.registers: dict[str, dict[int, int]] = {"holding": dict(holding or {}), "input": dict(input or {})}
        self.on_write = on_write
        self.refresh = refresh
        self.writable = writable  # None: every mapped holding register is writable
        self.lock = threading.RLock()
        self.reads = 0
        self.writes = 0

    def map(self, kind: str, address: int, count: int) -> None:
        """Make a range readable (zero-filled where nothing is set yet)."""
        with self.lock:
            for at in range(address, address + count):
                self.registers[kind].setdefault(at, 0)

    def set(self, kind: str, values: Mapping[int, int]) -> None:
        """Store register values (the device's own update, not a Modbus write)."""
        with self.lock:
            self.registers[kind].update({at: value & 0xFFFF for at, value in values.items()})

    def read(self, kind: str, address: int, count: int) -> list[int]:
        """`count` registers from `address`; ModbusSimError(2) if any is unmapped."""
        with self.lock:
            if self.refresh is not None:
                self.refresh(self)
            table = self.registers[kind]
            missing = [at for at in range(address, address + count) if at not in table]
            if missing:
                raise ModbusSimError(ILLEGAL_ADDRESS, f"register {missing[0]} is not mapped")
            self.reads += 1
            return [table[at] for at in range(address, address + count)]

    def write(self, address: int, values: Sequence[int]) -> None:
        """A Modbus write to holding registers; on_write sees it first and may refuse it."""
        with self.lock:
            table = self.registers["holding"]
            for at in range(address, address + len(values)):
                if at not in table or (self.writable is not None and at not in self.writable):
                    raise ModbusSimError(ILLEGAL_ADDRESS, f"register {at} is not writable")
            if self.on_write is not None:
                self.on_write(address, list(values))
            table.update({address + i: value & 0xFFFF for i, value in enumerate(values)})
            self.writes += 1


def exception_pdu(function: int, code: int) -> bytes:
    """A Modbus exception response PDU."""
    return bytes([function | 0x80, code])


def handle_pdu(image: RegisterImage, pdu: bytes) -> bytes:
    """Answer one request PDU from a register image (the device's whole Modbus behaviour)."""
    function = pdu[0] if pdu else 0
    try:
        if function in (READ_HOLDING, READ_INPUT) and len(pdu) == 5:
            address, count = struct.unpack(">HH", pdu[1:5])
            if not 1 <= count <= 125:
                raise ModbusSimError(ILLEGAL_VALUE)
            words = image.read("holding" if function == READ_HOLDING else "input", address, count)
            return struct.pack(f">BB{count}H", function, 2 * count, *words)
        if function == WRITE_SINGLE and len(pdu) == 5:
            address, value = struct.unpack(">HH", pdu[1:5])
            image.write(address, [value])
            return pdu
        if function == WRITE_MULTIPLE and len(pdu) >= 6:
            address, count, size = struct.unpack(">HHB", pdu[1:6])
            if not 1 <= count <= 123 or size != 2 * count or len(pdu) != 6 + size:
                raise ModbusSimError(ILLEGAL_VALUE)
            image.write(address, list(struct.unpack(f">{count}H", pdu[6:])))
            return pdu[:5]
        raise ModbusSimError(ILLEGAL_FUNCTION if function not in (3, 4, 6, 16) else ILLEGAL_VALUE)
    except ModbusSimError as exc:
        return exception_pdu(function, exc.code)
    except Exception:  # a broken values source is a device failure, not a dead server thread
        return exception_pdu(function, DEVICE_FAILURE)


class _Hangup(Exception):
    """The simulated device drops the TCP connection."""


class _FaultMixin:
    """The fault switch both servers share."""

    _fault: str | None = None

    @property
    def fault(self) -> str | None:
        """The fault injected into every answer (None: behave)."""
        return self._fault

    @fault.setter
    def fault(self, value: str | None) -> None:
        """Switch a fault on (one of FAULTS) or off (None)."""
        if value not in FAULTS:
            raise ValueError(f"fault {value!r} is not one of {FAULTS}")
        self._fault = value


class ModbusTcpSim(_FaultMixin):
    """Modbus TCP on 127.0.0.1 for a set of unit ids, one thread per connection."""

    def __init__(self, units: dict[int, RegisterImage], host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in LOOPBACK:
            raise ValueError("simulators listen on loopback only")
        self.units, self.host, self._port = units, host, port
        self._sock: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        """The bound TCP port (useful with port=0)."""
        return self._port

    def start(self) -> "ModbusTcpSim":
        """Bind and serve in background threads."""
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.host, self._port))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self._port = self._sock.getsockname()[1]
        self._spawn(self._accept)
        return self

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="modbus-tcp-sim")
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self._conns.add(conn)
            self._spawn(self._serve, conn)

    def _recv(self, conn: socket.socket, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            try:
                chunk = conn.recv(size - len(data))
            except socket.timeout:
                if self._stopping.is_set():
                    return None
                continue
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        return data

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        try:
            while not self._stopping.is_set():
                header = self._recv(conn, 7)
                if header is None:
                    return
                tid, _, length, unit_id = struct.unpack(">HHHB", header)
                pdu = self._recv(conn, length - 1) if length > 1 else b""
                if pdu is None:
                    return
                image = self.units.get(unit_id)
                answer = handle_pdu(image, pdu) if image else exception_pdu(pdu[:1][0] if pdu else 0, GATEWAY_TARGET)
                self._send_tcp(conn, tid, unit_id, answer, pdu[:1])
        except _Hangup:
            return
        finally:
            self._conns.discard(conn)
            conn.close()

    def _send_tcp(self, conn: socket.socket, tid: int, unit_id: int, answer: bytes, function: bytes) -> None:
        fault = self.fault
        if fault == "disconnect":
            raise _Hangup()
        if fault == "timeout":
            return
        if fault == "exception" and function:
            answer = exception_pdu(function[0], DEVICE_FAILURE)
        frame = struct.pack(">HHHB", tid, 0, len(answer) + 1, unit_id) + answer
        if fault == "bad_crc":
            # TCP has no CRC: the corruption equivalent is an answer whose byte count disagrees with its data.
            frame = frame[:8] + bytes([(frame[8] + 2) & 0xFF]) + frame[9:] if len(frame) > 9 else frame[:-1]
        elif fault == "truncated":
            frame = frame[: max(1, len(frame) // 2)]
        try:
            conn.sendall(frame)
        except OSError as exc:
            raise _Hangup() from exc

    def stop(self) -> None:
        """Stop serving and close every connection."""
        self._stopping.set()
        if self._sock is not None:
            self._sock.close()
        for conn in list(self._conns):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the peer
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> "ModbusTcpSim":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _request_size(buffer: bytes) -> int | None:
    """The length of the RTU request at the start of `buffer`, or None if not yet known."""
    if len(buffer) < 2:
        return None
    if buffer[1] in (READ_HOLDING, READ_INPUT, WRITE_SINGLE):
        return 8
    if buffer[1] == WRITE_MULTIPLE:
        return 9 + buffer[6] if len(buffer) >= 7 else None
    return len(buffer)  # unknown function: take what came as one frame


class ModbusRtuSim(_FaultMixin):
    """Modbus RTU on a pseudo-terminal: `path` is the slave end a pyserial client opens."""

    def __init__(self, units: dict[int, RegisterImage]) -> None:
        self.units = units
        self.path = ""
        self._master = self._slave = -1
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "ModbusRtuSim":
        """Open the pty pair and serve in a background thread."""
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo or line editing: the line carries binary frames
        self.path = os.ttyname(self._slave)
        self._thread = threading.Thread(target=self._serve, daemon=True, name="modbus-rtu-sim")
        self._thread.start()
        return self

    def _serve(self) -> None:
        buffer = b""
        while not self._stopping.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                buffer = b""  # a quiet line ends any partial frame (the RTU inter-frame rule)
                continue
            try:
                buffer += os.read(self._master, 512)
            except OSError:
                return
            while (size := _request_size(buffer)) is not None and len(buffer) >= size:
                frame, buffer = buffer[:size], buffer[size:]
                if not crc_ok(frame):
                    buffer = b""  # real devices stay silent on a corrupt request
                    break
                self._answer(frame)

    def _answer(self, frame: bytes) -> None:
        image = self.units.get(frame[0])
        fault = self.fault
        if image is None or fault in ("timeout", "disconnect"):
            return  # another unit's request, or a dead device: RTU answers nothing
        answer = handle_pdu(image, frame[1:-2])
        if fault == "exception":
            answer = exception_pdu(frame[1], DEVICE_FAILURE)
        data = rtu_frame(frame[0], answer)
        if fault == "bad_crc":
            data = data[:-2] + bytes([data[-2] ^ 0xFF, data[-1]])
        elif fault == "truncated":
            data = data[: max(1, len(data) // 2)]
        try:
            os.write(self._master, data)
        except OSError:
            return

    def stop(self) -> None:
        """Stop serving and close the pty pair."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1

    def __enter__(self) -> "ModbusRtuSim":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
