"""Simulated Powdrive (Deye-family) hybrid inverter: three-phase LV/HV or single-phase profile."""

from __future__ import annotations

from typing import Any, Mapping

from appliance.drivers.powdrive import PROFILE_MAPS
from appliance.sim.modbus_device import MapDeviceSim, ValuesSource

#: Register 0 device-type codes the simulator reports per profile.
TYPE_CODES = {"three_phase_lv": 0x0005, "three_phase_hv": 0x0006, "single_phase": 0x0003}
REGIONS = {"three_phase_lv": ((0, 8), (500, 184)), "three_phase_hv": ((0, 8), (500, 184)),
           "single_phase": ((0, 8), (59, 133))}

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
SINGLE_PHASE: dict[str, Any] = {
    key: value for key, value in THREE_PHASE.items()
    if not key.startswith("details.") or key == "details.dc_transformer_temp_c"
} | {"pv_powers_w": [2300, 2100, 0, 0], "pv_voltages_v": [410.2, 395.7, 0.0], "pv_currents_a": [5.6, 5.3, 0.0],
     "grid_power_w": -800, "load_power_w": 2100}


class PowdriveSim(MapDeviceSim):
    """A Deye-family inverter whose registers render `values()` in the chosen profile's map."""

    default_map_name = "powdrive_3p_lv"

    def __init__(self, values: ValuesSource | None = None, *, profile: str = "three_phase_lv") -> None:
        self.profile = profile
        defaults = SINGLE_PHASE if profile == "single_phase" else THREE_PHASE
        super().__init__(values or (lambda: dict(defaults)), map_name=PROFILE_MAPS[profile],
                         regions=REGIONS[profile])

    def extra_registers(self, values: Mapping[str, Any]) -> dict[int, int]:
        """Device type (register 0) and protocol version 1.2 (register 2)."""
        return {0: TYPE_CODES[self.profile], 2: 0x0102}
