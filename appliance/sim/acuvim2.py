"""Simulated Accuenergy Acuvim II meter: its documented register blocks, and reads of up to 60 registers.

Blocks (fact sheet B1 section 4): 0x4000-0x404F primary-side floats and the int32 energy counters, 0x3000-0x303B
the same floats on the secondary side (divided by the PT and CT ratios), 17952-17963 per-phase energies.
"""

from __future__ import annotations

from typing import Any, Mapping

from appliance.drivers.modbus.codec import encode_field
from appliance.drivers.modbus.regmap import load_map
from appliance.sim.modbus_device import MapDeviceSim
from appliance.sim.modbus_server import RegisterImage

DEFAULT: dict[str, Any] = {
    "frequency_hz": 50.0, "voltages_v": [230.1, 229.6, 231.4], "details.line_voltages_v": [398.5, 397.9, 400.2],
    "currents_a": [10.2, 9.8, 11.1], "powers_w": [2300.5, 2210.0, 2505.25], "power_w": 7015.75,
    "reactive_power_var": 820.5, "apparent_power_va": 7120.0, "power_factor": 0.985,
    "import_energy_kwh": 123456.7, "export_energy_kwh": 2345.6,
    "details.import_reactive_kvarh": 3456.7, "details.export_reactive_kvarh": 12.3,
}
MAX_READ = 60  # registers one request may ask (issue 15: real meters serve 60)
PRIMARY, SECONDARY, FLOATS = 0x4000, 0x3000, 60  # the float block 0x4000-0x403B and its secondary copy
PER_PHASE = 17952  # import/export kWh of phases A, B, C: int32 pairs, 0.1 kWh


class _MeterImage(RegisterImage):
    """The meter's registers, answering at most 60 registers a read."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_read=MAX_READ, **kwargs)


class AcuvimSim(MapDeviceSim):
    """An Acuvim II rendering `values()` into its three documented blocks (PT and CT ratios for 0x3000)."""

    default_map_name = "acuvim2"
    default_values = DEFAULT
    regions = ((SECONDARY, FLOATS), (PRIMARY, 80), (PER_PHASE, 12))
    image_class = _MeterImage
    pt_ratio = 1.0  # a low-voltage meter wired straight to the mains
    ct_ratio = 20.0  # 100 A : 5 A current transformers

    def extra_registers(self, values: Mapping[str, Any]) -> dict[int, int]:
        """The secondary-side copy of the float block and the per-phase energy counters."""
        rmap = load_map(self.default_map_name)
        divisor = {"V": self.pt_ratio, "A": self.ct_ratio, "W": self.pt_ratio * self.ct_ratio,
                   "var": self.pt_ratio * self.ct_ratio, "VA": self.pt_ratio * self.ct_ratio}
        registers: dict[int, int] = {}
        for item in rmap.fields:
            if item.type != "float32" or not PRIMARY <= item.address < PRIMARY + FLOATS:
                continue
            value = values.get(item.name.split("[")[0])
            value = value[item.index] if item.index is not None and isinstance(value, list) else value
            if value is None:
                continue
            for address, word in encode_field(item, float(value) / divisor.get(item.unit or "", 1.0)).items():
                registers[address - PRIMARY + SECONDARY] = word
        counter = rmap.field("import_energy_kwh")
        for i, key in enumerate(("import_energy_kwh", "export_energy_kwh") * 3):
            # The site model's phases are balanced: each phase carries a third of the meter's energy.
            share = float(values.get(key) or 0.0) / 3
            words = list(encode_field(counter, share).values())
            registers[PER_PHASE + 2 * i], registers[PER_PHASE + 2 * i + 1] = words
        return registers
