"""Where devices may be: USB serial ports (pyudev, else globbing), BLE advertisements, configured TCP targets."""

from __future__ import annotations

import glob
import logging
import os
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from appliance.drivers.transports.ble import Advertisement, is_jk_advertisement
from appliance.errors import ApplianceError, TransportError, ValidationError

log = logging.getLogger(__name__)

GLOBS = ("/dev/ttyUSB*", "/dev/ttyACM*")
BY_ID_DIR = "/dev/serial/by-id"
#: A USB event callback: (action "add" | "remove", PortInfo of the port).
PortCallback = Callable[[str, "PortInfo"], None]
HOST_PATTERN = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$")
#: Ports one TCP target may span: bounded so a typo such as 1-65535 cannot start an endless scan.
MAX_TCP_PORTS = 64


@dataclass(frozen=True)
class PortInfo:
    """A serial port: device node, its stable /dev/serial/by-id link, and the USB identity udev reports."""

    path: str
    by_id: str | None = None
    vendor_id: str | None = None
    product_id: str | None = None
    vendor: str | None = None
    model: str | None = None
    serial: str | None = None

    @property
    def port(self) -> str:
        """The name saved in adapter configs: the by-id link survives re-enumeration, the node does not."""
        return self.by_id or self.path

    @property
    def names(self) -> frozenset[str]:
        """Every name this port answers to (node and by-id link)."""
        return frozenset(n for n in (self.path, self.by_id) if n)


def port_from_udev(device: Any) -> PortInfo | None:
    """A PortInfo from a pyudev Device (or a fake with the same attributes); None unless a USB tty."""
    node = getattr(device, "device_node", None)
    if not node:
        return None
    props: Mapping[str, Any] = getattr(device, "properties", {}) or {}
    find_parent = getattr(device, "find_parent", None)
    usb_parent = find_parent("usb", "usb_device") if callable(find_parent) else None
    if props.get("ID_BUS") != "usb" and usb_parent is None:
        return None  # on-board UARTs (ttyAMA0, ttyS0) are consoles, not device adapters
    links = [str(link) for link in (getattr(device, "device_links", ()) or ())]
    by_id = next((link for link in sorted(links) if link.startswith(BY_ID_DIR + "/")), None)
    return PortInfo(path=str(node), by_id=by_id, vendor_id=props.get("ID_VENDOR_ID"),
                    product_id=props.get("ID_MODEL_ID"),
                    vendor=props.get("ID_VENDOR_FROM_DATABASE") or props.get("ID_VENDOR"),
                    model=props.get("ID_MODEL_FROM_DATABASE") or props.get("ID_MODEL"),
                    serial=props.get("ID_SERIAL_SHORT"))


def glob_ports(globs: Sequence[str] = GLOBS, by_id_dir: str = BY_ID_DIR) -> list[PortInfo]:
    """USB serial ports by file name, where udev is not available; by-id links are paired with their node."""
    links: dict[str, str] = {}
    for link in sorted(glob.glob(os.path.join(by_id_dir, "*"))):
        links.setdefault(os.path.realpath(link), link)
    nodes = sorted({path for pattern in globs for path in glob.glob(pattern)})
    return [PortInfo(path=node, by_id=links.get(os.path.realpath(node))) for node in nodes]


