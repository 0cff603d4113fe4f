"""The 4-phase discovery (hierarchy document §6.4): known devices, moved devices, new devices, finalize."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from appliance import clock
from appliance.discovery import records
from appliance.discovery.probe import DEFAULT_TIMEOUT_S, Found, Prober, with_port
from appliance.discovery.records import ACTIVE, DISABLED, INACTIVE, REJECTED
from appliance.discovery.settings import DiscoverySettings, load
from appliance.discovery.sources import BleSource, PortInfo, StaticPortSource, TcpTargets, UsbSerialSource
from appliance.drivers.connect import LinkPool
from appliance.errors import ApplianceError
from appliance.store.models import DeviceDiscovery, RegistryDevice

log = logging.getLogger(__name__)

PHASES = ("known", "moved", "new", "finalize")
#: Held for a whole scan: one scan at a time, whoever starts it (sweep, hot-plug, the UI, the CLI).
SCAN_LOCK = threading.Lock()
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Place:
    """Somewhere a device may answer: a serial port, a TCP endpoint or a BLE address."""

    source: str
    port: str
    names: frozenset[str]
    host: str | None = None
    tcp_port: int | None = None
    unit_ids: tuple[int, ...] | None = None


@dataclass
class Sources:
    """What a scan looks at; None skips that kind (TCP targets default to the discovery.tcp_targets setting)."""

    usb: UsbSerialSource | StaticPortSource | None = None
    ble: BleSource | None = None
    tcp: TcpTargets | None = None


@dataclass
class ScanResult:
    """What one scan did, by discovery id."""

    seen: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    approved: list[str] = field(default_factory=list)
    found: list[Found] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts per outcome plus the error lines (for the scan status and the CLI)."""
        counts = {k: len(getattr(self, k)) for k in ("seen", "moved", "new", "missing", "disabled", "waiting",
                                                     "approved", "found")}
        return {**counts, "errors": list(self.errors)}


def places_of(sources: Sources, settings: DiscoverySettings, errors: list[str]) -> list[Place]:
    """Every place the sources offer now; a failing source is noted and skipped."""
    out: list[Place] = []
    if sources.usb is not None:
        try:
            ports: list[PortInfo] = sources.usb.ports()
        except Exception as exc:  # noqa: BLE001 - udev and /dev trouble must not hide the TCP and BLE devices
            errors.append(f"usb: {exc}")
            ports = []
        out += [Place("usb", p.port, p.names) for p in ports]
    tcp = sources.tcp if sources.tcp is not None else TcpTargets(settings.tcp_targets)
    for host, port, units in tcp.endpoints():
        where = f"{host}:{port}"
        out.append(Place("tcp", where, frozenset({where}), host=host, tcp_port=port, unit_ids=units))
    if sources.ble is not None:
        try:
            out += [Place("ble", a.address.upper(), frozenset({a.address.upper()})) for a in sources.ble.advertisements()]
        except ApplianceError as exc:
            errors.append(f"ble: {exc.message}")
    return out


