"""Program control for map-driven Modbus drivers: read the settings, write them with FC16, map a setpoint."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass

from appliance.drivers.links import ModbusLink
from appliance.drivers.modbus.settings import SettingsMap
from appliance.drivers.modbus.settings_edit import Write
from appliance.errors import TransportError
from appliance.jsontypes import Json, JsonObject


@dataclass(frozen=True)
class SetpointContext:
    """What a family needs beside the program to turn watts into settings."""

    battery_v: float  # the battery voltage now (currents <-> watts)
    floor_soc_pct: float  # the SOC a discharge must stop at (the SOC reserve)


class ProgramControl:
    """A driver whose device is controlled through a program of settings (declares CAP_PROGRAM)."""

    link: ModbusLink

    @abstractmethod
    def settings_map(self) -> SettingsMap:
        """The settings map of this device's model."""

    @abstractmethod
    def setpoint_changes(self, program: JsonObject, power_w: float, context: SetpointContext) -> Json:
        """The program changes that make the battery follow `power_w` (+ discharge), from the owner's program."""

    @abstractmethod
    def implied_power_w(self, program: JsonObject, context: SetpointContext) -> float | None:
        """The battery power a setpoint program holds the device at (None: not a setpoint program)."""

    @abstractmethod
    def nominal_battery_v(self) -> float:
        """The battery voltage to assume when no reading gives one."""

    def read_settings(self) -> dict[int, int]:
        """Every settings register, read with FC03 in the map's blocks."""
        link = self.link
        registers: dict[int, int] = {}
        for address, count in self.settings_map().blocks:
            words = link.read_holding(address, count)
            if len(words) != count:
                raise TransportError(f"asked {count} settings registers at {address}, got {len(words)}")
            registers.update({address + i: word for i, word in enumerate(words)})
        return registers

    def write_settings(self, writes: tuple[Write, ...]) -> None:
        """Each write as one FC16 request, even for a single register (Deye takes nothing else)."""
        link = self.link
        for write in writes:
            link.write_registers(write.address, list(write.values))
