"""The four phases on real simulators: known, moved, new, finalize (retry timers, disable), ignored ports."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from appliance.catalog import adapters, devices, registry
from appliance.discovery import inbox, settings
from appliance.discovery.probe import Prober
from appliance.discovery.process import Sources, run_discovery
from appliance.discovery.sources import StaticPortSource
from appliance.sim.iammeter import IamMeterSim
from appliance.sim.powdrive import PowdriveSim
from appliance.sim.pylontech_console import PylontechConsoleSim
from appliance.store.models import DeviceDiscovery, RegistryDevice
from tests.discovery.conftest import Clock, SpyPool

POWDRIVE_ID = "powdrive_PD24000001"


@pytest.fixture
def powdrive() -> Iterator[Any]:
    """A Deye-family inverter on an RTU pty."""
    sim = PowdriveSim().rtu()
    yield sim
    sim.stop()


@pytest.fixture
def console() -> Iterator[Any]:
    """A Pylontech console on a pty."""
    sim = PylontechConsoleSim().start()
    yield sim
    sim.stop()


def scan(ports: StaticPortSource, prober: Prober, clock: Clock, **kwargs: Any) -> Any:
    """One discovery run over the static ports at the test clock."""
    return run_discovery(Sources(usb=ports), prober=prober, now_ms=clock(), **kwargs)


def row(device_id: str) -> DeviceDiscovery:
    """The stored discovery row."""
    return DeviceDiscovery.get_by_id(device_id)


def opened_paths(pool: SpyPool) -> set[str]:
    """Ports the pool opened so far."""
    return {key.split(":", 1)[1] for key in pool.opened if key.startswith("serial:")}


def test_phase3_new_devices_wait_in_the_inbox_as_registered(db, powdrive, console, prober, clock) -> None:
    result = scan(StaticPortSource([powdrive.path, console.path]), prober, clock)
    assert sorted(result.new) == [POWDRIVE_ID, "pytes_HPTBR01234567891"]
    inverter = row(POWDRIVE_ID)
    assert (inverter.source, inverter.port, inverter.adapter_type, inverter.status) == (
        "usb", powdrive.path, "powdrive", "active")
    assert json.loads(inverter.adapter_config)["serial_port"] == powdrive.path
    device = RegistryDevice.get_by_id(registry.registry_id("inverter", POWDRIVE_ID))
    assert (device.lifecycle_state, device.hardware_id, device.catalog_id) == ("registered", "PD24000001", None)
    pack = RegistryDevice.get_by_id("battery_pack:pytes_HPTBR01234567891")
    assert pack.lifecycle_state == "registered"
    assert {e["approval"] for e in inbox.list_inbox()} == {"pending"}
    assert devices.list_inverters() == []  # nothing reaches the catalog before approval


def test_phase1_known_devices_are_checked_on_their_ports(db, powdrive, prober, pool, clock) -> None:
    ports = StaticPortSource([powdrive.path])
    scan(ports, prober, clock)
    first = clock()
    clock.advance(60)
    pool.opened.clear()
    result = scan(ports, prober, clock)
    assert result.seen == [POWDRIVE_ID] and result.new == []
    # A settled device's row is not rewritten by every scan (SD card wear): last seen is kept to the hour.
    assert row(POWDRIVE_ID).last_seen_at == first
    clock.advance(3600)
    scan(ports, prober, clock)
    assert row(POWDRIVE_ID).last_seen_at == clock()
    # Phase 1 asked the powdrive driver alone; no family probe of a port a known device uses.
    assert set(pool.opened) == {f"serial:{powdrive.path}"}


def test_a_moved_usb_device_keeps_its_identity(db, prober, clock) -> None:
    first = PowdriveSim().rtu()
    ports = StaticPortSource([first.path])
    scan(ports, prober, clock)
    inbox.approve(POWDRIVE_ID)
    registry_row = RegistryDevice.get_by_id("inverter:" + POWDRIVE_ID)
    # The adapter re-enumerates: the same inverter answers on another tty, the old one is gone.
    second = PowdriveSim().rtu()
    first.stop()
    try:
        assert second.path != first.path
        ports.set_ports([second.path])
        clock.advance(60)
        result = scan(ports, prober, clock)
        assert result.moved == [POWDRIVE_ID] and result.new == []
        assert row(POWDRIVE_ID).port == second.path and row(POWDRIVE_ID).status == "active"
        assert DeviceDiscovery.select().count() == 1
        after = RegistryDevice.get_by_id("inverter:" + POWDRIVE_ID)
        assert (after.created_at, after.hardware_id, after.lifecycle_state) == (
            registry_row.created_at, "PD24000001", "configured")
        assert [i["inverter_id"] for i in devices.list_inverters()] == [POWDRIVE_ID]
        adapter = adapters.get_adapter(devices.get_inverter(POWDRIVE_ID)["adapter_id"])
        assert adapter["config_json"]["serial_port"] == second.path
    finally:
        second.stop()


def test_an_ignored_port_is_never_opened(db, powdrive, console, prober, pool, clock) -> None:
    inbox.ignore_port(powdrive.path)
    result = scan(StaticPortSource([powdrive.path, console.path]), prober, clock)
    assert result.new == ["pytes_HPTBR01234567891"]
    assert powdrive.path not in opened_paths(pool)
    assert console.path in opened_paths(pool)
    inbox.unignore_port(powdrive.path)
    assert scan(StaticPortSource([powdrive.path]), prober, clock).new == [POWDRIVE_ID]


def test_retry_timers_back_off_and_disable_after_max_failures(db, prober, pool, clock) -> None:
    settings.set_value(settings.MAX_FAILURES, 3)
    sim = PowdriveSim().rtu()
    ports = StaticPortSource([sim.path])
    scan(ports, prober, clock)
    sim.stop()  # unplugged: the port is gone
    ports.set_ports([])
    result = scan(ports, prober, clock)
    assert result.missing == [POWDRIVE_ID]
    first = row(POWDRIVE_ID)
    assert (first.status, first.failure_count, first.next_retry_at) == ("inactive", 1, clock() + 30_000)
    clock.advance(10)  # before the retry time: left alone, no failure counted
    assert scan(ports, prober, clock).waiting == [POWDRIVE_ID]
    assert row(POWDRIVE_ID).failure_count == 1
    clock.advance(25)
    scan(ports, prober, clock)
    second = row(POWDRIVE_ID)
    assert (second.failure_count, second.next_retry_at) == (2, clock() + 60_000)
    clock.advance(61)
    result = scan(ports, prober, clock)
    assert result.disabled == [POWDRIVE_ID]
    assert (row(POWDRIVE_ID).status, row(POWDRIVE_ID).next_retry_at) == ("disabled", None)
    clock.advance(3600)
    assert scan(ports, prober, clock).summary()["missing"] == 0  # disabled for good: never counted again


def test_a_device_that_comes_back_before_disable_is_active_again(db, prober, clock) -> None:
    sim = PowdriveSim().rtu()
    ports = StaticPortSource([sim.path])
    try:
        scan(ports, prober, clock)
        ports.set_ports([])
        scan(ports, prober, clock)
        assert row(POWDRIVE_ID).status == "inactive"
        ports.set_ports([sim.path])
        clock.advance(31)
        assert scan(ports, prober, clock).seen == [POWDRIVE_ID]
        back = row(POWDRIVE_ID)
        assert (back.status, back.failure_count, back.next_retry_at) == ("active", 0, None)
    finally:
        sim.stop()


def test_unit_ids_setting_finds_two_units_on_one_bus(db, prober, clock) -> None:
    settings.set_value(settings.UNIT_IDS, [1, 2])
    inverter, meter = PowdriveSim(), IamMeterSim()
    from appliance.sim.modbus_server import ModbusRtuSim

    bus = ModbusRtuSim({1: inverter.image, 2: meter.image}).start()
    try:
        result = scan(StaticPortSource([bus.path]), prober, clock)
        assert sorted(result.new) == ["iammeter_IAM3T0001", POWDRIVE_ID]
        assert json.loads(row("iammeter_IAM3T0001").adapter_config)["unit_id"] == 2
    finally:
        bus.stop()
