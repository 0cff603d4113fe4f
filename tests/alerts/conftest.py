"""A home of simulators on 127.0.0.1 (a Powdrive inverter, an IAMMeter grid meter, a JK pack behind a TCP
gateway) polled by the real acquisition, with the alerts service listening; a controllable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from appliance.acquisition.live import LiveCache
from appliance.acquisition.service import Acquisition
from appliance.acquisition.writer import SampleWriter
from appliance.alerts.service import AlertsService, Collaborators
from appliance.catalog import adapters, devices, systems
from appliance.drivers.connect import LinkPool
from appliance.sim.iammeter import THREE_PHASE, IamMeterSim
from appliance.sim.jkbms_gateway import JkGatewaySim
from appliance.sim.jkbms_render import DEFAULT_VALUES as JK_VALUES
from appliance.sim.modbus_server import ModbusTcpSim
from appliance.sim.powdrive import DEFAULTS as POWDRIVE_DEFAULTS
from appliance.sim.powdrive import PowdriveSim
from appliance.store.models import AlertRow

START_MS = 1_780_000_000_000
INVERTER, METER, PACK = "inverter:inv1", "meter:grid", "battery_pack:p1"


class Clock:
    """A controllable wall clock in epoch ms."""

    def __init__(self, start: int = START_MS) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)


@dataclass
class Sims:
    """The simulators and the values they serve (change the dicts to change what the devices say)."""

    inverter_values: dict[str, Any] = field(default_factory=lambda: dict(POWDRIVE_DEFAULTS["three_phase_lv"]))
    meter_values: dict[str, Any] = field(default_factory=lambda: dict(THREE_PHASE))
    pack_values: dict[str, Any] = field(default_factory=lambda: {**JK_VALUES, "cell_voltages_v":
                                                                 list(JK_VALUES["cell_voltages_v"])})
    inverter: Any = None
    meter: Any = None
    gateway: Any = None

    def start(self) -> "Sims":
        self.inverter = PowdriveSim(lambda: self.inverter_values).tcp()
        self.meter = IamMeterSim(lambda: self.meter_values).tcp()
        self.gateway = JkGatewaySim(lambda: self.pack_values).start()
        return self

    def stop_meter(self) -> None:
        """The meter's simulator stops: its port closes, nothing answers."""
        self.meter.stop()

    def start_meter(self) -> None:
        """The meter's simulator comes back on the same port."""
        port = self.meter.port
        self.meter = ModbusTcpSim(IamMeterSim(lambda: self.meter_values).units(1), port=port).start()

    def stop_pack(self) -> None:
        """The pack's gateway stops."""
        self.gateway.stop()

    def start_pack(self) -> None:
        """The pack's gateway comes back on the same port."""
        self.gateway = JkGatewaySim(lambda: self.pack_values, port=self.gateway.port).start()

    def stop(self) -> None:
        for sim in (self.inverter, self.meter, self.gateway):
            try:
                sim.stop()
            except OSError:
                pass


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sims():
    running = Sims().start()
    yield running
    running.stop()


@pytest.fixture
def home(db, sims):
    """The catalog of the simulated home: system, array, inverter, grid meter, battery array and pack."""
    systems.create_system("home", "Home", timezone="UTC")
    systems.create_array("roof", "home", "Roof")
    adapters.create_adapter("inv1_tcp", "powdrive", {"transport": "tcp", "host": "127.0.0.1",
                                                     "port": sims.inverter.port, "timeout_s": 0.5, "retries": 0})
    devices.create_inverter("inv1", "roof", "Inverter", adapter_id="inv1_tcp")
    adapters.create_adapter("grid_tcp", "iammeter", {"transport": "tcp", "host": "127.0.0.1",
                                                     "port": sims.meter.port, "timeout_s": 0.5, "retries": 0})
    devices.create_meter("grid", "home", "Grid meter", adapter_id="grid_tcp", type="grid")
    systems.create_battery_array("bank", "home", "Bank")
    devices.create_battery_pack("p1", "bank", "JK pack", nominal_kwh=5.0)
    adapters.create_adapter("p1_tcp", "jkbms_tcpip", {"host": "127.0.0.1", "port": sims.gateway.port,
                                                      "timeout_s": 0.5, "protocol": "jkpb", "retries": 0})
    adapters.link_pack_adapter("p1", "p1_tcp")
    return "home"


@dataclass
class Rig:
    """The acquisition and the alerts service on the simulated home, stepped by hand."""

    acquisition: Acquisition
    alerts: AlertsService
    clock: Clock
    writer: SampleWriter
    pool: LinkPool

    def step(self, seconds: float = 5.0, times: int = 1) -> None:
        """Advance the clock, poll every device once, run the alerts' timer; `times` over."""
        for _ in range(times):
            self.clock.advance(seconds)
            self.acquisition.poll_all()
            self.writer.flush_now()
            self.alerts.tick()

    def active(self, kind: str) -> list[Any]:
        """The active alerts of a kind."""
        return [a for a in self.alerts.active() if a.kind == kind]

    def rows(self, kind: str) -> list[AlertRow]:
        """Every stored record of a kind."""
        return list(AlertRow.select().where(AlertRow.kind == kind).order_by(AlertRow.alert_id))


def make_rig(clock: Clock, collaborators: Collaborators | None = None, *, pool: LinkPool | None = None,
             **options: Any) -> Rig:
    """Acquisition (no scheduler: polled by hand) and the alerts service, started."""
    writer = SampleWriter(flush_interval_s=0.05).start()
    pool = pool or LinkPool()
    acquisition = Acquisition(None, writer, pool, LiveCache(clock=clock), clock=clock)
    acquisition.sync()
    service = AlertsService(acquisition, collaborators, clock=clock, backoff_s=(0.05, 0.1, 0.2), **options)
    service.start()
    return Rig(acquisition, service, clock, writer, pool)


@pytest.fixture
def rig(home, clock):
    made = make_rig(clock)
    yield made
    made.alerts.stop()
    made.writer.stop()
    made.pool.close_all()
