"""A transparent serial-to-TCP gateway on 127.0.0.1 (like the RS485 gateways installers put in front of a bus).

Clients that drive modem lines a pty does not have (RTS for an RS485 transmitter) reach a simulator through
it with pyserial's `socket://` URL, where those lines are ignored.
"""

from __future__ import annotations

import select
import socket
import threading

import serial


class SerialTcpGateway:
    """Relays the bytes of one TCP client at a time to and from the serial port at `path`."""

    def __init__(self, path: str, *, baudrate: int = 115200) -> None:
        self.path, self.baudrate = path, baudrate
        self.port = 0
        self._server: socket.socket | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The pyserial URL a client opens."""
        return f"socket://127.0.0.1:{self.port}"

    def start(self) -> "SerialTcpGateway":
        """Listen on a free loopback port and relay in a background thread."""
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.1)
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True, name="serial-gateway")
        self._thread.start()
        return self

    def _accept(self) -> None:
        assert self._server is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn, serial.Serial(self.path, baudrate=self.baudrate, timeout=0) as line:
                self._relay(conn, line)

    def _relay(self, conn: socket.socket, line: serial.Serial) -> None:
        while not self._stopping.is_set():
            ready, _, _ = select.select([conn, line.fileno()], [], [], 0.05)
            if conn in ready:
                data = conn.recv(4096)
                if not data:
                    return  # the client hung up: wait for the next one
                line.write(data)
            if line.fileno() in ready:
                data = line.read(4096)
                if data:
                    conn.sendall(data)

    def stop(self) -> None:
        """Stop relaying and close the listening socket."""
        self._stopping.set()
        if self._server is not None:
            self._server.close()
        if self._thread is not None:
            self._thread.join(timeout=2)
