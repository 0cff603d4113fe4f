"""The simulated Deye's settings area: its own table of the manufacturer's control registers, defaults that
look like an installed inverter, and the decoded controls the site model obeys.

Register facts: Deye "MODBUS RTU" V105.1 (three-phase) and the single-phase protocol as transcribed by
kellerza/sunsynk@58193d5d (three_phase_common.py, three_phase_hv.py, single_phase.py) and
davidrapan/ha-solarman@ac1d88b (deye_p3.yaml, deye_hybrid.yaml). Kept apart from the driver's YAML so a
wrong address there shows up as an inverter that does not obey, instead of being mirrored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class Layout:
    """Where one Deye family keeps its control registers (bit None: the whole register is the flag)."""

    rated_power: int  # low word, high word next (0.1 W)
    max_charge_a: int
    max_discharge_a: int
    low_soc: int
    grid_charge_a: int
    grid_charge: int
    grid_charge_bit: int | None
    work_mode: int
    export_limit: int
    solar_sell: int
    solar_sell_bit: int | None
    tou: int  # bit 0 enable, bits 1-7 Monday..Sunday
    times: int  # six slots from here on
    powers: int
    volts: int
    socs: int
    flags: int  # bit 0 grid charge


THREE_PHASE = Layout(rated_power=20, max_charge_a=108, max_discharge_a=109, low_soc=117, grid_charge_a=128,
                     grid_charge=130, grid_charge_bit=None, work_mode=142, export_limit=143, solar_sell=145,
                     solar_sell_bit=None, tou=146, times=148, powers=154, volts=160, socs=166, flags=172)
SINGLE_PHASE = Layout(rated_power=16, max_charge_a=210, max_discharge_a=211, low_soc=219, grid_charge_a=230,
                      grid_charge=232, grid_charge_bit=0, work_mode=244, export_limit=245, solar_sell=247,
                      solar_sell_bit=0, tou=248, times=250, powers=256, volts=262, socs=268, flags=274)
LAYOUTS = {"three_phase_lv": THREE_PHASE, "three_phase_hv": THREE_PHASE, "single_phase": SINGLE_PHASE}
#: HV models count export limit and slot powers in 10 W (both sources: `scale: [1, 10]`, factor 10).
POWER_STEP_W = {"three_phase_lv": 1, "three_phase_hv": 10, "single_phase": 1}
RATED_W = {"three_phase_lv": 8000, "three_phase_hv": 10000, "single_phase": 5000}
#: Default currents: a 100 A LV battery; an HV stack of ~410 V takes some 25 A.
CURRENT_A = {"three_phase_lv": 100, "three_phase_hv": 25, "single_phase": 100}
SLOT_STARTS = (0, 400, 800, 1200, 1600, 2000)  # decimal HHMM
SELLING_FIRST, ZERO_EXPORT_TO_LOAD, ZERO_EXPORT_TO_CT = 0, 1, 2


@dataclass(frozen=True)
class Slot:
    """One time-of-use slot as the inverter holds it."""

    start_min: int  # minutes after midnight
    power_w: float
    soc_pct: float
    grid_charge: bool


@dataclass(frozen=True)
class Controls:
    """What the inverter is told to do: the site model obeys these."""

    rated_w: float
    max_charge_a: float
    max_discharge_a: float
    low_soc_pct: float
    grid_charge_a: float
    grid_charge: bool
    work_mode: int
    export_limit_w: float
    solar_sell: bool
    tou_enabled: bool
    tou_days: int  # bit 1 Monday .. bit 7 Sunday
    slots: tuple[Slot, ...]


def defaults(profile: str) -> dict[int, int]:
    """The settings of a freshly installed inverter: zero export to the CT, self-consumption down to 10 %."""
    lay, step = LAYOUTS[profile], POWER_STEP_W[profile]
    rated_raw = RATED_W[profile] * 10
    registers = {lay.rated_power: rated_raw & 0xFFFF, lay.rated_power + 1: rated_raw >> 16,
                 lay.max_charge_a: CURRENT_A[profile], lay.max_discharge_a: CURRENT_A[profile], lay.low_soc: 10,
                 lay.low_soc - 2: 5, lay.low_soc - 1: 30,  # shutdown 5 %, restart 30 % around the low SOC
                 lay.grid_charge_a: 40, lay.grid_charge: 0, lay.work_mode: ZERO_EXPORT_TO_CT,
                 lay.export_limit: RATED_W[profile] // step, lay.solar_sell: 1, lay.tou: 0x00FF}
    for i, start in enumerate(SLOT_STARTS):
        registers.update({lay.times + i: start, lay.powers + i: RATED_W[profile] // step,
                          lay.volts + i: 4900, lay.socs + i: 10, lay.flags + i: 0})
    return registers


def _flag(registers: Mapping[int, int], address: int, bit: int | None) -> bool:
    word = registers.get(address, 0)
    return bool(word >> bit & 1) if bit is not None else word != 0


def decode(profile: str, registers: Mapping[int, int]) -> Controls:
    """The controls the registers hold (unknown HHMM values count as midnight, as a blank slot)."""
    lay, step = LAYOUTS[profile], POWER_STEP_W[profile]

    def minutes(raw: int) -> int:
        hours, mins = divmod(raw, 100)
        return hours * 60 + mins if hours <= 23 and mins <= 59 else 0

    slots = tuple(Slot(minutes(registers.get(lay.times + i, 0)), registers.get(lay.powers + i, 0) * step,
                       registers.get(lay.socs + i, 0), bool(registers.get(lay.flags + i, 0) & 1)) for i in range(6))
    tou = registers.get(lay.tou, 0)
    rated = (registers.get(lay.rated_power, 0) | registers.get(lay.rated_power + 1, 0) << 16) / 10
    return Controls(rated_w=rated, max_charge_a=registers.get(lay.max_charge_a, 0),
                    max_discharge_a=registers.get(lay.max_discharge_a, 0), low_soc_pct=registers.get(lay.low_soc, 0),
                    grid_charge_a=registers.get(lay.grid_charge_a, 0),
                    grid_charge=_flag(registers, lay.grid_charge, lay.grid_charge_bit),
                    work_mode=registers.get(lay.work_mode, 0), export_limit_w=registers.get(lay.export_limit, 0) * step,
                    solar_sell=_flag(registers, lay.solar_sell, lay.solar_sell_bit), tou_enabled=bool(tou & 1),
                    tou_days=tou & 0xFE, slots=slots)


def current_registers(profile: str) -> frozenset[int]:
    """The current-limit registers a model's hardware may cap (the simulator's silent clamp)."""
    lay = LAYOUTS[profile]
    return frozenset({lay.max_charge_a, lay.max_discharge_a, lay.grid_charge_a})