class UsbSerialSource:
    """USB serial ports through pyudev; `monitor` reports hot-plug per port; globbing where udev is absent."""

    def __init__(self, context: Any = None, *, use_udev: bool = True, poll_interval_s: float = 10.0,
                 globber: Callable[[], list[PortInfo]] = glob_ports) -> None:
        self._context = context
        self._use_udev = use_udev
        self.poll_interval_s = poll_interval_s
        self._globber = globber
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _udev(self) -> Any:
        if self._context is None and self._use_udev:
            try:
                import pyudev

                self._context = pyudev.Context()
            except Exception as exc:  # noqa: BLE001 - no libudev in a container or on a non-Linux host
                log.info("udev unavailable (%s): falling back to globbing /dev", exc)
                self._use_udev = False
        return self._context

    def ports(self) -> list[PortInfo]:
        """Every USB serial port present now."""
        context = self._udev()
        if context is None:
            return self._globber()
        try:
            found = [port_from_udev(d) for d in context.list_devices(subsystem="tty")]
        except Exception as exc:  # noqa: BLE001 - a broken udev database: globbing still finds the ports
            log.warning("udev enumeration failed (%s): globbing /dev", exc)
            return self._globber()
        return sorted((p for p in found if p is not None), key=lambda p: p.path)

    def handle_event(self, action: str, device: Any, callback: PortCallback) -> None:
        """Pass one udev event on as a single-port rescan request (add/remove of a USB tty only)."""
        if action not in ("add", "remove"):
            return
        port = port_from_udev(device)
        if port is None and action == "remove" and getattr(device, "device_node", None):
            # A removed device may have lost its properties already; its node is all that is left.
            props = getattr(device, "properties", {}) or {}
            if str(getattr(device, "subsystem", "tty")) == "tty" and props.get("ID_BUS", "usb") == "usb":
                port = PortInfo(path=str(device.device_node))
        if port is not None:
            callback(action, port)

    def _udev_events(self) -> Iterable[tuple[str, Any]]:
        import pyudev

        monitor = pyudev.Monitor.from_netlink(self._udev())
        monitor.filter_by(subsystem="tty")
        while not self._stop.is_set():
            device = monitor.poll(timeout=1.0)  # a timeout so stop() is noticed
            if device is not None:
                yield device.action, device

    def _poll_events(self) -> Iterable[tuple[str, Any]]:
        known = {p.path: p for p in self._globber()}
        while not self._stop.wait(self.poll_interval_s):
            now = {p.path: p for p in self._globber()}
            for path in sorted(set(known) - set(now)):
                yield "remove", _Polled(known[path])
            for path in sorted(set(now) - set(known)):
                yield "add", _Polled(now[path])
            known = now

    def monitor(self, callback: PortCallback, events: Iterable[tuple[str, Any]] | None = None) -> threading.Thread:
        """Start a thread that calls `callback(action, port)` per USB serial add/remove."""
        if events is None:
            events = self._udev_events() if self._udev() is not None else self._poll_events()
        source = events
        self._stop.clear()

        def run() -> None:
            for action, device in source:
                if self._stop.is_set():
                    return
                try:
                    self.handle_event(action, device, callback)
                except Exception:  # one failed rescan must not end hot-plug handling
                    log.exception("handling USB %s event failed", action)

        self._thread = threading.Thread(target=run, name="usb-monitor", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        """Stop the monitor thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
            self._thread = None


class _Polled:
    """What the polling fallback reports: a device-like object with the fields port_from_udev reads."""

    def __init__(self, port: PortInfo) -> None:
        self.port = port
        self.device_node = port.path
        self.device_links = [port.by_id] if port.by_id else []
        self.properties = {"ID_BUS": "usb"}


class StaticPortSource:
    """A fixed list of ports (tests, the demo's simulator ptys, `appliance discover --port`)."""

    def __init__(self, ports: Iterable[str | PortInfo]) -> None:
        self._ports = [p if isinstance(p, PortInfo) else PortInfo(path=str(p)) for p in ports]

    def ports(self) -> list[PortInfo]:
        """The configured ports."""
        return list(self._ports)

    def set_ports(self, ports: Iterable[str | PortInfo]) -> None:
        """Replace the list (a simulated adapter unplugged or re-enumerated)."""
        self._ports = [p if isinstance(p, PortInfo) else PortInfo(path=str(p)) for p in ports]


Scanner = Callable[[], Iterable[Any]]


class BleSource:
    """JK BMS advertisements from a BLE scan; the scanner is injectable (tests give a plain callable)."""

    def __init__(self, scanner: Scanner | None = None, *, timeout_s: float = 8.0) -> None:
        self._scanner = scanner
        self.timeout_s = timeout_s

    def _bleak_scan(self) -> list[Advertisement]:
        from appliance.drivers.transports.ble import BleLoop, scan

        loop = BleLoop().start()
        try:
            return scan(loop, self.timeout_s)
        finally:
            loop.stop()

    def advertisements(self) -> list[Advertisement]:
        """JK advertisements seen now, one per address."""
        try:
            raw = list(self._scanner() if self._scanner is not None else self._bleak_scan())
        except ApplianceError:
            raise
        except Exception as exc:  # no adapter, no D-Bus, bluetoothd down
            raise TransportError(f"BLE scan failed: {exc}") from exc
        seen: dict[str, Advertisement] = {}
        for adv in raw:
            address = str(getattr(adv, "address", "")).upper()
            uuids = tuple(getattr(adv, "service_uuids", ()) or ())
            if address and is_jk_advertisement(getattr(adv, "name", None), uuids):
                # One spelling of the address everywhere: adapter configs and discovery rows compare it.
                seen.setdefault(address, Advertisement(address, getattr(adv, "name", None),
                                                       getattr(adv, "rssi", None), uuids))
        return [seen[a] for a in sorted(seen)]


@dataclass(frozen=True)
class TcpTarget:
    """One configured Modbus TCP / gateway endpoint range."""

    host: str
    ports: tuple[int, ...]
    unit_ids: tuple[int, ...] | None = None


def parse_ports(value: object) -> tuple[int, ...]:
    """An int, "a-b", or a list of those, as TCP port numbers (at most MAX_TCP_PORTS)."""
    items = value if isinstance(value, list) else [value]
    out: list[int] = []
    for item in items:
        if isinstance(item, bool):
            raise ValidationError(f"port {item!r} is not a number", field="ports")
        if isinstance(item, int):
            low = high = item
        elif isinstance(item, str) and re.fullmatch(r"\s*\d{1,5}\s*(-\s*\d{1,5}\s*)?", item):
            parts = [int(p) for p in item.split("-")]
            low, high = parts[0], parts[-1]
        else:
            raise ValidationError(f"ports {item!r} must be a number or a range a-b", field="ports")
        if not 1 <= low <= high <= 65535:
            raise ValidationError(f"ports {item!r} must lie within 1..65535, low to high", field="ports")
        out.extend(range(low, high + 1))
    if not out or len(out) > MAX_TCP_PORTS:
        raise ValidationError(f"a target spans 1 to {MAX_TCP_PORTS} ports, not {len(out)}", field="ports")
    return tuple(dict.fromkeys(out))


def parse_unit_ids(value: object, field: str = "unit_ids") -> tuple[int, ...]:
    """A list of Modbus unit ids 0..247."""
    if not isinstance(value, list) or not value or len(value) > 32:
        raise ValidationError(f"{field} must be a list of 1 to 32 unit ids", field=field)
    for unit in value:
        if isinstance(unit, bool) or not isinstance(unit, int) or not 0 <= unit <= 247:
            raise ValidationError(f"{field}: {unit!r} is not a unit id 0..247", field=field)
    return tuple(dict.fromkeys(value))


class TcpTargets:
    """The owner's TCP targets: [{host, ports (int or "a-b"), unit_ids}]; none by default."""

    def __init__(self, entries: Sequence[Mapping[str, Any]] = ()) -> None:
        self.targets = [self.parse(entry) for entry in entries]

    @staticmethod
    def parse(entry: Mapping[str, Any]) -> TcpTarget:
        """One checked target."""
        if not isinstance(entry, Mapping):
            raise ValidationError("a TCP target must be an object {host, ports, unit_ids}", field="tcp_targets")
        unknown = set(entry) - {"host", "ports", "unit_ids"}
        if unknown:
            raise ValidationError(f"unknown TCP target key {sorted(unknown)[0]!r}", field="tcp_targets")
        host = entry.get("host")
        if not isinstance(host, str) or len(host) > 253 or not HOST_PATTERN.match(host):
            raise ValidationError(f"host {host!r} is not a host name or address", field="host")
        units = parse_unit_ids(entry["unit_ids"]) if entry.get("unit_ids") is not None else None
        return TcpTarget(host=host, ports=parse_ports(entry.get("ports", 502)), unit_ids=units)

    def endpoints(self) -> list[tuple[str, int, tuple[int, ...] | None]]:
        """(host, port, unit ids or None for the global setting) of every target."""
        return [(t.host, port, t.unit_ids) for t in self.targets for port in t.ports]
