"""BLE transport over bleak: one asyncio thread owns all BLE work; driver threads call in with a timeout."""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable, Iterable, TypeVar

from appliance.errors import TransportError

if TYPE_CHECKING:  # bleak itself is imported only when BLE is used
    from bleak import BleakClient
    from bleak.backends.characteristic import BleakGATTCharacteristic
    from bleak.backends.device import BLEDevice
    from bleak.backends.scanner import AdvertisementData

JK_SERVICE_UUID = "0000ffe0-0000-1000-8000-00805f9b34fb"
JK_CHAR_UUID = "0000ffe1-0000-1000-8000-00805f9b34fb"
WRITE_PROPS = ("write-without-response", "write")
#: Notifications kept per link; the oldest are dropped first when a driver stops polling.
QUEUE_SIZE = 2048

T = TypeVar("T")


def _bleak_errors() -> tuple[type[BaseException], ...]:
    from bleak.exc import BleakError  # imported lazily: nothing BLE loads until BLE is used
    return (BleakError, OSError, asyncio.TimeoutError, EOFError)


class BleLoop:
    """The one event-loop thread that owns every BLE operation of the process."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> "BleLoop":
        """Start the loop thread (idempotent)."""
        with self._lock:
            if self._thread is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="ble-loop")
                self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the loop and join its thread."""
        with self._lock:
            if self._loop is not None and self._thread is not None:
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join(timeout=5)
                self._loop.close()
            self._loop = self._thread = None

    def run(self, make: Callable[[], Awaitable[T]], timeout: float, what: str) -> T:
        """Run a coroutine on the loop from a driver thread; bleak errors and timeouts become TransportError."""
        if self._loop is None:
            raise TransportError("the BLE loop is not running")

        async def wrapped() -> T:
            return await asyncio.wait_for(make(), timeout)

        future = asyncio.run_coroutine_threadsafe(wrapped(), self._loop)
        try:
            # A little grace over the coroutine's own timeout, so wait_for reports first and cancels cleanly.
            return future.result(timeout + 1.0)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise TransportError(f"BLE {what}: no answer within {timeout:g} s") from exc
        except _bleak_errors() as exc:
            raise TransportError(f"BLE {what} failed: {exc or type(exc).__name__}") from exc


def _props(char: object) -> set[str]:
    return {str(p).lower() for p in getattr(char, "properties", ())}


def select_characteristics(services: Iterable[object]) -> tuple[BleakGATTCharacteristic, BleakGATTCharacteristic]:
    """The (write, notify) characteristics of a JK module, chosen by property, not by handle.

    The new module has two FFE1 characteristics (write at handle 0x03, notify at 0x05); the old one has a
    single FFE1 with both properties, so the same object is returned twice.
    """
    chars = [c for s in services for c in getattr(s, "characteristics", ())
             if str(getattr(c, "uuid", "")).lower() == JK_CHAR_UUID]
    if not chars:
        raise TransportError("no FFE1 characteristic: not a JK BMS BLE module")
    notify = [c for c in chars if "notify" in _props(c)]
    write = [c for c in chars if _props(c) & set(WRITE_PROPS)]
    if not notify or not write:
        raise TransportError("the FFE1 characteristics lack a notify or a write property")
    # Prefer distinct objects when the module offers them: a write-only and a notify-only characteristic.
    write_only = [c for c in write if "notify" not in _props(c)] or write
    notify_only = [c for c in notify if not _props(c) & set(WRITE_PROPS)] or notify
    return write_only[0], notify_only[0]


def uses_response(char: object) -> bool:
    """Write with response only when the characteristic cannot take a write without response."""
    return "write-without-response" not in _props(char)


@dataclass(frozen=True)
class Advertisement:
    """A BLE advertisement that looks like a JK BMS."""

    address: str
    name: str | None
    rssi: int | None
    service_uuids: tuple[str, ...]


def is_jk_advertisement(name: str | None, service_uuids: Iterable[str]) -> bool:
    """Whether a name (JK-..., JK_..., JKBMS...) or the FFE0 service marks a device as a JK BMS."""
    uuids = {str(u).lower() for u in service_uuids}
    return JK_SERVICE_UUID in uuids or (name or "").upper().startswith(("JK-", "JK_", "JKBMS", "JK BMS"))


def scan(loop: BleLoop, timeout: float = 8.0) -> list[Advertisement]:
    """Scan for advertisements and return those of JK BMSs (for discovery)."""
    from bleak import BleakScanner

    async def discover() -> dict[str, tuple[BLEDevice, AdvertisementData]]:
        return await BleakScanner.discover(timeout=timeout, return_adv=True)

    found = loop.run(discover, timeout + 5.0, "scan")
    result = []
    for device, adv in found.values():
        name = adv.local_name or device.name
        if is_jk_advertisement(name, adv.service_uuids or ()):
            result.append(Advertisement(device.address, name, adv.rssi, tuple(adv.service_uuids or ())))
    return result


class BleakLink:
    """A BleLink over bleak: connect, pick characteristics by property, subscribe, queue notifications."""

    def __init__(self, loop: BleLoop, address: str, *, connect_timeout: float = 20.0) -> None:
        self.loop = loop
        self.address = address
        self.connect_timeout = connect_timeout
        self._client: BleakClient | None = None
        self._write_char: BleakGATTCharacteristic | None = None
        self._queue: queue.Queue[bytes] = queue.Queue(QUEUE_SIZE)

    def _on_notify(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        # Runs on the loop thread; queue.Queue hands chunks to the driver thread safely.
        try:
            self._queue.put_nowait(bytes(data))
        except queue.Full:
            self._queue.get_nowait()
            self._queue.put_nowait(bytes(data))

    def connect(self) -> None:
        """Connect, choose the write and notify characteristics, and subscribe."""
        from bleak import BleakClient

        async def go() -> None:
            client = BleakClient(self.address, timeout=self.connect_timeout)
            await client.connect()
            try:
                write, notify = select_characteristics(client.services)
                await client.start_notify(notify, self._on_notify)
            except BaseException:
                await client.disconnect()
                raise
            self._client, self._write_char = client, write

        self.loop.run(go, self.connect_timeout + 5.0, f"connect to {self.address}")

    @property
    def connected(self) -> bool:
        """Whether the peripheral is connected."""
        return self._client is not None and bool(self._client.is_connected)

    def write(self, data: bytes, timeout: float) -> None:
        """Write to the command characteristic (without response where the module allows it)."""
        client, char = self._client, self._write_char
        if client is None or char is None:
            raise TransportError(f"BLE {self.address} is not connected")

        async def go() -> None:
            await client.write_gatt_char(char, data, response=uses_response(char))

        self.loop.run(go, timeout, f"write to {self.address}")

    def notifications(self, timeout: float) -> bytes:
        """The next notification chunk, or TransportError after `timeout` seconds."""
        try:
            return self._queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            raise TransportError(f"no BLE notification from {self.address} within {timeout:g} s") from None

    def close(self) -> None:
        """Disconnect; errors while disconnecting are reported as TransportError."""
        client, self._client = self._client, None
        if client is not None:
            self.loop.run(client.disconnect, 10.0, f"disconnect from {self.address}")
