"""State messages, availability, removal and the bounded queue, through a real broker and a real subscriber."""

from __future__ import annotations

import socket
import threading

import pytest

from tests.mqtt.broker import Broker, Subscriber, free_port
from tests.mqtt.service_kit import Clock, Home, ctx, reading, service

BASE = "appliance/home"
STATE = f"{BASE}/inverter:inv1/state"


@pytest.fixture
def home():
    return Home()


def test_one_state_message_per_poll_at_most_once_per_poll_interval(db, broker, subscriber, home):
    clock = Clock()
    mqtt = service(broker.url, home, monotonic=clock)
    try:
        subscriber.wait_for(lambda ms: any(m.topic == f"{BASE}/status" and m.text == "online" for m in ms))
        for n in range(5):  # five readings inside one 5 s poll interval: one message
            mqtt.on_reading(ctx(), reading(pv=1000 + n))
            clock.now += 0.5
        clock.now += 3.0  # 5 s after the first
        mqtt.on_reading(ctx(), reading(pv=2000, ts=1_780_000_005_000))
        states = subscriber.wait_for(lambda ms: [m for m in ms if m.topic == STATE][1:] and
                                     [m for m in ms if m.topic == STATE])
    finally:
        mqtt.stop()
    assert [s.json()["pv_power_w"] for s in states] == [1000, 2000]
    assert states[0].json() == {"pv_power_w": 1000, "grid_power_w": -300, "pv_energy_total_kwh": 1234.5,
                                "battery_soc_pct": 55, "serial_number": "SN1", "ts": 1_780_000_000_000}
    assert not states[0].retain


def test_energy_totals_go_out_when_asked_after_a_rollup(db, broker, subscriber, home):
    mqtt = service(broker.url, home)
    try:
        mqtt.publish_energy()
        message = subscriber.wait_for(lambda ms: subscriber.last(f"{BASE}/_energy/home/state"))
    finally:
        mqtt.stop()
    assert message.json() == {"pv_energy_today_kwh": 1.5, "pv_energy_total_kwh": 10.0}


def test_availability_follows_the_devices_health(db, broker, subscriber, home):
    topic = f"{BASE}/inverter:inv1/availability"
    mqtt = service(broker.url, home)
    try:
        mqtt.on_reading(ctx(), reading())
        subscriber.wait_for(lambda ms: subscriber.last(topic) and subscriber.last(topic).text == "online")
        mqtt.on_failure("inverter:inv1", "no answer")
        subscriber.wait_for(lambda ms: subscriber.last(topic).text == "offline")
        mqtt.on_reading(ctx(), reading())
        subscriber.wait_for(lambda ms: subscriber.last(topic).text == "online")
        home.devices[0]["health_status"] = "maintenance"  # the owner put it in maintenance
        mqtt.tick()
        subscriber.wait_for(lambda ms: subscriber.last(topic).text == "offline")
    finally:
        mqtt.stop()
    said = [m.text for m in subscriber.on(topic)]
    assert said == ["online", "offline", "online", "offline"]  # told on change only, never repeated


def test_a_device_removed_from_the_catalog_has_its_retained_configs_cleared(db, broker, home):
    mqtt = service(broker.url, home)
    watcher = Subscriber(broker, ("homeassistant/#",), client_id="watcher")
    try:
        mqtt.on_reading(ctx(), reading())
        configs = watcher.wait_for(lambda ms: [m for m in ms if "inv1" in m.topic and m.payload])
        home.devices.clear()
        mqtt.tick()
        watcher.wait_for(lambda ms: {m.topic for m in ms if "inv1" in m.topic and not m.payload}
                         >= {m.topic for m in configs})
    finally:
        mqtt.stop()
        watcher.close()
    # A newcomer (HA restarting) finds nothing retained of the device.
    late = Subscriber(broker, ("homeassistant/#", f"{BASE}/#"), client_id="late")
    try:
        late.wait_for(lambda ms: any(m.topic == f"{BASE}/status" for m in ms))
        assert not [m.topic for m in late.messages if "inv1" in m.topic]
    finally:
        late.close()


