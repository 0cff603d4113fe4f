"""What the web UI calls: the inbox of discovered devices, approve/reject, ignored ports, background scans."""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from appliance import clock
from appliance.discovery import approval, settings
from appliance.discovery.process import ScanResult, Sources, run_discovery
from appliance.discovery.sources import BleSource, PortInfo, UsbSerialSource
from appliance.drivers.connect import LinkPool
from appliance.store.models import DeviceDiscovery

log = logging.getLogger(__name__)


def local_sources() -> Sources:
    """What the appliance itself looks at: its USB serial ports (udev) and BLE; runtime.py's default."""
    return Sources(usb=UsbSerialSource(), ble=BleSource())


class DiscoveryService:
    """Runs scans in the background (one at a time) and keeps their status for the UI.

    runtime.py builds the one of a process, on the pollers' pool: a probe borrows a bus the pollers use."""

    def __init__(self, sources: Sources, *, pool: LinkPool, timeout_s: float = 1.0,
                 now_ms: Callable[[], int] | None = None) -> None:
        self.sources = sources
        self.pool = pool
        self.timeout_s = timeout_s
        self.now_ms = now_ms or clock.now_ms
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._status: dict[str, Any] = {"running": False, "phase": None, "progress": 0.0, "last_result": None,
                                        "last_error": None, "started_at": None, "finished_at": None}

    def _progress(self, phase: str, fraction: float) -> None:
        with self._lock:
            self._status.update(phase=phase, progress=round(min(1.0, max(0.0, fraction)), 3))

    def scan(self, only_ports: list[str] | None = None) -> ScanResult:
        """One scan in the calling thread, its outcome recorded in the status."""
        with self._lock:
            self._status.update(running=True, phase=None, progress=0.0, started_at=self.now_ms())
        try:
            result = run_discovery(self.sources, pool=self.pool, timeout_s=self.timeout_s, now_ms=self.now_ms(),
                                   only_ports=only_ports, progress=self._progress)
        except Exception as exc:
            with self._lock:
                self._status.update(last_error=str(getattr(exc, "message", exc)))
            raise
        finally:
            with self._lock:
                self._status.update(running=False, finished_at=self.now_ms())
        with self._lock:
            self._status.update(last_result=result.summary(), progress=1.0,
                                last_error=result.errors[-1] if result.errors else None)
        return result

    def scan_now(self, only_ports: list[str] | None = None) -> dict[str, Any]:
        """Start a background scan unless one is running; returns the status at once."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return dict(self._status)
            self._status.update(running=True, phase=None, progress=0.0)
            self._thread = threading.Thread(target=self._background, args=(only_ports,), name="discovery-scan",
                                            daemon=True)
            self._thread.start()
            return dict(self._status)

    def _background(self, only_ports: list[str] | None) -> None:
        try:
            self.scan(only_ports)
        except Exception:  # recorded in the status; a background thread has nobody else to tell
            log.exception("discovery scan failed")

    def wait(self, timeout_s: float = 60.0) -> None:
        """Block until the background scan (if any) ends (tests, shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def status(self) -> dict[str, Any]:
        """running, phase, progress 0..1, last result summary, last error."""
        with self._lock:
            return dict(self._status)

    def on_usb_event(self, action: str, port: PortInfo) -> None:
        """A USB serial port came or went: rescan that port only (in the monitor's thread)."""
        log.info("USB %s %s: rescanning that port", action, port.port)
        self.scan(only_ports=sorted(port.names))

    def start_monitor(self) -> None:
        """Start hot-plug handling when the USB source is a UsbSerialSource."""
        if isinstance(self.sources.usb, UsbSerialSource):
            self.sources.usb.monitor(self.on_usb_event)

    def stop(self) -> None:
        """Stop the monitor and wait for a running scan."""
        if isinstance(self.sources.usb, UsbSerialSource):
            self.sources.usb.stop()
        self.wait()


def list_inbox(include_rejected: bool = True) -> list[dict[str, Any]]:
    """Discovered devices with identity, status and registry lifecycle; pending approvals first."""
    rows = [approval.entry(r) for r in DeviceDiscovery.select().order_by(DeviceDiscovery.device_id)]
    if not include_rejected:
        rows = [r for r in rows if r["approval"] != "rejected"]
    order = {"pending": 0, "approved": 1, "rejected": 2}
    return sorted(rows, key=lambda r: (order[r["approval"]], r["discovery_id"]))


def approve(discovery_id: str) -> dict[str, Any]:
    """Approve a discovered device: catalog row, adapter row, registry registered -> configured."""
    return approval.approve(discovery_id)


def reject(discovery_id: str) -> dict[str, Any]:
    """Reject a discovered device; its port is not probed again for it."""
    return approval.reject(discovery_id)


def ignore_port(port: str) -> list[str]:
    """Never open this port again (until unignored); returns the ignore list."""
    return settings.ignore_port(port)


def unignore_port(port: str) -> list[str]:
    """Allow discovery on this port again; returns the ignore list."""
    return settings.unignore_port(port)


def set_setting(key: str, value: Any) -> None:
    """Change a discovery.* setting (checked)."""
    settings.set_value(key, value)
