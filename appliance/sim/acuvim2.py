"""Simulated Accuenergy Acuvim II meter: it refuses requests of 15 registers or more, like the real one."""

from __future__ import annotations

from typing import Any

from appliance.sim.modbus_device import MapDeviceSim
from appliance.sim.modbus_server import ILLEGAL_VALUE, ModbusSimError, RegisterImage

DEFAULT: dict[str, Any] = {
    "frequency_hz": 50.0, "voltages_v": [230.1, 229.6, 231.4], "details.line_voltages_v": [398.5, 397.9, 400.2],
    "currents_a": [10.2, 9.8, 11.1], "powers_w": [2300.5, 2210.0, 2505.25], "power_w": 7015.75,
    "reactive_power_var": 820.5, "apparent_power_va": 7120.0, "power_factor": 0.985,
    "import_energy_kwh": 123456.7, "export_energy_kwh": 2345.6,
    "details.import_reactive_kvarh": 3456.7, "details.export_reactive_kvarh": 12.3,
}


class _SmallReadsImage(RegisterImage):
    """A register image that answers 'illegal data value' to reads of 15 registers or more."""

    def read(self, kind: str, address: int, count: int) -> list[int]:
        """Reads under 15 registers only (Acuvim II manual section 5.3)."""
        if count >= 15:
            raise ModbusSimError(ILLEGAL_VALUE, "Acuvim II answers fewer than 15 registers")
        return super().read(kind, address, count)


class AcuvimSim(MapDeviceSim):
    """An Acuvim II rendering `values()` into the 0x4000 float block and 0x4048 energy counters."""

    default_map_name = "acuvim2"
    default_values = DEFAULT
    regions = ((16384, 80),)
    image_class = _SmallReadsImage
