"""The five Modbus drivers read their simulators over TCP and RTU-on-pty and reject other families."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from appliance.drivers.acuvim2 import AcuvimDriver
from appliance.drivers.base import CAP_SETPOINT, Driver
from appliance.drivers.iammeter import IamMeterDriver
from appliance.drivers.powdrive import PowdriveDriver
from appliance.drivers.powerpack import PowerPackDriver
from appliance.drivers.senergy import SenergyDriver
from appliance.drivers.transports.modbus import RtuBus, TcpBus
from appliance.errors import TransportError, UnsupportedError
from appliance.sim.acuvim2 import AcuvimSim
from appliance.sim.iammeter import IamMeterSim
from appliance.sim.modbus_device import MapDeviceSim
from appliance.sim.powdrive import PowdriveSim
from appliance.sim.powerpack import PowerPackSim
from appliance.sim.senergy import SenergySim

SIMS: dict[str, Callable[[], MapDeviceSim]] = {
    "powdrive_3p_lv": PowdriveSim,
    "powdrive_3p_hv": lambda: PowdriveSim(profile="three_phase_hv"),
    "powdrive_1p": lambda: PowdriveSim(profile="single_phase"),
    "senergy": SenergySim,
    "iammeter_3p": IamMeterSim,
    "iammeter_1p": lambda: IamMeterSim(model="WEM3080"),
    "acuvim2": AcuvimSim,
    "powerpack": PowerPackSim,
}
DRIVER_OF: dict[str, type[Driver]] = {
    "powdrive_3p_lv": PowdriveDriver, "powdrive_3p_hv": PowdriveDriver, "powdrive_1p": PowdriveDriver,
    "senergy": SenergyDriver, "iammeter_3p": IamMeterDriver, "iammeter_1p": IamMeterDriver,
    "acuvim2": AcuvimDriver, "powerpack": PowerPackDriver,
}
#: What each simulator's default snapshot must read as (the sign conventions of READINGS.md included).
EXPECT: dict[str, dict[str, Any]] = {
    "powdrive_3p_lv": {"battery_power_w": -1500, "grid_power_w": -800, "pv_power_w": 4400, "battery_soc_pct": 67,
                       "inverter_temperature_c": 41.2, "state": "normal"},
    "powdrive_3p_hv": {"battery_power_w": -1500, "pv_powers_w": [2300, 2100, 0, 0]},
    "powdrive_1p": {"grid_power_w": -800, "load_power_w": 2100, "grid_import_total_kwh": 3210.7},
    "senergy": {"battery_current_a": -25.5, "battery_power_w": -1305.6, "grid_power_w": -450.5,
                "work_mode": "self_use"},
    "iammeter_3p": {"power_w": 1660, "powers_w": [950, -420, 1130], "import_energy_kwh": 3590.75},
    "iammeter_1p": {"power_w": -1350, "export_energy_kwh": 987.5},
    "acuvim2": {"frequency_hz": 50.0, "power_w": 7015.75, "import_energy_kwh": 123456.7},
    "powerpack": {"soe_pct": 55.5, "status": "running", "available_blocks": 4},
}
KINDS = {PowdriveDriver: "inverter", SenergyDriver: "inverter", IamMeterDriver: "meter", AcuvimDriver: "meter",
         PowerPackDriver: "bess"}


@pytest.fixture(params=["tcp", "rtu"])
def transport(request: pytest.FixtureRequest) -> str:
    """Each test runs over Modbus TCP and over RTU on a pty."""
    return str(request.param)


def _serve(sim: MapDeviceSim, transport: str, unit_id: int = 1) -> tuple[Any, TcpBus | RtuBus]:
    if transport == "tcp":
        server: Any = sim.tcp(unit_id)
        return server, TcpBus("127.0.0.1", server.port, timeout_s=1.0)
    server = sim.rtu(unit_id)
    return server, RtuBus(server.path, baudrate=115200, timeout_s=1.0)


@pytest.fixture
def served(transport: str) -> Iterator[Callable[..., Any]]:
    """Start a simulator and hand back a link to it; everything is closed after the test."""
    opened: list[tuple[Any, Any]] = []

    def start(sim: MapDeviceSim, unit_id: int = 1) -> Any:
        server, bus = _serve(sim, transport, unit_id)
        opened.append((server, bus))
        return bus.unit(unit_id)

    yield start
    for server, bus in opened:
        bus.close()
        server.stop()


@pytest.mark.parametrize("name", sorted(SIMS))
def test_driver_reads_its_simulator(name: str, served: Callable[..., Any]) -> None:
    driver_cls = DRIVER_OF[name]
    driver = driver_cls({}, served(SIMS[name]()))
    identity = driver.identify()
    assert identity.adapter_type == driver_cls.adapter_type and identity.model
    reading = driver.read()
    assert reading.kind == KINDS[driver_cls]
    assert reading.ts_ms
    for key, value in EXPECT[name].items():
        assert reading.values[key] == pytest.approx(value), key
    assert "alarms" not in reading.values


@pytest.mark.parametrize("name", ["powdrive_1p", "iammeter_1p"])
def test_read_without_identify_finds_the_profile(name: str, served: Callable[..., Any]) -> None:
    reading = DRIVER_OF[name]({}, served(SIMS[name]())).read()
    for key, value in EXPECT[name].items():
        assert reading.values[key] == pytest.approx(value), key


def test_configured_profile_wins(served: Callable[..., Any]) -> None:
    link = served(PowdriveSim(profile="three_phase_hv"))
    reading = PowdriveDriver({"profile": "three_phase_lv"}, link).read()
    assert reading.values["battery_power_w"] == -150  # the LV map reads HV's 10 W steps as 1 W


def test_values_source_is_rendered_on_every_read(served: Callable[..., Any]) -> None:
    state = {"power_w": 100, "voltage_v": 230.0, "details.model_code": "WEM3080", "serial_number": "X1"}
    driver = IamMeterDriver({}, served(IamMeterSim(lambda: dict(state), model="WEM3080")))
    assert driver.read().values["power_w"] == 100
    state["power_w"] = -2500
    assert driver.read().values["power_w"] == -2500


def test_out_of_range_values_from_a_device_raise_alarms(served: Callable[..., Any]) -> None:
    values = {**PowdriveSim().snapshot(), "battery_soc_pct": 180}
    reading = PowdriveDriver({}, served(PowdriveSim(lambda: values))).read()
    assert "battery_soc_pct" not in reading.values
    assert "battery_soc_pct_out_of_range" in reading.values["alarms"]


@pytest.mark.parametrize("driver_name", sorted({d.adapter_type: d for d in DRIVER_OF.values()}))
def test_identify_rejects_every_other_family(driver_name: str, served: Callable[..., Any]) -> None:
    driver_cls = next(d for d in DRIVER_OF.values() if d.adapter_type == driver_name)
    others = [name for name, cls in DRIVER_OF.items() if cls is not driver_cls]
    for name in others:
        with pytest.raises(UnsupportedError, match="not a"):
            driver_cls({}, served(SIMS[name]())).identify()


def test_powerpack_setpoint_is_clamped_written_and_read_back(served: Callable[..., Any]) -> None:
    heard: list[float] = []
    sim = PowerPackSim(on_setpoint=heard.append)
    driver = PowerPackDriver({"max_charge_kw": 50, "max_discharge_kw": 20}, served(sim))
    assert PowerPackDriver.has(CAP_SETPOINT)
    assert driver.apply_setpoint(12_400) == 12_000
    assert driver.apply_setpoint(75_000) == 20_000
    assert driver.apply_setpoint(-90_000) == -50_000
    assert heard == [12_000, 20_000, -50_000]
    assert driver.read().values["target_power_w"] == -50_000


def test_powerpack_refused_setpoint_is_a_transport_error(served: Callable[..., Any]) -> None:
    driver = PowerPackDriver({"max_discharge_kw": 500}, served(PowerPackSim(max_kw=100)))
    with pytest.raises(TransportError, match="illegal data value"):
        driver.apply_setpoint(300_000)


def test_drivers_without_setpoints_say_so() -> None:
    with pytest.raises(UnsupportedError):
        IamMeterDriver({}, None).apply_setpoint(100)


def test_acuvim_reads_in_small_requests(served: Callable[..., Any]) -> None:
    sim = AcuvimSim()
    driver = AcuvimDriver({"max_registers_per_request": 6}, served(sim))
    reading = driver.read()
    assert reading.values["power_w"] == pytest.approx(7015.75)
    assert driver.unit_link.read_holding(16384, 60)[:2] == [0x4248, 0x0000]  # 50.0 Hz; the meter serves 60
    with pytest.raises(TransportError, match="illegal data value"):
        driver.unit_link.read_holding(16384, 61)  # the simulator, like the meter, refuses more than 60


def test_acuvim_power_sign_is_configurable(served: Callable[..., Any]) -> None:
    reading = AcuvimDriver({"invert_power": True}, served(AcuvimSim())).read()
    assert reading.values["power_w"] == pytest.approx(-7015.75)
    assert reading.values["powers_w"][0] == pytest.approx(-2300.5)
