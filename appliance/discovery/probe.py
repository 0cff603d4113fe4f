"""Identify what answers on a port: each family's identify() in a safe order, short timeouts, buses closed between."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from appliance.catalog.validation import check_adapter_config
from appliance.drivers import driver_for
from appliance.drivers.base import Identity
from appliance.drivers.connect import LinkPool
from appliance.errors import ApplianceError

log = logging.getLogger(__name__)

#: Modbus RTU families probed first at 9600 8N1 (fact sheet B1 §7 order; powerpack is TCP-only in practice).
SERIAL_MODBUS = ("sunspec", "powdrive", "senergy", "iammeter", "acuvim2")
#: The 115200-baud byte-stream families, tried only when no Modbus unit answered on the port.
SERIAL_STREAM = ("pytes", "pylontech_rs485", "jkbms_rs485")
TCP_MODBUS = ("sunspec", "powdrive", "senergy", "iammeter", "acuvim2", "powerpack")
TCP_STREAM = ("jkbms_tcpip",)
SOURCES = ("usb", "ble", "tcp")
DEFAULT_TIMEOUT_S = 1.0
SERIAL_LINES: Mapping[str, Mapping[str, Any]] = {
    "modbus": {"baudrate": 9600, "parity": "N", "stopbits": 1, "bytesize": 8},
    "stream": {"baudrate": 115200, "parity": "N", "stopbits": 1, "bytesize": 8},
}


@dataclass(frozen=True)
class Found:
    """One identified device: where it is, which adapter talks to it, and what it says it is."""

    source: str
    port: str
    adapter_type: str
    category: str
    adapter_config: dict[str, Any]
    model: str | None = None
    serial_number: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def unit_id(self) -> int | None:
        """The Modbus unit id (or JK address) the device answered on, if the family has one."""
        value = self.adapter_config.get("unit_id")
        return int(value) if value is not None else None


def _clean(value: object) -> str | None:
    text = str(value).strip().strip("\x00").strip() if value is not None else ""
    return text or None


def tcp_port_open(host: str, port: int, timeout_s: float) -> bool:
    """Whether something accepts TCP connections at host:port (a cheap check before trying every family)."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


class Prober:
    """Runs identify() of candidate adapter configs on pooled links, closing each bus afterwards.

    The pool is its caller's: the runtime's (the pollers' bus locks apply), or one a one-shot tool opens and
    closes itself."""

    def __init__(self, pool: LinkPool, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                 unit_ids: Sequence[int] = (1,)) -> None:
        self.pool = pool
        self.timeout_s = timeout_s
        self.unit_ids = tuple(unit_ids) or (1,)

    def identify(self, source: str, port: str, adapter_type: str, config: Mapping[str, Any]) -> Found:
        """Identify one candidate; raises the driver's ApplianceError when it is not this family."""
        body = {**config, "timeout_s": self.timeout_s}
        # Borrow: a bus the prober opens is closed after (the next family may need another baud rate);
        # a bus the pollers already use stays open, so discovery never costs a device a poll.
        with self.pool.borrow(adapter_type, body) as (driver, lock):
            with lock:
                identity: Identity = driver.identify()
        saved = check_adapter_config(adapter_type, dict(config))
        return Found(source=source, port=port, adapter_type=adapter_type,
                     category=driver_for(adapter_type).category, adapter_config=saved,
                     model=_clean(identity.model), serial_number=_clean(identity.serial_number),
                     details=dict(identity.details))

    def try_identify(self, source: str, port: str, adapter_type: str, config: Mapping[str, Any]) -> Found | None:
        """identify(), with 'not this family' (any appliance error) as None."""
        try:
            return self.identify(source, port, adapter_type, config)
        except ApplianceError as exc:
            log.debug("%s on %s: %s", adapter_type, port, exc)
            return None
        except Exception:  # noqa: BLE001 - a driver bug on strange input must not end the whole scan
            log.warning("%s identify on %s raised unexpectedly", adapter_type, port, exc_info=True)
            return None

    def _first(self, source: str, port: str, candidates: Iterable[tuple[str, dict[str, Any]]]) -> Found | None:
        for adapter_type, config in candidates:
            found = self.try_identify(source, port, adapter_type, config)
            if found is not None:
                return found
        return None

    def probe_serial(self, path: str, *, skip: Callable[[Found], bool] | None = None) -> list[Found]:
        """Everything on a serial port: Modbus units at 9600 8N1 first, else the first 115200 family."""
        found: list[Found] = []
        for unit in self.unit_ids:
            hit = self._first("usb", path, serial_modbus_candidates(path, unit))
            if hit is not None:
                found.append(hit)
        if found:
            return found
        hit = self._first("usb", path, serial_stream_candidates(path))
        return [hit] if hit is not None else []

    def probe_tcp(self, host: str, port: int, unit_ids: Sequence[int] | None = None) -> list[Found]:
        """Everything behind a TCP endpoint: Modbus TCP per unit id, else a JK gateway."""
        where = f"{host}:{port}"
        if not tcp_port_open(host, port, self.timeout_s):
            return []
        found = [hit for unit in (unit_ids or self.unit_ids)
                 if (hit := self._first("tcp", where, tcp_modbus_candidates(host, port, unit))) is not None]
        if found:
            return found
        hit = self._first("tcp", where, [("jkbms_tcpip", {"host": host, "port": port})])
        return [hit] if hit is not None else []

    def probe_ble(self, address: str) -> list[Found]:
        """A JK BMS at a BLE address (the only BLE family)."""
        hit = self.try_identify("ble", address, "jkbms_ble", {"bt_addresses": [address.upper()]})
        return [hit] if hit is not None else []


def serial_modbus_candidates(path: str, unit: int) -> list[tuple[str, dict[str, Any]]]:
    """Adapter configs of the Modbus RTU families at one unit id, in probe order."""
    line = SERIAL_LINES["modbus"]
    return [(t, {"transport": "rtu", "serial_port": path, **line, "unit_id": unit}) for t in SERIAL_MODBUS]


def serial_stream_candidates(path: str) -> list[tuple[str, dict[str, Any]]]:
    """Adapter configs of the 115200-baud stream families, in probe order."""
    line = SERIAL_LINES["stream"]
    return [(t, {"serial_port": path, **line}) for t in SERIAL_STREAM]


def tcp_modbus_candidates(host: str, port: int, unit: int) -> list[tuple[str, dict[str, Any]]]:
    """Adapter configs of the Modbus TCP families at one unit id, in probe order."""
    return [(t, {"transport": "tcp", "host": host, "port": port, "unit_id": unit}) for t in TCP_MODBUS]


def with_port(adapter_type: str, config: Mapping[str, Any], port: str) -> dict[str, Any]:
    """A saved adapter config pointed at another port of the same kind (a re-enumerated USB adapter)."""
    body = dict(config)
    if "serial_port" in body or driver_for(adapter_type).transports == ("serial",):
        body["serial_port"] = port
    elif adapter_type == "jkbms_ble":
        body["bt_addresses"] = [port.upper()]
    else:
        host, _, tcp_port = port.rpartition(":")
        body["host"], body["port"] = host, int(tcp_port)
    return body
