"""Control over MQTT on the demo's Deye inverter: the work mode as an HA select, refused while another source
holds the control lease (and audited as refused), accepted with it, written to the simulator and audited
with source mqtt; the battery setpoint goes through dispatch like the API's."""

from __future__ import annotations

import time

import pytest

from appliance.control import assets, audit, lease
from appliance.mqtt import settings as mqtt_settings
from tests.mqtt.broker import Broker, Subscriber
from tests.mqtt.demo import demo_home
from tests.runtime.conftest import wait_until

INVERTER = "inverter:powdrive_SIMPD00001"


@pytest.fixture
def home(tmp_path):
    broker = Broker(tmp_path / "broker").start()
    sub = Subscriber(broker)
    try:
        with demo_home(tmp_path, broker.url) as runtime:
            mqtt_settings.update({"commands": True, "url": broker.url, "enabled": True})
            runtime.mqtt.tick()  # the new setting: the link reconnects with command topics
            yield runtime, sub
    finally:
        sub.close()
        broker.stop()


def _result(sub, base: str, count: int):
    return sub.wait_for(lambda ms: [m.json() for m in ms if m.topic == f"{base}/{INVERTER}/result"]
                        if len([m for m in ms if m.topic == f"{base}/{INVERTER}/result"]) >= count else None, 60)


def test_work_mode_refused_under_anothers_lease_then_accepted_and_audited(home):
    runtime, sub = home
    base = runtime.mqtt.topics.base
    select = sub.wait_for(lambda ms: next((m.json() for m in ms if "/select/" in m.topic and "SIMPD00001" in m.topic
                                           and m.topic.endswith("/work_mode/config") and m.payload), None), 90)
    assert select["command_topic"] == f"{base}/{INVERTER}/work_mode/set"
    assert set(select["options"]) == {"selling_first", "zero_export_to_load", "zero_export_to_ct"}
    state = sub.wait_for(lambda ms: next((m.json() for m in reversed(ms) if m.topic == f"{base}/{INVERTER}/control"
                                          and "program" in m.json()), None), 60)
    before = state["program"]["work_mode"]
    wanted = "zero_export_to_ct" if before != "zero_export_to_ct" else "selling_first"

    now = runtime.clock.ms()
    lease.acquire(INVERTER, "ui", "owner", now=now, until=now + 600_000)  # the owner holds it on the control page
    sub.publish(select["command_topic"], wanted)
    refused = _result(sub, base, 1)[-1]
    assert refused["ok"] is False and "controlled by the local UI" in refused["error"]
    refusals = audit.entries(device_id=INVERTER, kind="refused")
    assert refusals and refusals[0]["source"] == "mqtt"

    lease.release(INVERTER, "ui", now=runtime.clock.ms(), reason="test")
    sub.publish(select["command_topic"], wanted)
    accepted = _result(sub, base, 2)[-1]
    assert accepted["ok"] is True, accepted
    writes = audit.entries(device_id=INVERTER, kind="write")
    assert writes and writes[0]["source"] == "mqtt"
    sub.wait_for(lambda ms: any(m.topic == f"{base}/{INVERTER}/control" and
                                m.json().get("program", {}).get("work_mode") == wanted for m in ms), 60)


def test_a_battery_setpoint_goes_through_dispatch_and_hand_back_releases(home):
    runtime, sub = home
    base = runtime.mqtt.topics.base
    setpoint = sub.wait_for(lambda ms: next((m.json() for m in ms if m.topic.endswith("/battery_setpoint/config")
                                             and "SIMPD00001" in m.topic and m.payload), None), 90)
    assert (setpoint["device_class"], setpoint["unit_of_measurement"]) == ("power", "W")
    assert setpoint["min"] < 0 < setpoint["max"]
    # The demo's installer gives the packs their limits once discovery approved them and they answered.
    wait_until(lambda: assets.resolve(INVERTER).max_w >= 1200, 60)
    sub.publish(setpoint["command_topic"], "1200")
    result = _result(sub, base, 1)[-1]
    assert result["ok"] is True and result["detail"]["placed_w"] == pytest.approx(1200, abs=1)
    held = lease.current(INVERTER, runtime.clock.ms())
    assert held is not None and held.source == "mqtt"
    sub.publish(f"{base}/{INVERTER}/release/set", "PRESS")
    _result(sub, base, 2)
    time.sleep(0.2)
    assert lease.current(INVERTER, runtime.clock.ms()) is None
