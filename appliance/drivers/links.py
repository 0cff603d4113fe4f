"""The transport contracts drivers are written against; concrete transports live in drivers/transports/."""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable


class ModbusLink(Protocol):
    """One unit id on a Modbus bus (RTU or TCP); every call has a timeout and raises TransportError."""

    unit_id: int

    def read_holding(self, address: int, count: int) -> list[int]:
        """FC03: `count` 16-bit registers from `address`."""
        ...

    def read_input(self, address: int, count: int) -> list[int]:
        """FC04: `count` 16-bit input registers from `address`."""
        ...

    def write_registers(self, address: int, values: Sequence[int]) -> None:
        """FC16: write 16-bit registers from `address`."""
        ...

    def write_register(self, address: int, value: int) -> None:
        """FC06: write one 16-bit register."""
        ...


@runtime_checkable
class ModbusBus(Protocol):
    """A Modbus line (RTU, TCP, or a simulator's image in a backfill) that hands out one link per unit id."""

    def unit(self, unit_id: int) -> ModbusLink:
        """The link of one unit id on this line."""
        ...

    def close(self) -> None:
        """Close the line."""
        ...


class StreamLink(Protocol):
    """A byte stream (serial port, pty, or TCP gateway); reads time out with TransportError."""

    def write(self, data: bytes) -> None:
        """Send bytes."""
        ...

    def read(self, size: int, timeout: float) -> bytes:
        """Exactly `size` bytes, or TransportError after `timeout` seconds."""
        ...

    def read_until(self, terminator: bytes, timeout: float, max_size: int = 65536) -> bytes:
        """Bytes up to and including `terminator`, or TransportError."""
        ...

    def read_available(self, timeout: float) -> bytes:
        """Whatever arrives until the line is quiet for `timeout` seconds (may be empty)."""
        ...

    def reset_input(self) -> None:
        """Drop unread input (junk from a previous exchange)."""
        ...


class BleLink(Protocol):
    """A connected BLE peripheral as seen from a driver thread (the asyncio side is hidden)."""

    address: str

    def write(self, data: bytes, timeout: float) -> None:
        """Write to the device's command characteristic."""
        ...

    def notifications(self, timeout: float) -> bytes:
        """The next notification chunk, or TransportError after `timeout` seconds."""
        ...
