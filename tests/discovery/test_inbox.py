"""The inbox the web UI calls: approve into the default structure, reject, auto-approve, background scans."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from appliance.catalog import adapters, devices, systems
from appliance.discovery import inbox, settings
from appliance.discovery.inbox import DiscoveryService
from appliance.discovery.process import Sources, run_discovery
from appliance.discovery.sources import StaticPortSource
from appliance.drivers.connect import LinkPool
from appliance.errors import ConflictError, NotFoundError
from appliance.sim.iammeter import IamMeterSim
from appliance.sim.powdrive import PowdriveSim
from appliance.sim.pylontech_console import PylontechConsoleSim
from appliance.store.models import RegistryDevice
from tests.discovery.conftest import PROBE_TIMEOUT_S

PACK_ID, METER_ID, INVERTER_ID = "pytes_HPTBR01234567891", "iammeter_IAM3T0001", "powdrive_PD24000001"


@pytest.fixture(scope="module")
def site() -> Iterator[dict[str, Any]]:
    """An inverter, a meter and a battery console, each on its own pty."""
    sims = {"inverter": PowdriveSim().rtu(), "meter": IamMeterSim().rtu(), "pack": PylontechConsoleSim().start()}
    yield sims
    for sim in sims.values():
        sim.stop()


def scan(site: dict[str, Any], prober: Any, clock: Any) -> Any:
    """One scan of the whole simulated site."""
    ports = StaticPortSource([sim.path for sim in site.values()])
    return run_discovery(Sources(usb=ports), prober=prober, now_ms=clock())


def test_approve_puts_each_kind_where_the_document_says(db, site, prober, clock) -> None:
    scan(site, prober, clock)
    for discovery_id in (INVERTER_ID, METER_ID, PACK_ID):
        entry = inbox.approve(discovery_id)
        assert (entry["approval"], entry["lifecycle_state"], entry["catalog_id"]) == (
            "approved", "configured", discovery_id)
    assert [a["array_id"] for a in systems.list_arrays()] == ["array1"]  # defaults made on first approval
    inverter = devices.get_inverter(INVERTER_ID)
    assert (inverter["array_id"], inverter["serial_number"]) == ("array1", "PD24000001")
    assert adapters.get_adapter(inverter["adapter_id"])["config_json"]["serial_port"] == site["inverter"].path
    meter = devices.get_meter(METER_ID)
    assert (meter["system_id"], meter["array_id"], meter["attachment_target"]) == ("system", None, "system")
    pack = devices.get_battery_pack(PACK_ID)
    assert pack["battery_array_id"] == "battery_array1"
    assert [a["adapter_type"] for a in pack["adapters"]] == ["pytes"]
    for kind, catalog_id, serial in (("inverter", INVERTER_ID, "PD24000001"), ("meter", METER_ID, "IAM3T0001"),
                                     ("battery_pack", PACK_ID, "HPTBR01234567891")):
        device = RegistryDevice.get_by_id(f"{kind}:{catalog_id}")
        assert (device.lifecycle_state, device.hardware_id, device.catalog_id) == ("configured", serial, catalog_id)
    with pytest.raises(ConflictError):
        inbox.approve(INVERTER_ID)
    with pytest.raises(NotFoundError):
        inbox.approve("nothing_here")


def test_approve_uses_the_existing_system_first_array(db, site, prober, clock) -> None:
    systems.create_system("home", "Home")
    systems.create_array("roof", "home", "Roof")
    scan(site, prober, clock)
    inbox.approve(INVERTER_ID)
    assert devices.get_inverter(INVERTER_ID)["array_id"] == "roof"


def test_reject_keeps_the_device_out_and_its_port_unprobed(db, site, prober, pool, clock) -> None:
    scan(site, prober, clock)
    entry = inbox.reject(METER_ID)
    assert (entry["approval"], entry["status"], entry["registry_id"]) == ("rejected", "rejected", None)
    assert RegistryDevice.get_or_none(RegistryDevice.device_id == "meter:" + METER_ID) is None
    pool.opened.clear()
    clock.advance(60)
    result = scan(site, prober, clock)
    assert result.new == [] and METER_ID not in result.seen
    assert f"serial:{site['meter'].path}" not in pool.opened
    assert [e["discovery_id"] for e in inbox.list_inbox(include_rejected=False)] == [INVERTER_ID, PACK_ID]
    # The owner may still change their mind.
    assert inbox.approve(METER_ID)["approval"] == "approved"


def test_auto_approve_creates_catalog_rows_during_the_scan(db, site, prober, clock) -> None:
    settings.set_value(settings.AUTO_APPROVE, True)
    result = scan(site, prober, clock)
    assert sorted(result.approved) == sorted([INVERTER_ID, METER_ID, PACK_ID])
    assert {e["lifecycle_state"] for e in inbox.list_inbox()} == {"configured"}
    assert [i["inverter_id"] for i in devices.list_inverters()] == [INVERTER_ID]


def test_scan_now_runs_in_the_background_and_reports_status(db, site, clock) -> None:
    pool = LinkPool()  # runtime.py hands the service the pollers' pool
    service = DiscoveryService(Sources(usb=StaticPortSource([site["inverter"].path])), pool=pool,
                               timeout_s=PROBE_TIMEOUT_S, now_ms=clock)
    try:
        started = service.scan_now()
        assert started["running"] is True
        service.wait(30)
        status = service.status()
        assert (status["running"], status["progress"], status["last_error"]) == (False, 1.0, None)
        assert status["last_result"]["new"] == 1
    finally:
        service.stop()
        pool.close_all()


def test_settings_are_checked(db) -> None:
    from appliance.errors import ValidationError

    for key, bad in ((settings.UNIT_IDS, [300]), (settings.MAX_FAILURES, 0), (settings.AUTO_APPROVE, "yes"),
                     (settings.TCP_TARGETS, [{"host": "127.0.0.1", "ports": "1-65535"}]),
                     (settings.IGNORED_PORTS, ["a b"])):
        with pytest.raises(ValidationError):
            settings.set_value(key, bad)
    settings.set_value(settings.TCP_TARGETS, [{"host": "127.0.0.1", "ports": "5020-5022", "unit_ids": [1, 2]}])
    assert settings.load().tcp_targets[0]["ports"] == "5020-5022"


def test_either_route_of_a_pack_may_be_approved_first(db):
    """A JK pack seen over TCP and over BLE: approving the BLE sighting first makes the pack, TCP joins it."""
    from appliance.catalog import adapters
    from appliance.discovery import approval, records
    from appliance.discovery.probe import Found

    common = dict(category="battery", model="JK-PB2A16S20P", serial_number="JKSAME0001")
    tcp = records.create(Found(source="tcp", port="127.0.0.1:5022", adapter_type="jkbms_tcpip",
                               adapter_config={"type": "jkbms_tcpip", "host": "127.0.0.1", "port": 5022}, **common), 1)
    ble = records.create(Found(source="ble", port="C8:47:8C:00:00:01", adapter_type="jkbms_ble",
                               adapter_config={"type": "jkbms_ble", "bt_addresses": ["C8:47:8C:00:00:01"]},
                               **common), 2)
    assert tcp.registry_id == ble.registry_id
    first = approval.approve(ble.device_id)
    second = approval.approve(tcp.device_id)
    assert first["catalog_id"] == second["catalog_id"]
    routes = adapters.pack_adapters(first["catalog_id"])
    assert [a["adapter_type"] for a in routes] == ["jkbms_ble", "jkbms_tcpip"]


def test_renaming_an_approved_device_keeps_its_serial_number(db):
    """The registry's hardware_id is how discovery recognises a device: a rename must not lose it."""
    from appliance.catalog import devices, registry
    from appliance.discovery import approval, records
    from appliance.discovery.probe import Found

    found = records.create(Found(source="tcp", port="127.0.0.1:502", adapter_type="iammeter", category="meter",
                                 adapter_config={"type": "iammeter", "transport": "tcp", "host": "127.0.0.1"},
                                 model="WEM3080T", serial_number="IAMKEEP01"), 1)
    entry = approval.approve(found.device_id)
    devices.update_meter(entry["catalog_id"], name="Grid meter")
    assert registry.get_device(entry["registry_id"])["hardware_id"] == "IAMKEEP01"
