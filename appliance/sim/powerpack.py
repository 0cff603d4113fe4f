"""Simulated PowerPack PP-500 storage system: target-power writes are taken and reported back."""

from __future__ import annotations

from typing import Any, Callable

from appliance.drivers.modbus.codec import signed
from appliance.sim.modbus_device import MapDeviceSim, ValuesSource
from appliance.sim.modbus_server import ILLEGAL_VALUE, ModbusSimError

TARGET = 2008
DEFAULT: dict[str, Any] = {"status": "running", "target_power_w": 0, "command_source": "remote", "soe_pct": 55.5,
                           "available_blocks": 4}


class PowerPackSim(MapDeviceSim):
    """A PP-500 whose target power (register 2008, kW) is writable; `on_setpoint` hears each write in W."""

    default_map_name = "powerpack"
    default_values = DEFAULT
    regions = ((2000, 29),)
    writable = {TARGET}

    def __init__(self, values: ValuesSource | None = None, *,
                 on_setpoint: Callable[[float], None] | None = None, max_kw: int = 30000) -> None:
        self.on_setpoint = on_setpoint
        self.max_kw = max_kw
        self.target_power_w: float | None = None
        super().__init__(values)

    def snapshot(self) -> dict[str, Any]:
        """The values source, with the last written target power in force."""
        values = dict(self.values())
        if self.target_power_w is not None:
            values["target_power_w"] = self.target_power_w
        return values

    def on_write(self, address: int, values: list[int]) -> None:
        """Take a target-power write (kW, signed) unless it exceeds the system's rating."""
        if address != TARGET or len(values) != 1:
            raise ModbusSimError(ILLEGAL_VALUE, "only the target power is writable")
        kw = signed(values[0], 16)
        if abs(kw) > self.max_kw:
            raise ModbusSimError(ILLEGAL_VALUE, f"{kw} kW exceeds the rating")
        self.target_power_w = kw * 1000.0
        if self.on_setpoint is not None:
            self.on_setpoint(self.target_power_w)
