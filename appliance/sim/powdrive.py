"""Simulated Powdrive (Deye-family) hybrid inverter: the whole documented register space, three-phase LV/HV
or single-phase, encoded from the manufacturer's register table (not from the appliance's own maps).

Register facts: Deye "MODBUS RTU" V105.1 (three-phase) and V118 (single-phase) as transcribed by
davidrapan/ha-solarman@ac1d88b deye_p3.yaml / deye_hybrid.yaml, and kellerza/sunsynk@58193d5d
definitions/three_phase_*.py and single_phase.py. The simulator keeps its own table so that a wrong scale
or address in the driver's YAML map shows up as a wrong reading instead of being mirrored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from appliance.sim import powdrive_settings
from appliance.sim.modbus_server import ModbusRtuSim, ModbusTcpSim, RegisterImage
from appliance.sim.powdrive_settings import Controls

ValuesSource = Callable[[], Mapping[str, Any]]

#: Register 0 device-type codes the simulator reports per profile.
TYPE_CODES = {"three_phase_lv": 0x0005, "three_phase_hv": 0x0006, "single_phase": 0x0003}
#: The holding registers the inverter answers (the documents' whole space; undocumented ones read 0).
SPACE = {"three_phase": ((0, 1000), (10000, 800)), "single_phase": ((0, 400),)}
#: Where FC16 writes are taken: the settings areas, where sunsynk and ha-solarman define every writable
#: register (three-phase 61-340 but not the BMS block 210-222 the inverter fills; single-phase 21-53, 200-325).
WRITABLE = {"three_phase": frozenset(range(60, 500)) - frozenset(range(210, 223)),
            "single_phase": frozenset(range(21, 59)) | frozenset(range(200, 312)) | frozenset(range(325, 400))}
#: Deye answers FC03 and takes FC16 only, even for one register (kellerza/sunsynk sunsynk.py L118).
FUNCTIONS = frozenset({3, 16})
STATES = {"standby": 0, "self_check": 1, "normal": 2, "alarm": 3, "fault": 4, "activating": 5}


@dataclass(frozen=True)
class Reg:
    """How the inverter stores one value: u16/s16, or 32 bits with the low word at `address`."""

    address: int
    scale: float = 1.0
    signed: bool = False
    high: int | None = None  # the high word's address for 32-bit values (next register when contiguous)
    offset: float = 0.0  # temperatures: raw = value / scale + 1000


def _u32(address: int, scale: float = 0.1, high: int | None = None) -> Reg:
    return Reg(address, scale, high=address + 1 if high is None else high)


_ENERGY_3P = {"battery_charge_today_kwh": Reg(514, 0.1), "battery_discharge_today_kwh": Reg(515, 0.1),
              "battery_charge_total_kwh": _u32(516), "battery_discharge_total_kwh": _u32(518),
              "grid_import_today_kwh": Reg(520, 0.1), "grid_export_today_kwh": Reg(521, 0.1),
              "grid_import_total_kwh": _u32(522), "grid_export_total_kwh": _u32(524),
              "load_energy_today_kwh": Reg(526, 0.1), "load_energy_total_kwh": _u32(527),
              "pv_energy_today_kwh": Reg(529, 0.1), "pv_energy_total_kwh": _u32(534)}


def _temp(address: int) -> Reg:
    return Reg(address, 0.1, offset=1000.0)


_THREE_PHASE = {
    **_ENERGY_3P, "details.dc_transformer_temp_c": _temp(540), "inverter_temperature_c": _temp(541),
    "battery_temperature_c": _temp(586), "battery_voltage_v": Reg(587, 0.01), "battery_soc_pct": Reg(588),
    "battery_power_w": Reg(590, signed=True), "battery_current_a": Reg(591, 0.01, signed=True),
    "grid_frequency_hz": Reg(609, 0.01),
    # S16 low word + S16 high word (the manual's "low 16 bits + high 16 bits"): ha-solarman rule 4.
    "details.ct_power_w": Reg(619, signed=True, high=708), "grid_power_w": Reg(625, signed=True, high=690),
    "details.inverter_power_w": Reg(636, signed=True, high=694), "load_power_w": Reg(653, signed=True, high=659),
}
_THREE_PHASE_LISTS = {
    "details.grid_voltages_v": [Reg(598 + i, 0.1) for i in range(3)],
    "details.ct_powers_w": [Reg(616 + i, signed=True, high=705 + i) for i in range(3)],
    "details.grid_powers_w": [Reg(622 + i, signed=True, high=687 + i) for i in range(3)],
    "details.inverter_powers_w": [Reg(633 + i, signed=True, high=691 + i) for i in range(3)],
    "details.load_powers_w": [Reg(650 + i, signed=True, high=656 + i) for i in range(3)],
    "pv_powers_w": [Reg(672 + i) for i in range(4)],
    "pv_voltages_v": [Reg(676 + 2 * i, 0.1) for i in range(4)],
    "pv_currents_a": [Reg(677 + 2 * i, 0.1) for i in range(4)],
}
#: HV models: battery voltage in 0.1 V, battery and PV power in 10 W (ha-solarman `scale: [0.01, 0.1]` and
#: `[1, 10]`, index 1 for device types 0x0006-0x0008/0x0600/0x0601; sunsynk three_phase_hv.py agrees).
_HV = {"battery_voltage_v": Reg(587, 0.1), "battery_power_w": Reg(590, 10, signed=True)}
_HV_LISTS = {"pv_powers_w": [Reg(672 + i, 10) for i in range(4)]}
_SINGLE_PHASE = {
    "battery_charge_today_kwh": Reg(70, 0.1), "battery_discharge_today_kwh": Reg(71, 0.1),
    "battery_charge_total_kwh": _u32(72), "battery_discharge_total_kwh": _u32(74),
    "grid_import_today_kwh": Reg(76, 0.1), "grid_export_today_kwh": Reg(77, 0.1),
    "grid_import_total_kwh": _u32(78, high=80), "grid_export_total_kwh": _u32(81),
    "load_energy_today_kwh": Reg(84, 0.1), "load_energy_total_kwh": _u32(85),
    "details.dc_transformer_temp_c": _temp(90), "inverter_temperature_c": _temp(91),
    "pv_energy_total_kwh": _u32(96), "pv_energy_today_kwh": Reg(108, 0.1),
    "grid_power_w": Reg(169, signed=True), "load_power_w": Reg(178, signed=True),
    "battery_temperature_c": _temp(182), "battery_voltage_v": Reg(183, 0.01), "battery_soc_pct": Reg(184),
    "battery_power_w": Reg(190, signed=True), "battery_current_a": Reg(191, 0.01, signed=True),
}
_SINGLE_PHASE_LISTS = {"pv_voltages_v": [Reg(109 + 2 * i, 0.1) for i in range(3)],
                       "pv_currents_a": [Reg(110 + 2 * i, 0.1) for i in range(3)],
                       "pv_powers_w": [Reg(186 + i) for i in range(4)]}
TABLES: dict[str, tuple[dict[str, Reg], dict[str, list[Reg]]]] = {
    "three_phase_lv": (_THREE_PHASE, _THREE_PHASE_LISTS),
    "three_phase_hv": ({**_THREE_PHASE, **_HV}, {**_THREE_PHASE_LISTS, **_HV_LISTS}),
    "single_phase": (_SINGLE_PHASE, _SINGLE_PHASE_LISTS),
}
STATE_REGISTER = {"three_phase_lv": 500, "three_phase_hv": 500, "single_phase": 59}

THREE_PHASE: dict[str, Any] = {
    "serial_number": "PD24000001",
    "state": "normal",
    "battery_charge_today_kwh": 6.4, "battery_discharge_today_kwh": 3.1,
    "battery_charge_total_kwh": 1520.4, "battery_discharge_total_kwh": 1410.9,
    "grid_import_today_kwh": 2.2, "grid_export_today_kwh": 7.5,
    "grid_import_total_kwh": 3210.7, "grid_export_total_kwh": 4120.3,
    "load_energy_today_kwh": 11.8, "load_energy_total_kwh": 8123.6,
    "pv_energy_today_kwh": 18.3, "pv_energy_total_kwh": 9876.5,
    "details.dc_transformer_temp_c": 38.5, "inverter_temperature_c": 41.2,
    "details.grid_relay_closed": True,
    "battery_temperature_c": 24.5, "battery_voltage_v": 52.48, "battery_soc_pct": 67,
    "battery_power_w": -1500, "battery_current_a": -28.6,
    "grid_voltage_v": 231.2, "details.grid_voltages_v": [231.2, 229.8, 230.5], "grid_frequency_hz": 50.01,
    "details.ct_powers_w": [-300, -250, -250], "details.ct_power_w": -800,
    "details.grid_powers_w": [-300, -250, -250], "grid_power_w": -800,
    "details.inverter_powers_w": [1000, 1000, 900], "details.inverter_power_w": 2900,
    "details.load_powers_w": [700, 750, 650], "load_power_w": 2100,
    "pv_powers_w": [2300, 2100, 0, 0], "pv_voltages_v": [410.2, 395.7, 0.0, 0.0],
    "pv_currents_a": [5.6, 5.3, 0.0, 0.0],
}
#: An HV model's battery is a stack of some 128 LFP cells: about 410 V and a few amperes.
THREE_PHASE_HV: dict[str, Any] = {**THREE_PHASE, "serial_number": "PD24HV0001", "battery_voltage_v": 409.6,
                                  "battery_current_a": -3.66}
SINGLE_PHASE: dict[str, Any] = {
    key: value for key, value in THREE_PHASE.items()
    if not key.startswith("details.") or key == "details.dc_transformer_temp_c"
} | {"pv_powers_w": [2300, 2100, 0, 0], "pv_voltages_v": [410.2, 395.7, 0.0], "pv_currents_a": [5.6, 5.3, 0.0],
     "grid_power_w": -800, "load_power_w": 2100}
DEFAULTS = {"three_phase_lv": THREE_PHASE, "three_phase_hv": THREE_PHASE_HV, "single_phase": SINGLE_PHASE}


def encode(reg: Reg, value: Any) -> dict[int, int]:
    """The registers holding `value` (None: the value is not reported, the registers stay as they are)."""
    raw = round(float(value) / reg.scale + reg.offset)
    bits = 32 if reg.high is not None else 16
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if reg.signed else (0, (1 << bits) - 1)
    if not low <= raw <= high:
        raise ValueError(f"{value!r} does not fit the {bits}-bit register at {reg.address}")
    raw &= (1 << bits) - 1
    if reg.high is None:
        return {reg.address: raw}
    return {reg.address: raw & 0xFFFF, reg.high: raw >> 16}


def render(profile: str, values: Mapping[str, Any]) -> dict[int, int]:
    """Every telemetry and identity register of `profile` for `values` (READINGS.md names)."""
    scalars, lists = TABLES[profile]
    registers: dict[int, int] = {0: TYPE_CODES[profile], 1: 1, 2: 0x0102}
    serial = str(values.get("serial_number") or "").encode("ascii")[:10].ljust(10, b"\0")
    registers.update({3 + i: int.from_bytes(serial[2 * i:2 * i + 2], "big") for i in range(5)})
    registers[STATE_REGISTER[profile]] = STATES[values.get("state", "normal")]
    for name, reg in scalars.items():
        if values.get(name) is not None:
            registers.update(encode(reg, values[name]))
    if "battery_temperature_c" in values and values["battery_temperature_c"] is None:
        registers[scalars["battery_temperature_c"].address] = 0  # no battery sensor: the inverter reports raw 0
    for name, regs in lists.items():
        for reg, value in zip(regs, values.get(name) or []):
            if value is not None:
                registers.update(encode(reg, value))
    if profile != "single_phase":
        registers[552] = 0x0004 if values.get("details.grid_relay_closed") else 0
        for i, word in enumerate(values.get("details.fault_words") or [0, 0, 0, 0]):
            registers[555 + i] = int(word) & 0xFFFF
    return registers


class PowdriveSim:
    """A Deye-family inverter: a writable register datastore whose telemetry `values()` keeps current.

    Settings written with FC16 stay in the datastore (they survive every telemetry refresh) and are what
    `controls()` decodes for the site model. `on_write` hears each accepted write first and may refuse it
    with ModbusSimError. `hardware_max_a` caps the current registers silently, as a small model does when
    it is sent more than it can take: the write is acknowledged and a read-back shows the cap.
    """

    def __init__(self, values: ValuesSource | None = None, *, profile: str = "three_phase_lv",
                 on_write: Callable[[int, list[int]], None] | None = None,
                 hardware_max_a: int | None = None) -> None:
        if profile not in TABLES:
            raise ValueError(f"profile {profile!r} is not one of {sorted(TABLES)}")
        self.profile = profile
        defaults = DEFAULTS[profile]
        self.values: ValuesSource = values or (lambda: dict(defaults))
        self.hardware_max_a = hardware_max_a
        self._on_write = on_write
        family = "single_phase" if profile == "single_phase" else "three_phase"
        self.image = RegisterImage(refresh=self._render, on_write=self._write, writable=set(WRITABLE[family]),
                                   functions=FUNCTIONS)
        for start, count in SPACE[family]:
            self.image.map("holding", start, count)
        self.image.set("holding", powdrive_settings.defaults(profile))
        self._controls = powdrive_settings.decode(profile, self.image.registers["holding"])
        self._render(self.image)

    def controls(self) -> Controls:
        """What the inverter's settings tell it to do now (kept current on every write; lock-free to read)."""
        return self._controls

    def _write(self, address: int, values: list[int]) -> list[int]:
        if self._on_write is not None:
            self._on_write(address, values)
        capped = powdrive_settings.current_registers(self.profile)
        stored = [min(word, self.hardware_max_a) if self.hardware_max_a is not None and address + i in capped
                  else word for i, word in enumerate(values)]
        registers = dict(self.image.registers["holding"])
        registers.update({address + i: word for i, word in enumerate(stored)})
        self._controls = powdrive_settings.decode(self.profile, registers)
        return stored

    def snapshot(self) -> dict[str, Any]:
        """The values rendered now."""
        return dict(self.values())

    def _render(self, image: RegisterImage) -> None:
        image.set("holding", render(self.profile, self.snapshot()))

    def units(self, unit_id: int = 1) -> dict[int, RegisterImage]:
        """The unit table for a server."""
        return {unit_id: self.image}

    def tcp(self, unit_id: int = 1) -> ModbusTcpSim:
        """A started Modbus TCP server on 127.0.0.1 serving this inverter (a TCP gateway in front of it)."""
        return ModbusTcpSim(self.units(unit_id)).start()

    def rtu(self, unit_id: int = 1, *, over_tcp: bool = False) -> ModbusRtuSim:
        """A started Modbus RTU server on a pty (or an RTU-over-TCP gateway) serving this inverter."""
        return ModbusRtuSim(self.units(unit_id), over_tcp=over_tcp).start()
