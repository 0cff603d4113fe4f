"""Commands from Home Assistant: off by default; on, they go through the same service call as the API."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from appliance.catalog import devices, registry, systems
from appliance.control.delivery import Dispatcher
from appliance.drivers.connect import LinkPool
from appliance.mqtt.commands import Commands
from appliance.mqtt.config import parse_url
from appliance.runtime import Runtime
from tests.mqtt.service_kit import Home, ctx, reading, service

BASE = "appliance/home"
DEVICE = "inverter:inv1"


@pytest.fixture
def catalog(db):
    systems.create_system("home", "Home", timezone="UTC")
    systems.create_array("roof", "home", "Roof")
    devices.create_inverter("inv1", "roof", "Roof inverter")
    return Home(devices=registry.list_devices())


@pytest.fixture
def dispatcher():
    """The dispatcher runtime.py hands the command port (its own pool here: no pollers run)."""
    pool = LinkPool()
    yield Dispatcher(pool, clock=lambda: 1_780_000_000_000)
    pool.close_all()


def _service(broker, catalog, dispatcher, *, commands: bool):
    port = Commands(maintenance=Runtime._maintenance, clock=lambda: 1_780_000_000_000, dispatcher=dispatcher)
    config = replace(parse_url(broker.url), commands=commands)
    catalog.devices = registry.list_devices()
    mqtt = service(None, catalog, config=config, commands=port)
    catalog_sources = mqtt.sources
    mqtt.sources = replace(catalog_sources, devices=registry.list_devices)
    mqtt.on_reading(ctx(), reading())
    return mqtt


def test_commands_are_off_by_default_nothing_listens_and_nothing_changes(broker, subscriber, catalog, dispatcher):
    mqtt = _service(broker, catalog, dispatcher, commands=False)
    try:
        subscriber.wait_for(lambda ms: any(m.topic.endswith("/config") and "inv1" in m.topic for m in ms))
        subscriber.publish(f"{BASE}/{DEVICE}/maintenance/set", "ON")
        time.sleep(1.0)  # long enough for a listening appliance to have acted (it answers within ms)
        configs = [m.topic for m in subscriber.messages if m.topic.endswith("/config")]
    finally:
        mqtt.stop()
    assert registry.get_device(DEVICE)["lifecycle_state"] != "maintenance"
    assert not subscriber.on(f"{BASE}/{DEVICE}/result")
    assert not [t for t in configs if "/switch/" in t]  # no command entity is offered either


def test_maintenance_on_and_off_through_the_same_service_as_the_api(broker, subscriber, catalog, dispatcher):
    mqtt = _service(broker, catalog, dispatcher, commands=True)
    control = f"{BASE}/{DEVICE}/control"
    try:
        switch = subscriber.wait_for(lambda ms: next((m.json() for m in ms if "/switch/" in m.topic and m.payload),
                                                     None))
        assert switch["command_topic"] == f"{BASE}/{DEVICE}/maintenance/set"
        assert switch["state_topic"] == control and switch["entity_category"] == "config"
        mqtt.tick()
        subscriber.wait_for(lambda ms: subscriber.last(control) and not subscriber.last(control).json()["maintenance"])
        subscriber.publish(switch["command_topic"], "ON")
        result = subscriber.wait_for(lambda ms: subscriber.last(f"{BASE}/{DEVICE}/result"))
        assert result.json()["ok"] is True
        device = registry.get_device(DEVICE)
        assert (device["lifecycle_state"], device["maintenance_reason"]) == ("maintenance",
                                                                              "set over MQTT (Home Assistant)")
        subscriber.wait_for(lambda ms: subscriber.last(control).json()["maintenance"] is True)
        subscriber.wait_for(lambda ms: subscriber.last(f"{BASE}/{DEVICE}/availability").text == "offline")
        subscriber.publish(switch["command_topic"], "OFF")
        subscriber.wait_for(lambda ms: len(subscriber.on(f"{BASE}/{DEVICE}/result")) == 2)
        subscriber.wait_for(lambda ms: subscriber.last(control).json()["maintenance"] is False)
    finally:
        mqtt.stop()
    assert registry.get_device(DEVICE)["lifecycle_state"] == "active"


def test_a_bad_command_is_refused_with_a_reason_and_changes_nothing(broker, subscriber, catalog, dispatcher):
    mqtt = _service(broker, catalog, dispatcher, commands=True)
    try:
        subscriber.wait_for(lambda ms: any("/switch/" in m.topic for m in ms))  # the appliance listens now
        subscriber.publish(f"{BASE}/{DEVICE}/maintenance/set", "PERHAPS")
        subscriber.publish(f"{BASE}/inverter:nope/maintenance/set", "ON")
        subscriber.publish(f"{BASE}/{DEVICE}/self_destruct/set", "ON")
        refused = subscriber.wait_for(lambda ms: [m.json() for m in ms if m.topic.endswith("/result")]
                                      if len([m for m in ms if m.topic.endswith("/result")]) == 3 else None)
    finally:
        mqtt.stop()
    assert [r["ok"] for r in refused] == [False, False, False]
    assert "ON or OFF" in refused[0]["error"]
    assert "does not exist" in refused[1]["error"]
    assert "unknown command" in refused[2]["error"]
    assert registry.get_device(DEVICE)["lifecycle_state"] != "maintenance"


def test_a_retained_command_is_never_replayed(broker, subscriber, catalog, dispatcher):
    subscriber.publish(f"{BASE}/{DEVICE}/maintenance/set", "ON", retain=True)  # left on the broker by someone
    mqtt = _service(broker, catalog, dispatcher, commands=True)
    try:
        subscriber.wait_for(lambda ms: any("/switch/" in m.topic for m in ms))
        time.sleep(1.0)
    finally:
        mqtt.stop()
        subscriber.publish(f"{BASE}/{DEVICE}/maintenance/set", "", retain=True)
    assert registry.get_device(DEVICE)["lifecycle_state"] != "maintenance"
