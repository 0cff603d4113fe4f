"""How a battery power setpoint becomes a Deye-family program (docs/control.md, "Deye family").

The Deye time-of-use program is the one lever these inverters give over the battery:
- discharge P W: work mode "selling first", every slot's power P and target SOC the floor, no grid charge;
  the inverter discharges at P (its slot power is in W: 1 W steps on LV, 10 W on HV) down to the floor;
- charge P W: every slot charges from the grid to 100 % SOC, with the grid-charge and maximum charge
  currents both P / V amperes (1 A steps: about 51 W on a 51 V LV battery, about 400 W on a 400 V HV one);
- hold (0 W): no slot discharges (power 0, target 100 %) and the maximum charge current is 0.
Time of use is switched on for every day, and all six slots get the same values, so the inverter's own
clock and slot times do not matter. Every change starts from the owner's program (the snapshot taken
before the first write), so a setpoint's register image is always the same and expiry restores it exactly.
"""

from __future__ import annotations

import math

from appliance.drivers.modbus.control import SetpointContext
from appliance.drivers.modbus.settings import DAYS
from appliance.jsontypes import Json, JsonObject, JsonValue, as_list, as_object, number

#: Battery voltage to assume before a reading gives one: a 16-cell LFP stack, an HV stack of ~128 cells.
NOMINAL_V = {"three_phase_lv": 51.2, "single_phase": 51.2, "three_phase_hv": 409.6}


def _amount(value: JsonValue) -> float:
    # A setting's number, 0 when the program has none.
    return number(value) or 0


def setpoint_changes(program: JsonObject, power_w: float, context: SetpointContext) -> Json:
    """The changes to the owner's `program` that hold the battery at `power_w` (+ = discharge)."""
    slots = len(as_list(program.get("slots")))
    volts = max(1.0, context.battery_v)
    changes: Json = {"tou_enabled": True, "tou_days": list(DAYS)}
    slot: Json
    if power_w > 0:
        changes["work_mode"] = "selling_first"
        slot = {"power_w": power_w, "soc_pct": context.floor_soc_pct, "grid_charge": False}
        needed_a = math.ceil(power_w / volts)
        if _amount(program.get("max_discharge_current_a")) < needed_a:
            changes["max_discharge_current_a"] = needed_a  # the owner's current limit would cap the setpoint
    elif power_w < 0:
        amps = round(-power_w / volts)
        changes.update(grid_charge=True, grid_charge_current_a=amps, max_charge_current_a=amps)
        slot = {"power_w": -power_w, "soc_pct": 100, "grid_charge": True}
    else:
        changes["max_charge_current_a"] = 0
        slot = {"power_w": 0, "soc_pct": 100, "grid_charge": False}
    changes["slots"] = [{"slot": i + 1, **slot} for i in range(slots)]
    return changes


def implied_power_w(program: JsonObject, context: SetpointContext) -> float | None:
    """The battery power a setpoint program holds (what the device was read back to hold), else None."""
    slots = [as_object(slot) for slot in as_list(program.get("slots"))]
    if not slots or not program.get("tou_enabled") or len(as_list(program.get("tou_days"))) != len(DAYS):
        return None
    first = slots[0]
    if any({k: v for k, v in s.items() if k not in ("slot", "start")}
           != {k: v for k, v in first.items() if k not in ("slot", "start")} for s in slots):
        return None
    volts = max(1.0, context.battery_v)
    if first.get("grid_charge") and program.get("grid_charge"):
        amps = min(_amount(program.get("max_charge_current_a")), _amount(program.get("grid_charge_current_a")))
        return -round(amps * volts, 1)
    if first.get("power_w") == 0 and program.get("max_charge_current_a") == 0:
        return 0.0
    if program.get("work_mode") == "selling_first":
        cap = _amount(program.get("max_discharge_current_a")) * volts
        return float(min(_amount(first.get("power_w")), cap))
    return None
