"""A simulated JK pack behind a transparent RS485-TCP gateway (127.0.0.1) or on a pty, with fault injection."""

from __future__ import annotations

import os
import random
import select
import socket
import threading
import tty
from typing import Any, Callable

from appliance.drivers import jk_frames, jk_legacy
from appliance.drivers.jk_frames import JK02_32S
from appliance.sim import jkbms_render as render
from appliance.sim.jkbms_render import ValuesSource
from appliance.sim.modbus_server import rtu_crc_ok, rtu_frame
from appliance.errors import DecodeError

FAULTS = (None, "timeout", "bad_checksum", "truncated", "garbage", "disconnect")
MODBUS_TRIGGER_LEN = 11


def _ack(unit_id: int, register: int) -> bytes:
    """The FC 0x10 acknowledgement (unit, 10, register, quantity 1), framed with pymodbus's CRC."""
    return rtu_frame(bytes([unit_id & 0xFF, 0x10, register >> 8, register & 0xFF, 0x00, 0x01]))


class JkPack:
    """The protocol side of one pack: turns request bytes into reply bytes (or a fault)."""

    def __init__(self, values: ValuesSource | None = None, *, protocol: str = "jkpb", unit_id: int = 1,
                 variant: str = JK02_32S, fault: str | None = None, seed: int = 0) -> None:
        if protocol not in ("jkpb", "legacy"):
            raise ValueError(f"protocol must be jkpb or legacy, not {protocol!r}")
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        self.values = values or render.default_values
        self.protocol, self.unit_id, self.variant, self.fault = protocol, unit_id, variant, fault
        self.rng = random.Random(seed)
        self.requests = 0
        self._buf = bytearray()
        self._counter = 0

    def _frame_for(self, register: int) -> bytes:
        values = self.values()
        self._counter += 1
        kind = jk_frames.TRIGGER_FRAME_TYPE[register]
        if kind == jk_frames.TYPE_DEVICE_INFO:
            return render.device_info_frame(values, self._counter, self.variant)
        if kind == jk_frames.TYPE_SETTINGS:
            return render.settings_frame(values, self._counter, self.unit_id)
        return render.cell_info_frame(values, self.variant, self._counter)

    def _faulty(self, reply: bytes) -> bytes | None:
        """The reply as the configured fault shapes it; None means close the link."""
        if self.fault == "timeout":
            return b""
        if self.fault == "bad_checksum":
            at = 299 if reply.startswith(jk_frames.HEADER) else len(reply) - 1
            return reply[:at] + bytes([reply[at] ^ 0x5A]) + reply[at + 1:]
        if self.fault == "truncated":
            return reply[:len(reply) // 2]
        if self.fault == "garbage":
            # No byte 0x55 or 0x4E, so the garbage can never resync into a valid frame.
            return bytes(self.rng.choice([b for b in range(256) if b not in (0x55, 0x4E)]) for _ in range(len(reply)))
        if self.fault == "disconnect":
            return None
        return reply

    def feed(self, data: bytes) -> list[bytes | None]:
        """Process received bytes; return the replies to send in order (None = hang up)."""
        self._buf += data
        replies: list[bytes | None] = []
        while True:
            reply = self._jkpb_request() if self.protocol == "jkpb" else self._legacy_request()
            if reply is None:
                break
            if reply:
                replies.append(self._faulty(reply))
        return replies

    def _jkpb_request(self) -> bytes | None:
        for at in range(0, len(self._buf) - MODBUS_TRIGGER_LEN + 1):
            req = bytes(self._buf[at:at + MODBUS_TRIGGER_LEN])
            if req[1] != 0x10 or not rtu_crc_ok(req):  # pymodbus's CRC, not the appliance's
                continue
            del self._buf[:at + MODBUS_TRIGGER_LEN]
            register = int.from_bytes(req[2:4], "big")
            if req[0] != self.unit_id or register not in jk_frames.TRIGGER_FRAME_TYPE:
                # Another pack's address or an unknown register: stay silent, as the bus would.
                return b""
            self.requests += 1
            return self._frame_for(register) + _ack(self.unit_id, register)
        if len(self._buf) > 256:
            del self._buf[:-MODBUS_TRIGGER_LEN]
        return None

    def _legacy_request(self) -> bytes | None:
        at = self._buf.find(jk_legacy.START)
        if at < 0:
            del self._buf[:-1]
            return None
        del self._buf[:at]
        if len(self._buf) < 4:
            return None
        total = int.from_bytes(self._buf[2:4], "big") + 2
        if not jk_legacy.MIN_FRAME <= total <= 64:
            del self._buf[:2]
            return b""
        if len(self._buf) < total:
            return None
        request = bytes(self._buf[:total])
        del self._buf[:total]
        try:
            jk_legacy.check_frame(request)
        except DecodeError:  # the sim ignores broken requests, as a real BMS does
            return b""
        self.requests += 1
        return render.legacy_frame(self.values())


class JkGatewaySim:
    """A transparent RS485-TCP gateway on 127.0.0.1 in front of one simulated JK pack."""

    def __init__(self, values: ValuesSource | None = None, *, port: int = 0, **pack: Any) -> None:
        self.pack = JkPack(values, **pack)
        self._requested_port = port
        self._server: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()
        self.port = 0

    @property
    def fault(self) -> str | None:
        """The fault injected into replies."""
        return self.pack.fault

    @fault.setter
    def fault(self, value: str | None) -> None:
        if value not in FAULTS:
            raise ValueError(f"unknown fault {value!r}")
        self.pack.fault = value

    def start(self) -> "JkGatewaySim":
        """Listen on 127.0.0.1 (port 0 = ephemeral, see `.port`) and serve in a thread."""
        self._server = socket.create_server(("127.0.0.1", self._requested_port))
        self._server.settimeout(0.1)
        self.port = self._server.getsockname()[1]
        self._spawn(self._accept_loop)
        return self

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="jkbms-gateway-sim")
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            conn.settimeout(0.1)
            self._conns.append(conn)
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            while not self._stop.is_set():
                try:
                    data = conn.recv(4096)
                except (TimeoutError, socket.timeout):
                    continue
                except OSError:
                    return
                if not data:
                    return
                for reply in self.pack.feed(data):
                    if reply is None:
                        return
                    try:
                        conn.sendall(reply)
                    except OSError:
                        return

    def stop(self) -> None:
        """Close the listener and every connection, and join the threads."""
        self._stop.set()
        for sock in [self._server, *self._conns]:
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    continue
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> "JkGatewaySim":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class JkPtySim:
    """A simulated JK pack on a pseudo-terminal; open `.path` with pyserial like an RS485 adapter."""

    def __init__(self, values: ValuesSource | None = None, **pack: Any) -> None:
        self.pack = JkPack(values, **pack)
        self._master = self._slave = -1
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.path = ""

    @property
    def fault(self) -> str | None:
        """The fault injected into replies ("disconnect" hangs up the pty for good)."""
        return self.pack.fault

    @fault.setter
    def fault(self, value: str | None) -> None:
        if value not in FAULTS:
            raise ValueError(f"unknown fault {value!r}")
        self.pack.fault = value

    def start(self) -> "JkPtySim":
        """Create the pty pair and answer requests in a thread."""
        self._master, self._slave = os.openpty()
        # Raw mode: no echo or newline translation, or the sim would read back its own replies.
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._thread = threading.Thread(target=self._serve, daemon=True, name="jkbms-pty-sim")
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(self._master, 4096)
            except OSError:
                return
            for reply in self.pack.feed(data):
                if reply is None:
                    # Let the writer's tcdrain finish first: SerialStream converts read errors after a
                    # hang-up, but pyserial's flush raises termios.error, which it does not convert.
                    self._stop.wait(0.05)
                    self._close_master()
                    return
                try:
                    os.write(self._master, reply)
                except OSError:
                    return

    def _close_master(self) -> None:
        if self._master >= 0:
            os.close(self._master)
            self._master = -1

    def stop(self) -> None:
        """Stop answering and close both ends of the pty."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._close_master()
        if self._slave >= 0:
            os.close(self._slave)
            self._slave = -1

    def __enter__(self) -> "JkPtySim":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
