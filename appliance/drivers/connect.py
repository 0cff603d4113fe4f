"""From an adapter config to a driver on its link: one shared bus per serial port or TCP endpoint."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, Union

from appliance.drivers import driver_for
from appliance.drivers.base import Driver
from appliance.drivers.links import BleLink, ModbusBus, StreamLink
from appliance.drivers.transports.modbus import RtuBus, TcpBus
from appliance.drivers.transports.stream import SerialStream
from appliance.errors import ApplianceError, TransportError, ValidationError
from appliance.jsontypes import JsonObject, as_list, to_float, to_int

if TYPE_CHECKING:
    from appliance.drivers.transports.ble import BleLoop

#: What the pool keeps open per endpoint: a Modbus bus, a byte stream, or a pack's BLE links.
Handle = Union[ModbusBus, StreamLink, list[BleLink]]

log = logging.getLogger(__name__)

MODBUS_TYPES = frozenset({"powdrive", "senergy", "sunspec", "iammeter", "acuvim2", "powerpack", "modbus_template"})
STREAM_TYPES = frozenset({"pytes", "pylontech_rs485", "jkbms_rs485", "jkbms_tcpip"})
BLE_TYPES = frozenset({"jkbms_ble"})


def bus_key(adapter_type: str, config: JsonObject) -> str:
    """The physical line a device talks on: devices with the same key share one bus and its lock."""
    if adapter_type in BLE_TYPES:
        return "ble:" + ",".join(str(a).upper() for a in as_list(config.get("bt_addresses")))
    if adapter_type == "jkbms_tcpip":
        return f"tcp:{config.get('host')}:{config.get('port', 5022)}"
    if adapter_type in MODBUS_TYPES and config.get("transport") == "tcp":
        return f"tcp:{config.get('host')}:{config.get('port', 502)}"
    if config.get("serial_port"):
        return f"serial:{config['serial_port']}"
    raise ValidationError(f"{adapter_type} adapter config names no serial_port or host", field="config")


def link_key(adapter_type: str, config: JsonObject) -> str:
    """The pool's key of an open link: protocol and endpoint. Modbus devices on one line share one link;
    a JK BMS behind a TCP gateway never gets the Modbus TcpBus a discovery probe opened on the same port."""
    protocol = "modbus" if adapter_type in MODBUS_TYPES else adapter_type
    return f"{protocol}@{bus_key(adapter_type, config)}"


@dataclass
class _Bus:
    handle: Handle | None
    lock: threading.RLock


class LinkPool:
    """Opens each bus once, hands out links, and closes a bus after a failure so the next use reopens it."""

    def __init__(self, ble_link_factory: Callable[[str, float], BleLink] | None = None) -> None:
        self._buses: dict[str, _Bus] = {}  # by link_key: one open link per protocol and endpoint
        self._locks: dict[str, threading.RLock] = {}  # by bus_key: one lock per physical line
        self._guard = threading.Lock()
        self._ble_link_factory = ble_link_factory
        self._ble_loop: BleLoop | None = None

    def lock_for(self, key: str) -> threading.RLock:
        """The lock that makes a whole exchange on one bus exclusive (`key`: a link_key or a bus_key)."""
        endpoint = key.partition("@")[2] or key
        with self._guard:
            lock = self._locks.setdefault(endpoint, threading.RLock())
            if "@" in key and key not in self._buses:
                self._buses[key] = _Bus(None, lock)
            return lock

    def _open(self, key: str, adapter_type: str, config: JsonObject) -> Handle:
        timeout = to_float(config.get("timeout_s", 3.0), "timeout_s")
        baudrate, parity = to_int(config.get("baudrate", 9600), "baudrate"), str(config.get("parity", "N"))
        stopbits = to_int(config.get("stopbits", 1), "stopbits")
        bytesize = to_int(config.get("bytesize", 8), "bytesize")
        if adapter_type in MODBUS_TYPES:
            if config.get("transport") == "tcp":
                return TcpBus(str(config["host"]), to_int(config.get("port", 502), "port"), timeout_s=timeout)
            return RtuBus(str(config["serial_port"]), timeout_s=timeout, baudrate=baudrate, parity=parity,
                          stopbits=stopbits, bytesize=bytesize)
        if adapter_type == "jkbms_tcpip":
            return SerialStream(f"socket://{config['host']}:{to_int(config.get('port', 5022), 'port')}",
                                baudrate=baudrate, parity=parity, stopbits=stopbits, bytesize=bytesize)
        if adapter_type in STREAM_TYPES:
            return SerialStream(str(config["serial_port"]), baudrate=baudrate, parity=parity, stopbits=stopbits,
                                bytesize=bytesize)
        if adapter_type in BLE_TYPES:
            return [self._ble_link(str(address), timeout) for address in as_list(config["bt_addresses"])]
        raise ValidationError(f"no transport known for adapter type {adapter_type!r}", field="adapter_type")

    def _ble_link(self, address: str, timeout: float) -> BleLink:
        if self._ble_link_factory is not None:
            return self._ble_link_factory(address, timeout)
        from appliance.drivers.transports.ble import BleakLink, BleLoop

        if self._ble_loop is None:
            self._ble_loop = BleLoop().start()
        link = BleakLink(self._ble_loop, address)
        link.connect()
        return link

    def link(self, adapter_type: str, config: JsonObject) -> tuple[object, threading.RLock]:
        """The driver link for an adapter config, and the lock of its bus."""
        key = link_key(adapter_type, config)
        lock = self.lock_for(key)
        with lock:
            bus = self._buses[key]
            if bus.handle is None:
                bus.handle = self._open(bus_key(adapter_type, config), adapter_type, config)
            handle = bus.handle
        if isinstance(handle, ModbusBus):  # structural: the backfill's in-process image buses too
            return handle.unit(to_int(config.get("unit_id", 1), "unit_id")), lock
        return handle, lock

    def reset(self, adapter_type: str, config: JsonObject) -> None:
        """Close a bus after a failure; it is reopened on next use (a USB adapter may have come back)."""
        key = link_key(adapter_type, config)
        with self.lock_for(key):
            bus = self._buses[key]
            handle, bus.handle = bus.handle, None
        _close(handle)

    @contextmanager
    def borrow(self, adapter_type: str, config: JsonObject) -> Iterator[tuple[Driver, threading.RLock]]:
        """A driver for one short exchange: a bus opened for it is closed after, one already open stays open."""
        key = link_key(adapter_type, config)
        with self._guard:
            already_open = key in self._buses and self._buses[key].handle is not None
        try:
            yield open_driver(adapter_type, config, self)
        finally:
            if not already_open:
                try:
                    self.reset(adapter_type, config)
                except ApplianceError as exc:
                    log.debug("closing %s: %s", key, exc)

    def close_all(self) -> None:
        """Close every bus and the BLE loop."""
        with self._guard:
            buses, self._buses = list(self._buses.values()), {}
        for bus in buses:
            _close(bus.handle)
        if self._ble_loop is not None:
            self._ble_loop.stop()
            self._ble_loop = None


def _close(handle: Handle | None) -> None:
    for item in handle if isinstance(handle, list) else [handle]:
        close = getattr(item, "close", None)  # a BleLink may have none (test links)
        if item is not None and close is not None:
            try:
                close()
            except (TransportError, OSError) as exc:
                log.debug("closing %r: %s", item, exc)


def open_driver(adapter_type: str, config: JsonObject, pool: LinkPool) -> tuple[Driver, threading.RLock]:
    """A driver instance on its pooled link, and the lock to hold around each call."""
    link, lock = pool.link(adapter_type, config)
    return driver_for(adapter_type)(config, link), lock