def test_removal_while_the_process_was_down_is_cleared_at_the_next_start(db, broker, home):
    first = service(broker.url, home)
    watcher = Subscriber(broker, ("homeassistant/#",), client_id="watcher")
    try:
        first.on_reading(ctx(), reading())
        configs = watcher.wait_for(lambda ms: [m for m in ms if "inv1" in m.topic and m.payload])
        first.tick()  # the record of what is retained is written
    finally:
        first.stop()
    home.devices.clear()
    second = service(broker.url, home)
    try:
        watcher.wait_for(lambda ms: second.link.connected)
        second.tick()
        watcher.wait_for(lambda ms: {m.topic for m in ms if not m.payload} >= {m.topic for m in configs})
    finally:
        second.stop()
        watcher.close()


class BlackHole:
    """A TCP server that accepts and then never answers: a broker wedged at the worst moment."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server = socket.create_server(("127.0.0.1", self.port))
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        self.server.close()
        for conn in self.conns:
            conn.close()


def test_a_wedged_broker_never_holds_a_poller_and_drops_are_counted(db, home):
    hole = BlackHole()
    clock = Clock()
    mqtt = service(f"mqtt://127.0.0.1:{hole.port}", home, monotonic=clock)
    try:
        mqtt.on_reading(ctx(), reading())  # configs: retained, kept however many states come
        for n in range(2000):
            clock.now += 10
            mqtt.on_reading(ctx(), reading(pv=n))
        status = mqtt.status()
    finally:
        mqtt.stop()
        hole.close()
    capacity = mqtt.config.queue_size
    assert status["dropped"] == 2001 - capacity  # every state message beyond the queue, oldest first
    assert status["waiting"] >= capacity  # the queue is full of the newest states, plus every config
    assert status["state"] in ("connecting", "waiting")
    assert "0 state messages" not in mqtt.health()[1]


def test_the_queue_empties_into_the_broker_when_it_comes_back(db, tmp_path, home):
    port = free_port()
    clock = Clock()
    # Slow retries: the subscriber is in place before the appliance's next try.
    mqtt = service(f"mqtt://127.0.0.1:{port}", home, monotonic=clock,
                   link_options={"backoff_min_s": 2.0, "backoff_max_s": 3.0})
    try:
        mqtt.on_reading(ctx(), reading(pv=1))
        for n in range(2, 6):
            clock.now += 10
            mqtt.on_reading(ctx(), reading(pv=n))
        assert mqtt.status()["state"] != "connected"
        broker = Broker(tmp_path / "late", port=port).start()
        sub = Subscriber(broker)
        try:
            sub.wait_for(lambda ms: len([m for m in ms if m.topic == STATE]) >= 1 and
                         any(m.topic.endswith("/config") for m in ms), 30)
            states = sub.wait_for(lambda ms: [m.json()["pv_power_w"] for m in ms if m.topic == STATE]
                                  if len([m for m in ms if m.topic == STATE]) >= 5 else None, 30)
        finally:
            sub.close()
            broker.stop()
    finally:
        mqtt.stop()
    assert states[:5] == [1, 2, 3, 4, 5]  # kept while away, sent in order, none dropped


def test_home_assistants_birth_message_brings_every_config_again(db, broker, home):
    mqtt = service(broker.url, home)
    watcher = Subscriber(broker, ("homeassistant/sensor/#",), client_id="watcher")
    try:
        mqtt.on_reading(ctx(), reading())
        # The reading has four values (the serial number goes into the device): four configs.
        first = watcher.wait_for(lambda ms: len([m for m in ms if "inv1" in m.topic]) == 4 and
                                 [m for m in ms if "inv1" in m.topic])
        count = len(watcher.messages)
        watcher.publish("homeassistant/status", "online")  # what HA says when it (re)starts
        again = watcher.wait_for(lambda ms: [m for m in ms[count:] if "inv1" in m.topic]
                                 if len([m for m in ms[count:] if "inv1" in m.topic]) >= len(first) else None)
    finally:
        mqtt.stop()
        watcher.close()
    assert {m.topic for m in again} == {m.topic for m in first}
