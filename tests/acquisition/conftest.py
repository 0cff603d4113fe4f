"""A home with a JK pack behind a TCP gateway (preferred) and BLE (failover), and a Powdrive inverter."""

from __future__ import annotations

import pytest

from appliance.acquisition.live import LiveCache
from appliance.acquisition.service import Acquisition
from appliance.acquisition.writer import SampleWriter
from appliance.catalog import adapters, devices, systems
from appliance.drivers.connect import LinkPool
from appliance.sim.jkbms_ble import FakeBleLink
from appliance.sim.jkbms_gateway import JkGatewaySim


class Clock:
    """A controllable wall clock in epoch ms."""

    def __init__(self, start: int = 1_780_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gateway():
    sim = JkGatewaySim().start()
    yield sim
    sim.stop()


@pytest.fixture
def home(db, gateway):
    systems.create_system("home", "Home", timezone="Europe/Berlin")
    systems.create_array("roof", "home", "Roof")
    systems.create_battery_array("bank", "home", "Bank")
    devices.create_battery_pack("p1", "bank", "JK pack", nominal_kwh=5.0)
    adapters.create_adapter("p1_tcp", "jkbms_tcpip", {"host": "127.0.0.1", "port": gateway.port, "timeout_s": 0.5,
                                                      "protocol": "jkpb"})
    adapters.create_adapter("p1_ble", "jkbms_ble", {"bt_addresses": ["C8:47:8C:00:00:01"], "timeout_s": 0.5})
    adapters.link_pack_adapter("p1", "p1_tcp")
    adapters.link_pack_adapter("p1", "p1_ble")
    return "battery_pack:p1"


@pytest.fixture
def acquisition(home, clock):
    writer = SampleWriter(flush_interval_s=0.05).start()
    pool = LinkPool(ble_link_factory=lambda address, timeout: FakeBleLink(address=address, seed=3))
    acq = Acquisition(None, writer, pool, LiveCache(clock=clock), clock=clock,
                      poller_options={"failover_after": 3, "failback_every": 2})
    acq.sync()
    yield acq
    writer.stop()
    pool.close_all()
