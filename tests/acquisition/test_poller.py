"""Polling over real transports: failover and fail-back, health, lifecycle, maintenance."""

from __future__ import annotations

import logging

from appliance.acquisition import health
from appliance.acquisition.live import latest_reading, install
from appliance.catalog.registry import get_device
from appliance.store.models import BatteryBankSample, DeviceHealth, RegistryDevice


def _poll(acquisition, clock, times: int = 1):
    poller = acquisition.pollers["battery_pack:p1"]
    results = []
    for _ in range(times):
        clock.advance(5)
        results.append(poller.poll())
    acquisition.writer.flush_now()
    return poller, results


def test_a_configured_pack_becomes_active_and_stores_samples(acquisition, clock):
    poller, [reading] = _poll(acquisition, clock)
    assert reading is not None and reading.kind == "battery"
    device = get_device("battery_pack:p1")
    assert device["lifecycle_state"] == "active" and device["health_status"] == "online"
    assert device["last_seen"] == clock.now
    row = BatteryBankSample.get()
    assert row.ts == clock.now and row.soc == reading.values["soc_pct"]
    # A sign check that a homeowner would notice: the simulated pack is charging, so power is negative.
    assert row.current < 0 and row.power_w < 0
    states = [h.status for h in DeviceHealth.select().order_by(DeviceHealth.ts)]
    assert states == ["online"]


def test_failover_to_ble_and_back(acquisition, clock, gateway, caplog):
    caplog.set_level(logging.INFO)
    _poll(acquisition, clock)
    gateway.pack.fault = "timeout"
    poller, results = _poll(acquisition, clock, times=3)
    assert results == [None, None, None]
    assert poller.adapter.adapter_id == "p1_ble"
    assert get_device("battery_pack:p1")["health_status"] == "offline"
    switches = [r for r in caplog.records if "switching to p1_ble" in r.getMessage()]
    assert len(switches) == 1
    failures = [r for r in caplog.records if "poll failed" in r.getMessage()]
    assert len(failures) == 1, "a failing device logs once when it fails"
    clock.advance(600)  # past any backoff
    _, [reading] = _poll(acquisition, clock)
    assert reading is not None and get_device("battery_pack:p1")["health_status"] == "online"
    assert acquisition.live.get("battery_pack:p1").adapter_id == "p1_ble"
    gateway.pack.fault = None
    poller, results = _poll(acquisition, clock, times=2)
    assert poller.adapter.adapter_id == "p1_tcp"
    assert [r for r in caplog.records if "back on preferred adapter p1_tcp" in r.getMessage()]
    assert all(r is not None for r in results)


def test_a_dead_device_backs_off_and_fails_its_test(db, home, gateway, clock):
    from appliance.acquisition.live import LiveCache
    from appliance.acquisition.service import Acquisition
    from appliance.acquisition.writer import SampleWriter
    from appliance.catalog import adapters
    from appliance.drivers.connect import LinkPool

    adapters.update_adapter("p1_ble", enabled=False)
    gateway.pack.fault = "timeout"
    writer = SampleWriter(flush_interval_s=0.05).start()
    acq = Acquisition(None, writer, LinkPool(), LiveCache(clock=clock), clock=clock)
    acq.sync()
    poller = acq.pollers["battery_pack:p1"]
    attempts = 0
    for _ in range(20):
        clock.advance(5)
        before = poller.failures
        poller.poll()
        attempts += poller.failures != before
    writer.stop()
    assert get_device("battery_pack:p1")["lifecycle_state"] == "failed"
    assert 3 <= attempts < 20, "failing polls back off instead of hammering the device"
    assert poller.next_attempt_ms > clock.now


def test_maintenance_stops_polling(acquisition, clock):
    RegistryDevice.update(lifecycle_state="maintenance", health_status="maintenance").execute()
    _, results = _poll(acquisition, clock, times=2)
    assert results == [None, None]
    assert BatteryBankSample.select().count() == 0
    assert acquisition.sync()["removed"] == 1


def test_health_degraded_above_one_second(db, home, clock):
    status, lifecycle = health.record("battery_pack:p1", health.PollOutcome(True, response_time_ms=1500), clock.now,
                                      failures=0)
    assert (status, lifecycle) == ("degraded", "active")
    clock.advance(5)
    assert health.record("battery_pack:p1", health.PollOutcome(True, response_time_ms=20), clock.now,
                         failures=0)[0] == "online"
    clock.advance(5)
    assert health.record("battery_pack:p1", health.PollOutcome(False, error="bad checksum", garbled=True),
                         clock.now, failures=1)[0] == "error"
    history = [(h.status, h.response_time_ms) for h in DeviceHealth.select().order_by(DeviceHealth.ts)]
    assert history == [("degraded", 1500), ("online", 20), ("error", None)]


def test_live_reading_and_staleness(acquisition, clock):
    install(acquisition.live)
    try:
        _poll(acquisition, clock)
        fresh = latest_reading("battery_pack:p1")
        assert fresh["stale"] is False and fresh["adapter_id"] == "p1_tcp"
        clock.advance(16)  # three poll intervals and a bit
        assert latest_reading("battery_pack:p1")["stale"] is True
    finally:
        install(None)


def test_a_pack_learns_its_units_from_its_first_reading(acquisition, clock):
    _poll(acquisition, clock)
    from appliance.catalog.devices import get_battery_pack

    pack = get_battery_pack("p1")
    assert pack["batteries"] == 1 and pack["cells_per_battery"] == 16
    _poll(acquisition, clock)
    from appliance.store.models import BatteryCellSample

    assert BatteryCellSample.select().count() == 16


