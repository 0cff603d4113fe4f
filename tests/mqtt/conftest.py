"""MQTT fixtures: a real Mosquitto per test on a free loopback port, a test CA, a real paho subscriber."""

from __future__ import annotations

import pytest

from tests.mqtt.broker import Broker, Subscriber, make_ca


@pytest.fixture
def broker(tmp_path):
    """An anonymous Mosquitto on 127.0.0.1."""
    running = Broker(tmp_path / "broker").start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory):
    """A CA with a server certificate for 127.0.0.1 and a client certificate (openssl CLI)."""
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def secure_broker(tmp_path, test_ca):
    """Mosquitto with a password file and TLS from the test CA (client certificate optional)."""
    running = Broker(tmp_path / "secure", users={"appliance": "s3cret pass", "ha": "ha-pass"}, ca=test_ca).start()
    yield running
    running.stop()


@pytest.fixture
def subscriber(broker):
    """A paho client subscribed to everything on the anonymous broker."""
    client = Subscriber(broker)
    yield client
    client.close()
