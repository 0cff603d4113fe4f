"""USB serial source: udev enumeration from fake devices, glob fallback, hot-plug events -> single-port rescans."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from appliance.discovery.inbox import DiscoveryService
from appliance.discovery.process import Sources
from appliance.discovery.sources import PortInfo, StaticPortSource, UsbSerialSource, glob_ports
from appliance.sim.iammeter import IamMeterSim
from appliance.sim.powdrive import PowdriveSim
from appliance.store.models import DeviceDiscovery
from tests.discovery.conftest import PROBE_TIMEOUT_S, SpyPool

FTDI = {"ID_BUS": "usb", "ID_VENDOR_ID": "0403", "ID_MODEL_ID": "6001", "ID_VENDOR": "FTDI",
        "ID_MODEL": "FT232R_USB_UART", "ID_SERIAL_SHORT": "A10K5XYZ"}


class FakeUdevDevice:
    """The attributes of a pyudev Device that the source reads."""

    def __init__(self, node: str | None, props: dict[str, str], links: tuple[str, ...] = (),
                 usb_parent: bool = False) -> None:
        self.device_node, self.properties, self.device_links = node, props, links
        self._usb_parent = usb_parent
        self.subsystem = "tty"

    def find_parent(self, subsystem: str, device_type: str | None = None) -> Any:
        return object() if self._usb_parent and subsystem == "usb" else None


class FakeContext:
    """A pyudev Context listing fixed devices."""

    def __init__(self, devices: list[FakeUdevDevice]) -> None:
        self.devices = devices

    def list_devices(self, subsystem: str) -> list[FakeUdevDevice]:
        assert subsystem == "tty"
        return self.devices


def test_udev_enumeration_keeps_usb_ttys_with_identity() -> None:
    by_id = "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K5XYZ-if00-port0"
    context = FakeContext([
        FakeUdevDevice("/dev/ttyUSB0", FTDI, (by_id, "/dev/serial/by-path/platform-usb-0:1.2:1.0-port0")),
        FakeUdevDevice("/dev/ttyACM0", {}, usb_parent=True),  # no ID_BUS yet, but a USB parent
        FakeUdevDevice("/dev/ttyAMA0", {"ID_BUS": "platform"}),  # the Pi's own UART: not a device adapter
        FakeUdevDevice(None, FTDI),  # a tty class device without a node
    ])
    ports = UsbSerialSource(context).ports()
    assert ports == [PortInfo("/dev/ttyACM0"),
                     PortInfo("/dev/ttyUSB0", by_id, "0403", "6001", "FTDI", "FT232R_USB_UART", "A10K5XYZ")]
    assert ports[1].port == by_id and ports[1].names == {by_id, "/dev/ttyUSB0"}


def test_glob_fallback_pairs_by_id_links(tmp_path: Path) -> None:
    (tmp_path / "ttyUSB0").touch()
    (tmp_path / "ttyUSB1").touch()
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    os.symlink(tmp_path / "ttyUSB1", by_id / "usb-CH340-if00")
    ports = glob_ports((str(tmp_path / "ttyUSB*"),), str(by_id))
    assert [(p.path, p.by_id) for p in ports] == [
        (str(tmp_path / "ttyUSB0"), None), (str(tmp_path / "ttyUSB1"), str(by_id / "usb-CH340-if00"))]
    source = UsbSerialSource(use_udev=False, globber=lambda: ports)
    assert source.ports() == ports


def test_monitor_passes_usb_add_and_remove_only() -> None:
    events = [("add", FakeUdevDevice("/dev/ttyUSB3", FTDI)), ("change", FakeUdevDevice("/dev/ttyUSB3", FTDI)),
              ("add", FakeUdevDevice("/dev/ttyS0", {})), ("remove", FakeUdevDevice("/dev/ttyUSB3", {}))]
    seen: list[tuple[str, str]] = []
    source = UsbSerialSource(FakeContext([]))
    source.monitor(lambda action, port: seen.append((action, port.path)), events=iter(events)).join(5)
    assert seen == [("add", "/dev/ttyUSB3"), ("remove", "/dev/ttyUSB3")]


class ListedSource(UsbSerialSource):
    """A UsbSerialSource whose enumeration is a list the test edits (ptys stand in for USB adapters)."""

    def __init__(self) -> None:
        super().__init__(use_udev=False)
        self.listed: list[PortInfo] = []
        self._globber = lambda: list(self.listed)


def test_hot_plug_rescans_only_that_port(db, clock) -> None:
    inverter, meter = PowdriveSim().rtu(), IamMeterSim().rtu()
    pool = SpyPool()
    source = ListedSource()
    source.listed = [PortInfo(inverter.path)]
    service = DiscoveryService(Sources(usb=source), pool=pool, timeout_s=PROBE_TIMEOUT_S, now_ms=clock)
    try:
        service.scan()
        pool.opened.clear()
        # The meter's adapter is plugged in: only its port is probed, the inverter's is left alone.
        source.listed.append(PortInfo(meter.path))
        events = [("add", FakeUdevDevice(meter.path, FTDI))]
        source.monitor(service.on_usb_event, events=iter(events)).join(10)
        assert {k.split(":", 1)[1] for k in pool.opened} == {meter.path}
        assert DeviceDiscovery.get_by_id("iammeter_IAM3T0001").status == "active"
        # The inverter's adapter is pulled: that port's device goes inactive, the meter is not touched.
        inverter.stop()
        source.listed = [PortInfo(meter.path)]
        pool.opened.clear()
        source.monitor(service.on_usb_event, events=iter([("remove", FakeUdevDevice(inverter.path, {}))])).join(10)
        assert pool.opened == []
        assert DeviceDiscovery.get_by_id("powdrive_PD24000001").status == "inactive"
        assert DeviceDiscovery.get_by_id("iammeter_IAM3T0001").failure_count == 0
    finally:
        source.stop()
        pool.close_all()
        inverter.stop()
        meter.stop()


def test_static_source_lists_what_it_is_given() -> None:
    source = StaticPortSource(["/dev/pts/7", PortInfo("/dev/pts/8", by_id="/dev/serial/by-id/x")])
    assert [p.port for p in source.ports()] == ["/dev/pts/7", "/dev/serial/by-id/x"]
