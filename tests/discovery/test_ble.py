"""BLE discovery: an injected scanner's JK advertisements, identified through FakeBleLink on the LinkPool."""

from __future__ import annotations

from appliance.discovery.probe import Prober
from appliance.discovery.process import Sources, run_discovery
from appliance.discovery.sources import BleSource
from appliance.drivers.connect import LinkPool
from appliance.drivers.transports.ble import JK_SERVICE_UUID, Advertisement
from appliance.errors import TransportError
from appliance.sim import jkbms_render
from appliance.sim.jkbms_ble import FakeBleLink
from appliance.store.models import DeviceDiscovery, RegistryDevice

JK_A, JK_B, OTHER = "C8:47:8C:00:00:01", "c8:47:8c:00:00:02", "AA:BB:CC:DD:EE:FF"


def adverts() -> list[Advertisement]:
    """What a scan might return: two JK BMSs (by name, by service) and a stranger."""
    return [Advertisement(JK_A, "JK-B2A24S15P", -60, ()), Advertisement(JK_B, None, -70, (JK_SERVICE_UUID,)),
            Advertisement(OTHER, "Fitness band", -40, ())]


def fake_link(address: str, timeout: float) -> FakeBleLink:
    """A simulated BMS per address, each with its own serial number."""
    serial = "JKSIM" + address.replace(":", "")[-4:]
    return FakeBleLink(lambda: {**jkbms_render.default_values(), "serial_number": serial}, address=address,
                       seed=len(address))


def test_ble_source_keeps_jk_advertisements_only() -> None:
    assert [a.address for a in BleSource(adverts).advertisements()] == [JK_A, JK_B.upper()]


def test_ble_scan_failure_is_a_transport_error() -> None:
    def broken() -> list[Advertisement]:
        raise OSError("no bluetooth adapter")

    try:
        BleSource(broken).advertisements()
    except TransportError as exc:
        assert "no bluetooth adapter" in exc.message
    else:
        raise AssertionError("a failing scan must raise")


def test_ble_devices_are_discovered_and_registered(db, clock) -> None:
    opened: list[str] = []

    def factory(address: str, timeout: float) -> FakeBleLink:
        opened.append(address)
        return fake_link(address, timeout)

    pool = LinkPool(ble_link_factory=factory)
    result = run_discovery(Sources(ble=BleSource(adverts)), prober=Prober(pool, timeout_s=0.3), now_ms=clock())
    assert sorted(result.new) == ["jkbms_ble_JKSIM0001", "jkbms_ble_JKSIM0002"]
    assert OTHER not in opened  # only matching advertisements are connected to
    row = DeviceDiscovery.get_by_id("jkbms_ble_JKSIM0001")
    assert (row.source, row.port, row.device_type) == ("ble", JK_A, "battery")
    assert RegistryDevice.get_by_id("battery_pack:jkbms_ble_JKSIM0001").hardware_id == "JKSIM0001"
    # Phase 1 on the next scan: the same BMSs answer at their addresses.
    clock.advance(60)
    again = run_discovery(Sources(ble=BleSource(adverts)), prober=Prober(pool, timeout_s=0.3), now_ms=clock())
    assert sorted(again.seen) == ["jkbms_ble_JKSIM0001", "jkbms_ble_JKSIM0002"] and again.new == []


def test_a_ble_device_that_is_not_a_jk_bms_is_not_claimed(db, clock) -> None:
    pool = LinkPool(ble_link_factory=lambda address, timeout: FakeBleLink(address=address, fault="garbage"))
    result = run_discovery(Sources(ble=BleSource(adverts)), prober=Prober(pool, timeout_s=0.2), now_ms=clock())
    assert result.new == [] and result.found == []