def test_a_disabled_adapter_is_not_polled(db, clock):
    from appliance.acquisition.live import LiveCache
    from appliance.acquisition.service import Acquisition
    from appliance.acquisition.writer import SampleWriter
    from appliance.catalog import adapters, devices, systems
    from appliance.drivers.connect import LinkPool

    systems.create_system("home", "Home")
    systems.create_array("roof", "home", "Roof")
    adapters.create_adapter("inv_ad", "powdrive", {"transport": "tcp", "host": "127.0.0.1", "port": 1})
    devices.create_inverter("inv1", "roof", "Inverter", adapter_id="inv_ad")
    writer = SampleWriter(flush_interval_s=0.05).start()
    acquisition = Acquisition(None, writer, LinkPool(), LiveCache(clock=clock), clock=clock)
    assert acquisition.sync()["polled"] == 1
    adapters.update_adapter("inv_ad", enabled=False)
    assert acquisition.sync()["removed"] == 1 and not acquisition.pollers
    writer.stop()


def test_jk_over_tcp_and_modbus_on_one_endpoint_never_share_a_link(gateway):
    """A discovery probe opened a Modbus TcpBus on the gateway's port; the JK driver still gets its own stream."""
    from appliance.drivers.connect import LinkPool, link_key, open_driver
    from appliance.drivers.transports.stream import SerialStream

    pool = LinkPool()
    modbus_config = {"transport": "tcp", "host": "127.0.0.1", "port": gateway.port}
    jk_config = {"host": "127.0.0.1", "port": gateway.port, "timeout_s": 0.5, "protocol": "jkpb"}
    try:
        pool.link("powdrive", modbus_config)
        driver, lock = open_driver("jkbms_tcpip", jk_config, pool)
        assert isinstance(driver.link, SerialStream)
        with lock:
            assert driver.read().kind == "battery"
        assert link_key("jkbms_tcpip", jk_config) != link_key("powdrive", modbus_config)
    finally:
        pool.close_all()


def test_any_exception_from_a_driver_is_a_failed_poll_that_drops_the_driver(acquisition, clock, monkeypatch, caplog):
    """The wedge of issue 17: an AttributeError escaped the poller, which then never failed over."""
    from appliance.drivers.jkbms_tcpip import JkBmsTcpIpDriver

    caplog.set_level(logging.DEBUG)
    opened = []
    real_init = JkBmsTcpIpDriver.__init__

    def counting_init(self, *args, **kwargs):
        opened.append(self)
        real_init(self, *args, **kwargs)

    def wedged(self):
        raise AttributeError("'TcpBus' object has no attribute 'read_frame'")

    monkeypatch.setattr(JkBmsTcpIpDriver, "__init__", counting_init)
    monkeypatch.setattr(JkBmsTcpIpDriver, "read", wedged)
    poller, results = _poll(acquisition, clock, times=3)
    assert results == [None, None, None]
    assert len(opened) == 3, "each failed poll dropped the driver: the next one opened a new one"
    assert poller.adapter.adapter_id == "p1_ble", "failover fired"
    assert get_device("battery_pack:p1")["health_status"] in ("offline", "error")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "poll failed" in r.getMessage()]
    assert len(warnings) == 1 and "AttributeError" in warnings[0].getMessage() and warnings[0].exc_info is None
    assert any(r.levelno == logging.DEBUG and r.exc_info for r in caplog.records), "the traceback is at debug"
    _, [reading] = _poll(acquisition, clock)
    assert reading is not None, "the pack is read through BLE"


def test_a_bad_device_row_disables_that_device_only(acquisition, clock, db):
    """A NaN stored by an older version: that device is Failed with the reason, the others are polled."""
    from appliance.acquisition.context import POLLED_STATES
    from appliance.catalog import adapters, devices
    from appliance.catalog.validation import check_adapter_config
    from appliance.store.models import Adapter, database

    adapters.create_adapter("inv_adapter", "powdrive", {"transport": "tcp", "host": "127.0.0.1", "port": 1})
    devices.create_inverter("inv", "roof", "Inverter", adapter_id="inv_adapter")
    database.execute_sql("UPDATE adapters SET config_json = ? WHERE adapter_id = 'inv_adapter'",
                         ('{"host": "127.0.0.1", "port": 1, "poll_interval_s": NaN, "transport": "tcp"}',))
    acquisition.check_config = check_adapter_config
    result = acquisition.sync()
    assert "inverter:inv" not in acquisition.pollers and "battery_pack:p1" in acquisition.pollers
    assert result["disabled"] == 1
    device = get_device("inverter:inv")
    assert (device["lifecycle_state"], device["health_status"]) == ("failed", "error")
    assert "poll_interval_s" in device["last_error"] and "finite" in device["last_error"]
    assert device["lifecycle_state"] in POLLED_STATES
    assert len(DeviceHealth.select().where(DeviceHealth.device == "inverter:inv")) == 1
    acquisition.sync()
    assert len(DeviceHealth.select().where(DeviceHealth.device == "inverter:inv")) == 1, "said once"
    Adapter.update(config_json='{"host": "127.0.0.1", "port": 1, "transport": "tcp", "type": "powdrive"}').where(
        Adapter.adapter_id == "inv_adapter").execute()
    acquisition.sync()
    assert "inverter:inv" in acquisition.pollers, "fixed: polled again"
