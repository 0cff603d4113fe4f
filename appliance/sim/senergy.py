"""Simulated Senergy SE-series hybrid inverter (on the unverified SolarHub map)."""

from __future__ import annotations

from typing import Any

from appliance.sim.modbus_device import MapDeviceSim

DEFAULT: dict[str, Any] = {
    "model": "SE-6KW-HYB", "serial_number": "SE2400001234", "details.mppt_count": 2, "rated_power_w": 6000,
    "details.grid_phases": 1,
    "pv_voltages_v": [380.5, 362.1], "pv_currents_a": [4.21, 3.95], "pv_powers_w": [1601.9, 1430.3],
    "inverter_temperature_c": 39, "state": "on_grid", "pv_energy_total_kwh": 5321, "pv_energy_today_kwh": 12.345,
    "details.grid_powers_w": [-450.5, 0.0, 0.0], "load_power_w": 1180.2,
    "grid_import_today_kwh": 1.25, "grid_export_today_kwh": 4.75, "load_energy_today_kwh": 9.5,
    "battery_soc_pct": 72, "battery_temperature_c": 23, "battery_voltage_v": 51.2, "battery_current_a": -25.5,
    "details.battery_power_register_w": 1305.6, "battery_charge_today_kwh": 5.5,
    "battery_discharge_today_kwh": 2.25, "work_mode": "self_use",
}


class SenergySim(MapDeviceSim):
    """A Senergy inverter rendering `values()` through the Senergy map."""

    default_map_name = "senergy"
    default_values = DEFAULT
