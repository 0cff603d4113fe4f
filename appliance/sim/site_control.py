"""How the simulated home's battery obeys a Deye inverter's controls (a model of the documented behaviour).

- Time of use (when enabled for today's weekday): the slot whose start has passed rules; before the first
  start the last slot runs on. Its power caps the discharge, its SOC is the floor a discharge stops at and,
  with its grid-charge flag and grid charge on, the target the battery charges to from the grid at the
  grid-charge current (plus any PV surplus).
- Work mode "selling first" with a slot: the battery discharges at the slot power (the surplus is sold);
  the zero-export modes: it covers only the load, and PV surplus charges it.
- Maximum charge and discharge currents (times the battery voltage) cap every flow; export above the export
  limit (or any PV export with solar sell off in a zero-export mode) first lowers the discharge, then
  charges the battery, then curtails PV.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from appliance.sim.powdrive_settings import SELLING_FIRST, Controls, Slot


@dataclass(frozen=True)
class Flow:
    """The battery power (+ = discharge) and the PV power actually used after curtailment."""

    battery_w: float
    pv_w: float


def active_slot(controls: Controls, local: datetime) -> Slot | None:
    """The time-of-use slot in force at a local instant, None when time of use is off for the day."""
    if not controls.tou_enabled or not controls.tou_days & (1 << (local.weekday() + 1)):
        return None
    minute = local.hour * 60 + local.minute
    current = None
    for slot in controls.slots:
        if slot.start_min <= minute:
            current = slot
    return current or controls.slots[-1]


def flow(controls: Controls, local: datetime, pv_w: float, load_w: float, soc_pct: float, volts: float,
         bms_charge_w: float, bms_discharge_w: float) -> Flow:
    """The battery and PV power the inverter settles at under `controls`."""
    slot = active_slot(controls, local)
    charge_cap = max(0.0, min(controls.max_charge_a * volts, bms_charge_w))
    discharge_cap = max(0.0, min(controls.max_discharge_a * volts, bms_discharge_w))
    floor = controls.low_soc_pct
    surplus = pv_w - load_w
    if slot is not None:
        discharge_cap = min(discharge_cap, slot.power_w)
        floor = max(floor, slot.soc_pct)
        if slot.grid_charge and controls.grid_charge and soc_pct < slot.soc_pct:
            charge = min(charge_cap, controls.grid_charge_a * volts + max(surplus, 0.0))
            return Flow(-charge, pv_w)
    if soc_pct > floor:
        if controls.work_mode == SELLING_FIRST and slot is not None:
            battery = discharge_cap
        else:
            battery = min(max(-surplus, -charge_cap), discharge_cap)
    else:
        battery = -min(max(surplus, 0.0), charge_cap)
    selling = controls.work_mode == SELLING_FIRST or controls.solar_sell
    export_cap = max(0.0, controls.export_limit_w) if selling else 0.0
    excess = -(load_w - pv_w - battery) - export_cap
    if excess > 0:
        lowered = max(battery - excess, -charge_cap)
        excess -= battery - lowered
        battery = lowered
        if excess > 0:
            pv_w = max(0.0, pv_w - excess)
    return Flow(battery, pv_w)
