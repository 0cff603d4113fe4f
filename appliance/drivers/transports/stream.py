"""Byte-stream transport over pyserial: serial ports, ptys, and socket:// TCP gateways."""

from __future__ import annotations

import termios
import threading
import time

import serial

from appliance.errors import TransportError

# A pty or USB adapter that hangs up makes termios calls fail with termios.error, not OSError.
_LINK_ERRORS = (serial.SerialException, OSError, termios.error)


class SerialStream:
    """A StreamLink over one pyserial port; a lock makes each exchange exclusive on a shared bus."""

    def __init__(self, url: str, *, baudrate: int = 9600, parity: str = "N", stopbits: int = 1,
                 bytesize: int = 8, inter_frame_gap_s: float = 0.0) -> None:
        self.url = url
        self.lock = threading.RLock()
        self.inter_frame_gap_s = inter_frame_gap_s
        self._last_io = 0.0
        self._rx = bytearray()
        try:
            self._port = serial.serial_for_url(url, baudrate=baudrate, parity=parity, stopbits=stopbits,
                                               bytesize=bytesize, timeout=0.05, write_timeout=2.0)
        except (*_LINK_ERRORS, ValueError) as exc:
            raise TransportError(f"cannot open {url}: {exc}") from exc

    def close(self) -> None:
        """Close the port; later calls raise TransportError."""
        self._port.close()

    def _gap(self) -> None:
        wait = self._last_io + self.inter_frame_gap_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def write(self, data: bytes) -> None:
        """Send bytes, honouring the bus's inter-frame gap."""
        self._gap()
        try:
            self._port.write(data)
            self._port.flush()
        except _LINK_ERRORS as exc:
            raise TransportError(f"write to {self.url} failed: {exc}") from exc
        self._last_io = time.monotonic()

    def _fill(self) -> bool:
        """Move what the port has into the receive buffer; True if anything came."""
        try:
            chunk = self._port.read(max(1, getattr(self._port, "in_waiting", 0) or 1))
        except _LINK_ERRORS as exc:
            raise TransportError(f"read from {self.url} failed: {exc}") from exc
        if chunk:
            self._rx += chunk
            self._last_io = time.monotonic()
        return bool(chunk)

    def _take(self, size: int) -> bytes:
        data = bytes(self._rx[:size])
        del self._rx[:size]
        return data

    def read(self, size: int, timeout: float) -> bytes:
        """Exactly `size` bytes, or TransportError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while len(self._rx) < size:
            if time.monotonic() > deadline:
                raise TransportError(f"timeout after {timeout:g} s on {self.url}: {len(self._rx)} of {size} bytes")
            self._fill()
        return self._take(size)

    def read_until(self, terminator: bytes, timeout: float, max_size: int = 65536) -> bytes:
        """Bytes up to and including `terminator`, or TransportError."""
        deadline = time.monotonic() + timeout
        while (at := self._rx.find(terminator)) < 0:
            if len(self._rx) > max_size:
                raise TransportError(f"no {terminator!r} within {max_size} bytes on {self.url}")
            if time.monotonic() > deadline:
                raise TransportError(f"timeout after {timeout:g} s on {self.url} waiting for {terminator!r}")
            self._fill()
        return self._take(at + len(terminator))

    def read_available(self, timeout: float) -> bytes:
        """Whatever arrives until the line is quiet for `timeout` seconds."""
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < timeout:
            if self._fill():
                quiet_since = time.monotonic()
        return self._take(len(self._rx))

    def reset_input(self) -> None:
        """Drop unread input."""
        self._rx.clear()
        try:
            self._port.reset_input_buffer()
        except _LINK_ERRORS as exc:
            raise TransportError(f"reset of {self.url} failed: {exc}") from exc
