"""A register-map-driven device simulator: a values source rendered into a RegisterImage on each read."""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Mapping

from appliance.drivers.modbus.codec import encode_map
from appliance.drivers.modbus.device import map_plan
from appliance.drivers.modbus.regmap import load_map
from appliance.sim.modbus_server import ModbusRtuSim, ModbusTcpSim, RegisterImage

ValuesSource = Callable[[], Mapping[str, Any]]


class MapDeviceSim:
    """One simulated unit: `values()` (READINGS.md names, `details.` for the rest) drives the registers."""

    default_map_name: ClassVar[str]
    default_values: ClassVar[Mapping[str, Any]] = {}
    #: Register ranges (start, count) the real device answers, zero-filled when no field sets them.
    regions: ClassVar[tuple[tuple[int, int], ...]] = ()
    writable: ClassVar[set[int] | None] = set()
    image_class: ClassVar[type[RegisterImage]] = RegisterImage

    def __init__(self, values: ValuesSource | None = None, *, map_name: str | None = None,
                 regions: tuple[tuple[int, int], ...] | None = None) -> None:
        self.values: ValuesSource = values or (lambda: dict(self.default_values))
        self.map_name = map_name or self.default_map_name
        self.image = self.image_class(refresh=self._render, on_write=self.on_write, writable=self.writable)
        spans = regions or self.regions or tuple((b.address, b.count) for b in map_plan(self.map_name))
        for start, count in spans:
            self.image.map("holding", start, count)
        self._render(self.image)

    def snapshot(self) -> dict[str, Any]:
        """The values to render now (hook for simulators with their own state)."""
        return dict(self.values())

    def extra_registers(self, values: Mapping[str, Any]) -> dict[int, int]:
        """Registers outside the map (identity words and the like)."""
        return {}

    def _render(self, image: RegisterImage) -> None:
        values = self.snapshot()
        rmap = load_map(self.map_name)
        registers = encode_map(rmap, values)
        registers.update(encode_map(rmap, values, identity=True))
        registers.update(self.extra_registers(values))
        image.set("holding", registers)

    def on_write(self, address: int, values: list[int]) -> None:
        """A Modbus write reached the device (subclasses act on it)."""

    def units(self, unit_id: int = 1) -> dict[int, RegisterImage]:
        """The unit table for a server."""
        return {unit_id: self.image}

    def tcp(self, unit_id: int = 1) -> ModbusTcpSim:
        """A started Modbus TCP server on 127.0.0.1 serving this device."""
        return ModbusTcpSim(self.units(unit_id)).start()

    def rtu(self, unit_id: int = 1) -> ModbusRtuSim:
        """A started Modbus RTU server on a pty serving this device."""
        return ModbusRtuSim(self.units(unit_id)).start()
