"""The simulated Deye obeys its control registers, and the demo's site model follows: time-of-use slots (times,
power, target SOC, grid charge, weekdays), work mode, export limit, charge and discharge currents."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from appliance.drivers.transports.modbus import TcpBus
from appliance.sim import powdrive_settings
from appliance.sim.powdrive import PowdriveSim
from appliance.sim.powdrive_settings import SELLING_FIRST, ZERO_EXPORT_TO_CT, Controls, Slot
from appliance.sim.site import SiteModel
from appliance.sim.site_control import active_slot, flow

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_NOON = datetime(2026, 3, 2, 12, 30, tzinfo=BERLIN)  # a Monday


def controls(**changes) -> Controls:
    return replace(powdrive_settings.decode("three_phase_lv", powdrive_settings.defaults("three_phase_lv")),
                   **changes)


def test_by_default_the_battery_serves_the_load_and_stores_the_surplus() -> None:
    at_night = flow(controls(), MONDAY_NOON, pv_w=0, load_w=900, soc_pct=50, volts=51, bms_charge_w=4000,
                    bms_discharge_w=4000)
    assert at_night.battery_w == 900
    sunny = flow(controls(), MONDAY_NOON, pv_w=3000, load_w=500, soc_pct=50, volts=51, bms_charge_w=4000,
                 bms_discharge_w=4000)
    assert sunny.battery_w == -2500
    capped = flow(controls(max_discharge_a=10), MONDAY_NOON, pv_w=0, load_w=900, soc_pct=50, volts=51,
                  bms_charge_w=4000, bms_discharge_w=4000)
    assert capped.battery_w == 510  # 10 A x 51 V


def test_the_slot_in_force_follows_the_clock_and_the_weekday_bits() -> None:
    slots = tuple(Slot(start, 1000 + start, 20, False) for start in (0, 360, 720, 1080, 1200, 1320))
    assert active_slot(controls(slots=slots), MONDAY_NOON).start_min == 720
    assert active_slot(controls(slots=slots), MONDAY_NOON.replace(hour=23, minute=59)).start_min == 1320
    late = tuple(Slot(start, 500, 20, False) for start in (60, 360, 720, 1080, 1200, 1320))
    assert active_slot(controls(slots=late), MONDAY_NOON.replace(hour=0, minute=30)).start_min == 1320
    assert active_slot(controls(slots=slots, tou_days=0b11000000), MONDAY_NOON) is None  # weekend only
    assert active_slot(controls(slots=slots, tou_enabled=False), MONDAY_NOON) is None


def test_a_grid_charge_slot_charges_at_the_grid_charge_current_to_its_soc() -> None:
    slots = tuple(Slot(start, 8000, 90 if start == 720 else 10, start == 720) for start in (0, 240, 480, 720, 960, 1200))
    on = controls(slots=slots, grid_charge=True, grid_charge_a=20)
    charging = flow(on, MONDAY_NOON, pv_w=0, load_w=400, soc_pct=50, volts=50, bms_charge_w=4000,
                    bms_discharge_w=4000)
    assert charging.battery_w == -1000
    assert flow(on, MONDAY_NOON, pv_w=0, load_w=400, soc_pct=91, volts=50, bms_charge_w=4000,
                bms_discharge_w=4000).battery_w == 400  # above the slot's SOC: no charge; it serves the load
    off = controls(slots=slots, grid_charge=False, grid_charge_a=20)
    assert flow(off, MONDAY_NOON, pv_w=0, load_w=400, soc_pct=50, volts=50, bms_charge_w=4000,
                bms_discharge_w=4000).battery_w == 0  # grid charge off: no charge, and no discharge below 90 %


def test_selling_first_discharges_at_slot_power_up_to_the_export_limit() -> None:
    slots = tuple(Slot(start, 3000, 20, False) for start in (0, 240, 480, 720, 960, 1200))
    selling = controls(slots=slots, work_mode=SELLING_FIRST, export_limit_w=8000)
    assert flow(selling, MONDAY_NOON, pv_w=0, load_w=500, soc_pct=60, volts=51, bms_charge_w=4000,
                bms_discharge_w=4000).battery_w == 3000
    limited = replace(selling, export_limit_w=1000)
    assert flow(limited, MONDAY_NOON, pv_w=0, load_w=500, soc_pct=60, volts=51, bms_charge_w=4000,
                bms_discharge_w=4000).battery_w == 1500  # load 500 + export 1000
    assert flow(selling, MONDAY_NOON, pv_w=0, load_w=500, soc_pct=20, volts=51, bms_charge_w=4000,
                bms_discharge_w=4000).battery_w == 0  # at the slot's SOC
    zero = controls(slots=slots, work_mode=ZERO_EXPORT_TO_CT, solar_sell=False)
    curtailed = flow(zero, MONDAY_NOON, pv_w=6000, load_w=500, soc_pct=60, volts=51, bms_charge_w=4000,
                     bms_discharge_w=4000)
    assert (curtailed.battery_w, curtailed.pv_w) == (-4000, 4500)  # no export: PV beyond load and charge is cut


@pytest.mark.parametrize("profile, rated_raw", [("three_phase_lv", 80000), ("three_phase_hv", 100000),
                                                ("single_phase", 50000)])
def test_the_simulator_serves_its_settings_and_keeps_fc16_writes(profile: str, rated_raw: int) -> None:
    sim = PowdriveSim(profile=profile, hardware_max_a=60)
    layout = powdrive_settings.LAYOUTS[profile]
    server = sim.tcp()
    unit = TcpBus("127.0.0.1", server.port).unit(1)
    try:
        low, high = unit.read_holding(layout.rated_power, 2)
        assert low | high << 16 == rated_raw
        unit.write_registers(layout.max_charge_a, [80])
        unit.write_registers(layout.work_mode, [SELLING_FIRST])
        assert unit.read_holding(layout.max_charge_a, 1) == [60]  # the model's own cap: acknowledged, not kept
        assert sim.controls().work_mode == SELLING_FIRST and sim.controls().max_charge_a == 60
    finally:
        unit.bus.close()
        server.stop()


def test_the_site_follows_the_inverters_controls() -> None:
    now = [datetime(2026, 3, 2, 2, 0, tzinfo=BERLIN).timestamp()]  # night: no PV
    site = SiteModel(clock=lambda: now[0], timezone_name="Europe/Berlin", start_soc_pct=60)
    sim = PowdriveSim(lambda: site.inverter_values())
    site.controls = sim.controls
    assert site.inverter_values()["battery_power_w"] == pytest.approx(site.state.load_w, abs=1)
    registers = powdrive_settings.defaults("three_phase_lv")
    registers.update({108: 20, 128: 20, 130: 1, **{172 + i: 1 for i in range(6)}, **{166 + i: 100 for i in range(6)}})
    sim.image.write(108, [registers.get(a, 0) for a in range(108, 178)])
    now[0] += 60
    values = site.inverter_values()
    volts = values["battery_voltage_v"]
    assert values["battery_power_w"] == pytest.approx(-20 * volts, abs=15)
    assert values["grid_power_w"] == pytest.approx(site.state.load_w + 20 * volts, abs=15)
