"""Identification on 127.0.0.1: Modbus TCP families and the JK gateway reject each other's simulators."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from appliance.discovery.probe import Prober, tcp_modbus_candidates
from appliance.drivers.connect import LinkPool
from appliance.sim.acuvim2 import AcuvimSim
from appliance.sim.iammeter import IamMeterSim
from appliance.sim.jkbms_gateway import JkGatewaySim
from appliance.sim.powdrive import PowdriveSim
from appliance.sim.powerpack import PowerPackSim
from appliance.sim.senergy import SenergySim
from appliance.sim.sunspec import serve

DRIVERS = ("sunspec", "powdrive", "senergy", "iammeter", "acuvim2", "powerpack", "jkbms_tcpip")
PROBE_TIMEOUT_S = 0.2


def _start(family: str) -> Any:
    makers = {"sunspec": serve, "powdrive": lambda: PowdriveSim().tcp(), "senergy": lambda: SenergySim().tcp(),
              "iammeter": lambda: IamMeterSim().tcp(), "acuvim2": lambda: AcuvimSim().tcp(),
              "powerpack": lambda: PowerPackSim().tcp(), "jkbms_tcpip": lambda: JkGatewaySim().start()}
    return makers[family]()


@pytest.fixture(scope="module")
def sims() -> Iterator[dict[str, Any]]:
    """One simulator per family on an ephemeral 127.0.0.1 port."""
    started = {family: _start(family) for family in DRIVERS}
    yield started
    for sim in started.values():
        sim.stop()


def config_for(adapter_type: str, port: int) -> dict[str, Any]:
    """The candidate config discovery would try for this family at 127.0.0.1:port."""
    if adapter_type == "jkbms_tcpip":
        return {"host": "127.0.0.1", "port": port}
    return dict(next(c for t, c in tcp_modbus_candidates("127.0.0.1", port, 1) if t == adapter_type))


@pytest.mark.parametrize("sim_family", DRIVERS)
@pytest.mark.parametrize("driver", DRIVERS)
def test_identify_matrix(sims: dict[str, Any], driver: str, sim_family: str) -> None:
    prober = Prober(LinkPool(), timeout_s=PROBE_TIMEOUT_S)
    port = sims[sim_family].port
    try:
        found = prober.try_identify("tcp", f"127.0.0.1:{port}", driver, config_for(driver, port))
    finally:
        prober.pool.close_all()
    if driver == sim_family:
        assert found is not None, f"{driver} did not identify its own simulator"
        assert found.adapter_config["port"] == port
    else:
        assert found is None, f"{driver} claimed the {sim_family} simulator: {found}"


def test_probe_tcp_finds_units_and_gateway(sims: dict[str, Any]) -> None:
    """SunSpec's serve() has an inverter at unit 1 and a meter at unit 2; both are found with unit ids [1, 2]."""
    prober = Prober(LinkPool(), timeout_s=PROBE_TIMEOUT_S, unit_ids=(1, 2))
    try:
        found = prober.probe_tcp("127.0.0.1", sims["sunspec"].port)
        assert [(f.adapter_type, f.unit_id) for f in found] == [("sunspec", 1), ("sunspec", 2)]
        gateway = prober.probe_tcp("127.0.0.1", sims["jkbms_tcpip"].port, unit_ids=(1,))
        assert [f.adapter_type for f in gateway] == ["jkbms_tcpip"]
    finally:
        prober.pool.close_all()


def test_closed_tcp_port_is_skipped_quickly() -> None:
    """Nothing listening: the cheap connect check answers before any family is tried."""
    free = JkGatewaySim().start()
    port = free.port
    free.stop()
    prober = Prober(LinkPool(), timeout_s=PROBE_TIMEOUT_S)
    assert prober.probe_tcp("127.0.0.1", port) == []
