"""Simulated IAMMeter WEM3080 (single-phase) or WEM3080T (three-phase) meter."""

from __future__ import annotations

from typing import Any

from appliance.drivers.iammeter import map_for
from appliance.sim.modbus_device import MapDeviceSim, ValuesSource

THREE_PHASE: dict[str, Any] = {
    "details.model_code": "WEM3080T", "serial_number": "IAM3T0001",
    "voltages_v": [230.12, 229.87, 231.05], "currents_a": [4.35, 3.9, 5.12],
    "powers_w": [950, -420, 1130], "details.import_energies_kwh": [1200.5, 980.25, 1410.0],
    "details.export_energies_kwh": [310.125, 290.0, 120.5], "details.power_factors": [0.98, 0.95, 0.97],
    "frequency_hz": 50.02, "power_w": 1660, "import_energy_kwh": 3590.75, "export_energy_kwh": 720.625,
}
SINGLE_PHASE: dict[str, Any] = {
    "details.model_code": "WEM3080", "serial_number": "IAM1P0001", "voltage_v": 230.4, "current_a": 6.1,
    "power_w": -1350, "import_energy_kwh": 2345.6789, "export_energy_kwh": 987.5,
}


class IamMeterSim(MapDeviceSim):
    """An IAMMeter answering the whole legacy block 0x0000-0x0041."""

    regions = ((0, 66),)

    def __init__(self, values: ValuesSource | None = None, *, model: str = "WEM3080T") -> None:
        self.model = model
        defaults = SINGLE_PHASE if model == "WEM3080" else THREE_PHASE
        super().__init__(values or (lambda: dict(defaults)), map_name=map_for(model))
