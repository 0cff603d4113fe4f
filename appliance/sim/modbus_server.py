"""Simulated Modbus devices on loopback, served by pymodbus's own servers (TCP, RTU on a pty, RTU over TCP).

The appliance's client and these servers share no framing code: pymodbus frames both sides, the register
values come from a RegisterImage that a device simulator (and through it the site model) keeps current.
"""

from __future__ import annotations

import asyncio
import threading
from abc import ABC, abstractmethod
from typing import Any, Callable, Mapping, Sequence

from pymodbus.constants import ExcCodes
from pymodbus.framer import FramerRTU, FramerType
from pymodbus.pdu import ExceptionResponse, ModbusPDU
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from appliance.sim.null_modem import NullModem

FAULTS = (None, "timeout", "exception", "bad_crc", "truncated", "disconnect")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
ILLEGAL_FUNCTION, ILLEGAL_ADDRESS, ILLEGAL_VALUE, DEVICE_FAILURE, GATEWAY_TARGET = 1, 2, 3, 4, 11
ALL_FUNCTIONS = frozenset({3, 4, 6, 16})


class ModbusSimError(Exception):
    """A request the simulated device refuses with a Modbus exception code."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(message or f"Modbus exception {code}")
        self.code = code


class RegisterImage:
    """Holding and input registers of one unit; unmapped addresses answer 'illegal data address'."""

    def __init__(self, holding: Mapping[int, int] | None = None, input: Mapping[int, int] | None = None, *,
                 on_write: Callable[[int, list[int]], list[int] | None] | None = None,
                 refresh: Callable[["RegisterImage"], None] | None = None,
                 writable: set[int] | None = None, functions: frozenset[int] = ALL_FUNCTIONS,
                 max_read: int = 125) -> None:
        self.registers: dict[str, dict[int, int]] = {"holding": dict(holding or {}), "input": dict(input or {})}
        self.on_write = on_write
        self.refresh = refresh
        self.writable = writable  # None: every mapped holding register is writable
        self.functions = functions  # the function codes the device implements; others are 'illegal function'
        self.max_read = max_read  # the most registers one read may ask (the device's own limit)
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
        """`count` registers from `address`; ModbusSimError(2) if any is unmapped, (3) over the read limit."""
        if count > self.max_read:
            raise ModbusSimError(ILLEGAL_VALUE, f"this device answers at most {self.max_read} registers")
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
        """A Modbus write to holding registers; on_write sees it first and may refuse it (ModbusSimError) or
        return the words the device really stores (a device that clamps a value silently, as Deye's do)."""
        with self.lock:
            table = self.registers["holding"]
            for at in range(address, address + len(values)):
                if at not in table or (self.writable is not None and at not in self.writable):
                    raise ModbusSimError(ILLEGAL_ADDRESS, f"register {at} is not writable")
            if self.on_write is not None:
                stored = self.on_write(address, list(values))
                if stored is not None:
                    values = stored
            table.update({address + i: value & 0xFFFF for i, value in enumerate(values)})
            self.writes += 1

    def answer(self, function: int, address: int, count: int, values: Sequence[int] | None) -> list[int] | None:
        """One request as the device takes it: the words read, or None after a write; ModbusSimError refuses."""
        if function not in self.functions:
            raise ModbusSimError(ILLEGAL_FUNCTION, f"function {function} is not implemented")
        if values is not None:
            self.write(address, values)
            return None
        return self.read("input" if function == 4 else "holding", address, count)


def rtu_frame(body: bytes) -> bytes:
    """`body` (unit id and PDU) with pymodbus's CRC appended: a simulator's frame, independent of the driver's."""
    return body + FramerRTU.compute_CRC(body).to_bytes(2, "big")


def rtu_crc_ok(frame: bytes) -> bool:
    """Whether an RTU frame's last two bytes are pymodbus's CRC of the rest."""
    return len(frame) >= 4 and FramerRTU.check_CRC(frame[:-2], int.from_bytes(frame[-2:], "big"))


def _device(unit_id: int, image: RegisterImage | None) -> SimDevice:
    """A pymodbus SimDevice over the whole address space whose every access goes through `image`."""

    async def action(function: int, start: int, address: int, count: int, registers: list[int],
                     values: list[int] | list[bool] | None) -> ExcCodes | None:
        if image is None:
            return ExcCodes.GATEWAY_NO_RESPONSE  # the catch-all unit of a gateway: nobody answers there
        try:
            words = image.answer(function, address, count, None if values is None else [int(v) for v in values])
        except ModbusSimError as exc:
            return ExcCodes(exc.code)
        except Exception:  # noqa: BLE001 - a broken values source is a device failure, not a dead server
            return ExcCodes.DEVICE_FAILURE
        if words is not None:
            registers[address - start:address - start + count] = words
        return None

    bits = [SimData(0, count=16, values=False, datatype=DataType.BITS)]
    words = [SimData(0, count=0x10000, values=0, datatype=DataType.REGISTERS)]
    return SimDevice(unit_id, simdata=(bits, list(bits), words, list(words)), action=action)


class _ServedSim(ABC):
    """A pymodbus server in its own event-loop thread, with the fault switch applied through its trace hooks."""

    rtu = False
    _fault: str | None = None

    def __init__(self, units: dict[int, RegisterImage]) -> None:
        self.units = units
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Any = None

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

    def trace_pdu(self, handler: Any, sending: bool, pdu: ModbusPDU) -> ModbusPDU | None:
        """Drop or replace PDUs as the fault says; None drops a request unanswered."""
        fault = self.fault
        if not sending:
            if self.rtu and pdu.dev_id not in self.units:
                return None  # another unit's request: on RS485 only the addressed unit answers
            if fault == "timeout" or (fault == "disconnect" and self.rtu):
                return None
            if fault == "disconnect":
                handler.loop.call_soon(handler.close)
                return None
            return pdu
        if fault == "exception":
            answer = ExceptionResponse(pdu.function_code & 0x7F, ExcCodes.DEVICE_FAILURE)
            answer.dev_id, answer.transaction_id = pdu.dev_id, pdu.transaction_id
            return answer
        return pdu

    def trace_packet(self, sending: bool, data: bytes) -> bytes:
        """Corrupt or cut an answer's bytes as the fault says."""
        fault = self.fault
        if not sending or not data:
            return data
        if fault == "bad_crc":
            if self.rtu:
                return data[:-1] + bytes([data[-1] ^ 0xFF])
            # TCP has no CRC: the corruption equivalent is an answer whose byte count disagrees with its data.
            return data[:8] + bytes([(data[8] + 2) & 0xFF]) + data[9:] if len(data) > 9 else data[:-1]
        if fault == "truncated":
            return data[:max(1, len(data) // 2)]
        return data

    @abstractmethod
    def _make_server(self) -> Any:
        """The pymodbus server for this transport (built inside the event loop)."""

    def _devices(self) -> list[SimDevice]:
        devices = [_device(unit_id, image) for unit_id, image in self.units.items()]
        if not self.rtu and 0 not in self.units:
            devices.append(_device(0, None))  # pymodbus routes unknown unit ids to unit 0
        return devices

    def _serve(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def _run(self, coro: Any, timeout: float = 10.0) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def start_server(self) -> None:
        """Start pymodbus's server in its own event-loop thread and wait until it listens."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"{type(self).__name__}")
        self._thread.start()

        async def start() -> Any:
            server = self._make_server()
            await server.serve_forever(background=True)
            return server

        try:
            self._server = self._run(start())
        except Exception:
            self.stop_server()
            raise

    def stop_server(self) -> None:
        """Shut the server down, close its connections and end the loop thread."""
        if self._loop is None:
            return
        if self._server is not None:
            try:
                self._run(self._server.shutdown(), timeout=5.0)
            except Exception:  # noqa: BLE001 - a server that failed half-way still has a loop to end
                pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._loop.close()
        self._loop, self._thread, self._server = None, None, None


def _hooked(server_class: type) -> type:
    """A pymodbus server class whose every connection handler carries the simulator's fault hooks."""

    class Hooked(server_class):
        sim: _ServedSim

        def callback_new_connection(self) -> Any:
            handler = super().callback_new_connection()
            handler.trace_pdu = lambda sending, pdu: self.sim.trace_pdu(handler, sending, pdu)
            handler.trace_packet = self.sim.trace_packet
            return handler

    Hooked.__name__ = f"Hooked{server_class.__name__}"
    return Hooked


_TcpServer, _SerialServer = _hooked(ModbusTcpServer), _hooked(ModbusSerialServer)


class ModbusTcpSim(_ServedSim):
    """Modbus TCP on 127.0.0.1 for a set of unit ids (an unknown unit id answers 'gateway target failed')."""

    def __init__(self, units: dict[int, RegisterImage], host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in LOOPBACK:
            raise ValueError("simulators listen on loopback only")
        super().__init__(units)
        self.host, self._port = host, port

    @property
    def port(self) -> int:
        """The bound TCP port (useful with port=0)."""
        return self._port

    def _make_server(self) -> Any:
        server = _TcpServer(self._devices(), address=(self.host, self._port))
        server.sim = self
        return server

    def start(self) -> "ModbusTcpSim":
        """Bind and serve in a background thread."""
        self.start_server()
        self._port = self._server.transport.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Stop serving and close every connection."""
        self.stop_server()

    def __enter__(self) -> "ModbusTcpSim":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ModbusRtuSim(_ServedSim):
    """Modbus RTU for a set of unit ids on one line: a pty pair (`path`), or a TCP gateway (`over_tcp=True`).

    `url` is what a client opens: the pty path, or `socket://127.0.0.1:PORT` for RTU framing over TCP.
    """

    rtu = True

    def __init__(self, units: dict[int, RegisterImage], *, over_tcp: bool = False, baudrate: int = 9600) -> None:
        super().__init__(units)
        self.over_tcp, self.baudrate = over_tcp, baudrate
        self.path = self.url = ""
        self._modem: NullModem | None = None

    def _make_server(self) -> Any:
        port = "socket://127.0.0.1:0" if self.over_tcp else self._modem.device_path if self._modem else ""
        server = _SerialServer(self._devices(), framer=FramerType.RTU, port=port, baudrate=self.baudrate,
                               ignore_missing_devices=True)
        server.sim = self
        return server

    def start(self) -> "ModbusRtuSim":
        """Open the line and serve in a background thread."""
        if not self.over_tcp:
            self._modem = NullModem().start()
            self.path = self.url = self._modem.path
        try:
            self.start_server()
        except Exception:
            self.stop()
            raise
        if self.over_tcp:
            self.url = f"socket://127.0.0.1:{self._server.transport.sockets[0].getsockname()[1]}"
        return self

    def stop(self) -> None:
        """Stop serving and close the line."""
        self.stop_server()
        if self._modem is not None:
            self._modem.stop()
            self._modem = None

    def __enter__(self) -> "ModbusRtuSim":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
