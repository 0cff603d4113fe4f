"""The broker link: MQTT 3.1.1 and 5, user and password, TLS with a test CA and a client certificate,
reconnecting after the broker restarts, and an authentication failure reported once, clearly."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from appliance.mqtt.config import parse_url
from tests.mqtt.broker import Broker, Subscriber, make_ca
from tests.mqtt.service_kit import Home, ctx, reading, service

BASE = "appliance/home"


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_user_password_and_tls_with_the_test_ca_in_both_protocols(db, secure_broker, test_ca, protocol):
    config = replace(parse_url(f"mqtts://appliance:s3cret%20pass@127.0.0.1:{secure_broker.port}"),
                     ca_file=str(test_ca.ca), protocol=protocol)
    sub = Subscriber(secure_broker, username="ha", password="ha-pass")
    mqtt = service(None, Home(), config=config)
    try:
        mqtt.on_reading(ctx(), reading())
        message = sub.wait_for(lambda ms: sub.last(f"{BASE}/inverter:inv1/state"))
        assert mqtt.status()["state"] == "connected" and mqtt.status()["protocol"] == protocol
    finally:
        mqtt.stop()
        sub.close()
    assert message.json()["pv_power_w"] == 1200


def test_a_client_certificate_when_the_broker_requires_one(db, tmp_path, test_ca):
    broker = Broker(tmp_path / "mtls", users={"appliance": "pw"}, ca=test_ca, require_client_cert=True).start()
    base = replace(parse_url(f"mqtts://appliance:pw@127.0.0.1:{broker.port}"), ca_file=str(test_ca.ca))
    without = service(None, Home(), config=base)
    try:
        without_status = _wait_status(without, lambda s: s["failures"] >= 1)
    finally:
        without.stop()
    with_cert = service(None, Home(), config=replace(base, client_cert=str(test_ca.client_cert),
                                                     client_key=str(test_ca.client_key)))
    try:
        _wait_status(with_cert, lambda s: s["state"] == "connected")
    finally:
        with_cert.stop()
        broker.stop()
    assert without_status["state"] != "connected" and without_status["last_error"]


def test_an_untrusted_broker_certificate_is_a_clear_tls_error(db, secure_broker, tmp_path):
    other_ca = make_ca(tmp_path / "other-ca")
    config = replace(parse_url(f"mqtts://appliance:s3cret%20pass@127.0.0.1:{secure_broker.port}"),
                     ca_file=str(other_ca.ca))
    mqtt = service(None, Home(), config=config)
    try:
        status = _wait_status(mqtt, lambda s: s["failures"] >= 1)
    finally:
        mqtt.stop()
    assert "not trusted" in status["last_error"] and "CA file" in status["last_error"]


def _wait_status(mqtt, predicate, timeout: float = 20.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = mqtt.status()
        if predicate(status):
            return status
        time.sleep(0.05)
    raise AssertionError(f"status never matched: {mqtt.status()}")


def test_a_wrong_password_is_reported_once_clearly_and_retried_with_backoff(db, secure_broker, test_ca, caplog):
    config = replace(parse_url(f"mqtts://appliance:wrong@127.0.0.1:{secure_broker.port}"), ca_file=str(test_ca.ca))
    caplog.set_level(logging.INFO, logger="appliance.mqtt")
    mqtt = service(None, Home(), config=config)
    try:
        status = _wait_status(mqtt, lambda s: s["failures"] >= 4)
        ok, detail = mqtt.health()
    finally:
        mqtt.stop()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors  # four refusals, one line
    assert "refused user 'appliance'" in errors[0] and "user name and password" in errors[0]
    assert "wrong" not in errors[0]  # never the password
    assert status["last_error"] == errors[0].split(" (retrying")[0].removeprefix("MQTT: ")
    assert not ok and "refused user" in detail


def test_reconnects_after_the_broker_restarts_and_sends_the_configs_again(db, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="appliance.mqtt")
    broker = Broker(tmp_path / "restart").start()  # persistence off: a restart forgets every retained message
    mqtt = service(broker.url, Home())
    try:
        mqtt.on_reading(ctx(), reading())
        first = Subscriber(broker, ("homeassistant/#",), client_id="first")
        first.wait_for(lambda ms: any("inv1" in m.topic for m in ms))
        first.close()
        broker.stop()
        _wait_status(mqtt, lambda s: s["state"] != "connected")
        broker.start()
        late = Subscriber(broker, ("homeassistant/#", f"{BASE}/status"), client_id="late")
        # The restarted broker forgot every retained message: any config it holds now was sent again.
        late.wait_for(lambda ms: any("inv1" in m.topic and m.payload for m in ms) and
                      any(m.topic == f"{BASE}/status" and m.text == "online" for m in ms), 30)
        late.close()
    finally:
        mqtt.stop()
        broker.stop()
    said = [r.getMessage() for r in caplog.records]
    assert any("connected to" in m and "again after" in m for m in said), said
