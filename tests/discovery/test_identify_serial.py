"""Identification on serial ports: every driver finds its own simulator and no other family's (issue 3 item 10)."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from appliance.discovery.probe import Prober, serial_modbus_candidates, serial_stream_candidates
from appliance.drivers.connect import LinkPool
from appliance.sim.acuvim2 import AcuvimSim
from appliance.sim.iammeter import IamMeterSim
from appliance.sim.jkbms_gateway import JkPtySim
from appliance.sim.modbus_server import ModbusRtuSim
from appliance.sim.powdrive import PowdriveSim
from appliance.sim.powerpack import PowerPackSim
from appliance.sim.pylontech_console import PylontechConsoleSim
from appliance.sim.pylontech_rs485 import PylontechRs485Sim
from appliance.sim.senergy import SenergySim
from appliance.sim.sunspec import sunspec_image
#: The matrix runs 81 pairs; most negatives are a silent line, so the timeout sets the pace.
PROBE_TIMEOUT_S = 0.2

DRIVERS = ("sunspec", "powdrive", "senergy", "iammeter", "acuvim2", "powerpack", "pytes", "pylontech_rs485",
           "jkbms_rs485")
EXPECTED_SERIALS = {"sunspec": "SIM-SS-0001", "powdrive": "PD24000001", "senergy": "SE2400001234",
                    "iammeter": "IAM3T0001", "acuvim2": None, "powerpack": None, "pytes": "HPTBR01234567891",
                    "pylontech_rs485": "HPTBR01234567891", "jkbms_rs485": "SIM00000001"}


def _start(family: str) -> Any:
    makers = {
        "sunspec": lambda: ModbusRtuSim({1: sunspec_image()}).start(),
        "powdrive": lambda: PowdriveSim().rtu(), "senergy": lambda: SenergySim().rtu(),
        "iammeter": lambda: IamMeterSim().rtu(), "acuvim2": lambda: AcuvimSim().rtu(),
        "powerpack": lambda: PowerPackSim().rtu(), "pytes": lambda: PylontechConsoleSim().start(),
        "pylontech_rs485": lambda: PylontechRs485Sim().start(), "jkbms_rs485": lambda: JkPtySim().start(),
    }
    return makers[family]()


@pytest.fixture(scope="module")
def sims() -> Iterator[dict[str, Any]]:
    """One simulator per family on its own pty, shared by the whole matrix."""
    started = {family: _start(family) for family in DRIVERS}
    yield started
    for sim in started.values():
        sim.stop()


def config_for(adapter_type: str, path: str) -> dict[str, Any]:
    """The candidate config discovery would try for this family on this port."""
    for candidate, config in serial_modbus_candidates(path, 1) + serial_stream_candidates(path):
        if candidate == adapter_type:
            return config
    # PowerPack is not in the serial probe order (a TCP product) but must still reject other families.
    return {"transport": "rtu", "serial_port": path, "baudrate": 9600, "unit_id": 1}


@pytest.mark.parametrize("sim_family", DRIVERS)
@pytest.mark.parametrize("driver", DRIVERS)
def test_identify_matrix(sims: dict[str, Any], driver: str, sim_family: str) -> None:
    prober = Prober(LinkPool(), timeout_s=PROBE_TIMEOUT_S)
    path = sims[sim_family].path
    try:
        found = prober.try_identify("usb", path, driver, config_for(driver, path))
    finally:
        prober.pool.close_all()
    if driver == sim_family:
        assert found is not None, f"{driver} did not identify its own simulator"
        assert found.serial_number == EXPECTED_SERIALS[driver]
        assert found.adapter_config["serial_port"] == path
    else:
        assert found is None, f"{driver} claimed the {sim_family} simulator: {found}"


def test_probe_serial_order_finds_each_family(sims: dict[str, Any]) -> None:
    """The whole serial probe (Modbus at 9600 first, then the 115200 families) names the right family."""
    prober = Prober(LinkPool(), timeout_s=PROBE_TIMEOUT_S)
    try:
        for family in ("powdrive", "pytes", "jkbms_rs485"):
            found = prober.probe_serial(sims[family].path)
            assert [f.adapter_type for f in found] == [family]
    finally:
        prober.pool.close_all()
