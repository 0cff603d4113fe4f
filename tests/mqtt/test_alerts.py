"""Alerts as HA problem sensors: one on each device while an alert of it is active, one on the appliance,
with the messages as attributes; sent when they change. (The alerts service is handed in by runtime.)"""

from __future__ import annotations

from tests.mqtt.service_kit import Home, ctx, reading, service

BASE = "appliance/home"


def test_a_devices_alert_turns_its_problem_sensor_on_and_off(db, broker, subscriber):
    home = Home(alerts=[])
    mqtt = service(broker.url, home)
    topic = f"{BASE}/inverter:inv1/alert"
    try:
        mqtt.on_reading(ctx(), reading())
        config = subscriber.wait_for(lambda ms: next((m.json() for m in ms if m.topic.endswith("inv1/alert/config")
                                                      and m.payload), None))
        assert (config["device_class"], config["state_topic"], config["json_attributes_topic"]) == \
            ("problem", topic, topic)
        appliance = subscriber.wait_for(lambda ms: next((m.json() for m in ms if m.topic.endswith(
            "-appliance/alert/config") and m.payload), None))
        assert appliance["device_class"] == "problem"
        mqtt.tick()
        subscriber.wait_for(lambda ms: subscriber.last(topic) and subscriber.last(topic).json()["active"] is False)
        home.alerts.append({"device_id": "inverter:inv1", "kind": "device_offline",
                            "message": "Roof inverter has not answered for 5 minutes"})
        mqtt.publish_appliance()
        on = subscriber.wait_for(lambda ms: subscriber.last(topic).json()["active"] and subscriber.last(topic))
        summary = subscriber.wait_for(lambda ms: next((m for m in ms if m.topic == f"{BASE}/_appliance/state"
                                                       and m.json().get("alerts_active") == 1), None))
        home.alerts.clear()
        mqtt.tick()
        subscriber.wait_for(lambda ms: subscriber.last(topic).json()["active"] is False)
        mqtt.tick()
    finally:
        mqtt.stop()
    assert on.json()["messages"] == ["Roof inverter has not answered for 5 minutes"]
    assert summary.json()["alerts_active"] == 1
    assert [m.json()["active"] for m in subscriber.on(topic)] == [False, True, False]  # on change only


def test_without_an_alerts_service_no_alert_entity_is_offered(db, broker, subscriber):
    mqtt = service(broker.url, Home())
    try:
        mqtt.on_reading(ctx(), reading())
        subscriber.wait_for(lambda ms: len([m for m in ms if "inv1" in m.topic and m.topic.endswith("/config")]) == 4)
    finally:
        mqtt.stop()
    assert not [m.topic for m in subscriber.messages if "/alert" in m.topic]