class Scan:
    """One run of the four phases over the places the sources offer."""

    def __init__(self, places: list[Place], prober: Prober, settings: DiscoverySettings, now_ms: int, *,
                 only_ports: frozenset[str] | None = None, progress: Progress | None = None,
                 approve: Callable[[str], Any] | None = None) -> None:
        self.settings, self.prober, self.now = settings, prober, now_ms
        self.only = only_ports
        self.progress = progress or (lambda phase, fraction: None)
        self.approve = approve
        self.result = ScanResult()
        ignored = settings.ignored_ports
        # An ignored port is dropped here, before anything could open it.
        self.places = [p for p in places if not (p.names & ignored)
                       and (only_ports is None or p.names & only_ports)]
        self.by_name = {name: place for place in self.places for name in place.names}
        self.confirmed: set[str] = set()
        self.seen: dict[str, Found] = {}
        self.known: list[DeviceDiscovery] = []

    def _report(self, phase: str, done: int, total: int) -> None:
        index = PHASES.index(phase)
        self.progress(phase, (index + (done / total if total else 1.0)) / len(PHASES))

    def _check(self, row: DeviceDiscovery, place: Place) -> Found | None:
        """Whether the known device answers at `place` with its own serial number."""
        config = with_port(str(row.adapter_type), records.config_of(row), place.port)
        config.pop("type", None)
        hit = self.prober.try_identify(place.source, place.port, str(row.adapter_type), config)
        if hit is None or (row.serial_number and hit.serial_number != row.serial_number):
            return None
        return hit

    def _probe(self, place: Place) -> list[Found]:
        if place.source == "usb":
            return self.prober.probe_serial(place.port)
        if place.source == "tcp":
            assert place.host is not None and place.tcp_port is not None
            return self.prober.probe_tcp(place.host, place.tcp_port, place.unit_ids)
        return self.prober.probe_ble(place.port)

    def run(self) -> ScanResult:
        """All four phases; returns what happened."""
        rows = list(DeviceDiscovery.select().order_by(DeviceDiscovery.device_id))
        forced = self.only is not None
        only = self.only or frozenset()
        known = self.known = [r for r in rows if r.status in (ACTIVE, INACTIVE)
                              and (not forced or r.port in only or r.port in self.by_name)]
        # Phase 1: known devices on their saved ports; a device waiting for its retry time is left alone
        # (unless a hot-plug event on its port asked for this scan: the hardware changed just now).
        missing: list[DeviceDiscovery] = []
        waiting: list[DeviceDiscovery] = []
        for i, row in enumerate(known):
            self._report("known", i, len(known))
            if not forced and row.status == INACTIVE and row.next_retry_at and row.next_retry_at > self.now:
                waiting.append(row)
                continue
            place = self.by_name.get(str(row.port))
            hit = self._check(row, place) if place is not None else None
            if hit is None:
                missing.append(row)
            else:
                self.seen[row.device_id] = hit
                self.confirmed.add(place.port)  # type: ignore[union-attr]
        used = set(self.confirmed) | {str(r.port) for r in waiting}
        if not forced:
            used |= {str(r.port) for r in rows if r.status == REJECTED}
        free = [p for p in self.places if not (p.names & used)]
        # Phase 2: a known device missing from its port may sit on another one (a USB adapter re-enumerated).
        for i, row in enumerate(list(missing)):
            self._report("moved", i, len(missing))
            if not row.serial_number or row.source == "ble":
                continue  # without a serial number nobody can tell the same device from a twin
            for place in free:
                if place.source != row.source or place.port in self.confirmed or place.port == row.port:
                    continue
                hit = self._check(row, place)
                if hit is not None:
                    records.move(row, place.port)
                    self.result.moved.append(row.device_id)
                    self.seen[row.device_id] = hit
                    self.confirmed.add(place.port)
                    missing.remove(row)
                    break
        # Phase 3: everything on the ports nobody known uses.
        targets = [p for p in free if p.port not in self.confirmed]
        for i, place in enumerate(targets):
            self._report("new", i, len(targets))
            for found in self._probe(place):
                self.result.found.append(found)
                self._record(found, rows, missing)
        # Phase 4: active / inactive with retry timers / disabled.
        self._report("finalize", 0, 1)
        for row in known:
            if row.device_id in self.seen:
                records.mark_seen(row, self.now)
                self.result.seen.append(row.device_id)
            elif row in missing:
                status = records.mark_missing(row, self.now, self.settings.max_failures)
                (self.result.disabled if status == DISABLED else self.result.missing).append(row.device_id)
        self.result.waiting = [r.device_id for r in waiting]
        self._auto_approve()
        self._report("finalize", 1, 1)
        return self.result

    def _record(self, found: Found, rows: list[DeviceDiscovery], missing: list[DeviceDiscovery]) -> None:
        """A device found in phase 3: a known one that came back elsewhere, a rejected one, or a new one."""
        if found.serial_number:
            match = next((r for r in rows if r.serial_number == found.serial_number), None)
        else:
            match = next((r for r in rows if r.adapter_type == found.adapter_type and r.port == found.port
                          and records.config_of(r).get("unit_id") == found.adapter_config.get("unit_id")), None)
        if match is None:
            row = records.create(found, self.now)
            self.result.new.append(row.device_id)
            return
        if match.status in (REJECTED, DISABLED) or match.device_id in self.seen:
            return  # the owner said no, or it gave up for good; either way no new entry
        if match.port != found.port:
            records.move(match, found.port)
            self.result.moved.append(match.device_id)
        self.seen[match.device_id] = found
        if match in missing:
            missing.remove(match)
        if match not in self.known:
            # Outside this scan's known set (a hot-plug scan of another port): phase 4 will not see it.
            records.mark_seen(match, self.now)
            self.result.seen.append(match.device_id)

    def _new_route(self, device_id: str) -> bool:
        """A pack already in the catalog, found again over another transport."""
        row = DeviceDiscovery.get_by_id(device_id)
        device = RegistryDevice.get_or_none(RegistryDevice.device_id == records.registry_of(row))
        return device is not None and device.kind == "battery_pack" and device.catalog_id is not None

    def _auto_approve(self) -> None:
        if not self.settings.auto_approve or self.approve is None:
            return
        for device_id in self.result.new:
            if approval_of(device_id) != "pending" and not self._new_route(device_id):
                continue
            try:
                self.approve(device_id)
                self.result.approved.append(device_id)
            except ApplianceError as exc:
                self.result.errors.append(f"auto-approve {device_id}: {exc.message}")


def approval_of(discovery_id: str) -> str | None:
    """pending, approved or rejected, as the inbox shows it."""
    from appliance.discovery.approval import entry, get_row

    return str(entry(get_row(discovery_id))["approval"])


def run_discovery(sources: Sources | None = None, *, prober: Prober | None = None, pool: LinkPool | None = None,
                  timeout_s: float = DEFAULT_TIMEOUT_S, now_ms: int | None = None,
                  only_ports: Iterable[str] | None = None, progress: Progress | None = None,
                  approve: Callable[[str], Any] | None = None, unit_ids: Sequence[int] | None = None) -> ScanResult:
    """Run the four phases once (one scan at a time); `only_ports` limits it to those ports (hot-plug).

    Probes go through `prober`, else a prober on `pool` (one of the two is required: discovery opens no links
    of its own)."""
    if prober is None:
        if pool is None:
            raise TypeError("run_discovery needs a prober or the pool to probe on")
        prober = Prober(pool, timeout_s=timeout_s)
    with SCAN_LOCK:
        settings = load()
        result_errors: list[str] = []
        places = places_of(sources or Sources(), settings, result_errors)
        prober.unit_ids = tuple(unit_ids or settings.unit_ids)
        if approve is None:
            from appliance.discovery.approval import approve as approve_device
            approve = approve_device
        scan = Scan(places, prober, settings, now_ms if now_ms is not None else clock.now_ms(),
                    only_ports=frozenset(only_ports) if only_ports is not None else None,
                    progress=progress, approve=approve)
        result = scan.run()
        result.errors[:0] = result_errors
        return result
