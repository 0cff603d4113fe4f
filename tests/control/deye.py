"""A controllable Deye hybrid for control tests: the simulator (with a site model that obeys it) on Modbus TCP
or on Modbus RTU over a pty, configured in the catalog as the `home` system's inverter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from appliance.catalog import adapters, devices
from appliance.sim.powdrive import PowdriveSim
from appliance.sim.site import SiteModel
from tests.control.conftest import set_health

THREE_PHASE_SETTINGS = range(108, 178)


@dataclass
class Deye:
    """The simulated inverter, its server, the site it drives, its asset id and adapter config."""

    sim: PowdriveSim
    server: Any
    site: SiteModel
    asset_id: str
    config: dict[str, Any]

    def registers(self, addresses: Any = THREE_PHASE_SETTINGS) -> dict[int, int]:
        """What the simulated inverter holds now (read from its datastore, not over the bus)."""
        return {a: self.sim.image.registers["holding"][a] for a in addresses}

    @property
    def writes(self) -> int:
        """FC16 requests the simulated inverter has taken."""
        return self.sim.image.writes


def start(transport: str, clock: Any, *, profile: str = "three_phase_lv", hardware_max_a: int | None = None,
          budget: int | None = None, inverter_id: str = "inv") -> Deye:
    """Start a simulated Deye and configure it as an inverter of the `home` fixture's `roof` array."""
    site = SiteModel(clock=lambda: clock() / 1000, timezone_name="Europe/Berlin")
    sim = PowdriveSim(lambda: {**site.inverter_values(), "serial_number": "SIMPD00001"}, profile=profile,
                      hardware_max_a=hardware_max_a)
    site.controls = sim.controls
    if transport == "tcp":
        server = sim.tcp()
        config: dict[str, Any] = {"transport": "tcp", "host": "127.0.0.1", "port": server.port}
    else:
        server = sim.rtu()
        config = {"transport": "rtu", "serial_port": server.path, "baudrate": 9600}
    config.update(unit_id=1, timeout_s=2.0)
    if budget is not None:
        config["write_budget_per_day"] = budget
    adapters.create_adapter(f"{inverter_id}_adapter", "powdrive", config)
    devices.create_inverter(inverter_id, "roof", "Hybrid inverter", adapter_id=f"{inverter_id}_adapter")
    asset_id = f"inverter:{inverter_id}"
    set_health(asset_id, "online")
    return Deye(sim, server, site, asset_id, config)
