"""Modbus battery storage system from the PowerPack PP-500 register template."""

from __future__ import annotations

import math
from typing import Mapping

from appliance.drivers.base import CAP_SETPOINT, Identity, Reading
from appliance.drivers.modbus.codec import decode_field, encode_field
from appliance.drivers.modbus.device import ModbusMapDriver, clean, probe, reading_from
from appliance.drivers.modbus.regmap import load_map
from appliance.drivers.modbus.settings_edit import WriteJson
from appliance.drivers.schemas import defaults_of, modbus_schema
from appliance.errors import DecodeError, TransportError, UnsupportedError, ValidationError
from appliance.jsontypes import number, to_float

SCHEMA = modbus_schema("powerpack", extra={
    "max_charge_kw": {"type": "number", "minimum": 0, "maximum": 100000, "default": 100},
    "max_discharge_kw": {"type": "number", "minimum": 0, "maximum": 100000, "default": 100},
    "capacity_kwh": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000000, "default": 500},
})
MAP = "powerpack"
FAMILY = "PowerPack"
STATUS, TARGET, BLOCKS = 2000, 2008, 2028


class PowerPackDriver(ModbusMapDriver):
    """Modbus battery storage system from the PowerPack PP-500 register template."""

    adapter_type = "powerpack"
    category = "bess"
    name = "PowerPack BESS Adapter"
    description = "Modbus battery storage system from the PowerPack PP-500 register template"
    transports = ("rtu", "tcp")
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
    capabilities = frozenset({CAP_SETPOINT})
    family = FAMILY

    def map_name(self) -> str:
        """PowerPack has one map."""
        return MAP

    def identify(self) -> Identity:
        """The template block 2000-2028: a known status and a sane state of energy."""
        registers = probe(self.unit_link, FAMILY, STATUS, BLOCKS - STATUS + 1)
        rmap = load_map(MAP)
        status = registers[STATUS]
        if status not in rmap.field("status").enum or registers[2026] > 1000:
            raise UnsupportedError(f"not a {FAMILY} system: status {status}, SOE raw {registers[2026]}")
        return Identity(adapter_type=self.adapter_type, model="PowerPack PP-500", serial_number=None,
                        details={"available_blocks": registers[BLOCKS]})

    def decode_for(self, map_name: str, registers: Mapping[int, int]) -> Reading:
        """Decode and add the stored energy the configured capacity implies."""
        reading = self.decode(registers)
        soe = number(reading.values.get("soe_pct"))
        if soe is None:
            return reading
        stored = round(float(soe) / 100 * to_float(self.config["capacity_kwh"], "capacity_kwh"), 3)
        return Reading(kind=reading.kind, values=reading.values,
                       details={**reading.details, "stored_energy_kwh": stored}, ts_ms=reading.ts_ms)

    @classmethod
    def decode(cls, registers: Mapping[int, int]) -> Reading:
        """Pure decode of the template block; a fault status becomes an alarm."""
        regs = clean(registers)
        extra = ("bess_fault",) if regs.get(STATUS) == 3 else ()
        return reading_from(load_map(MAP), regs, extra_alarms=extra)

    def setpoint_word(self, power_w: float) -> tuple[int, int]:
        """The watts the register will hold for a setpoint (clamped to the configured limits, whole kW toward
        zero) and the word that encodes them; nothing is written."""
        if not isinstance(power_w, (int, float)) or not math.isfinite(power_w):
            raise ValidationError(f"setpoint {power_w!r} is not a finite number of watts", field="power_w")
        low = -to_float(self.config["max_charge_kw"], "max_charge_kw") * 1000
        high = to_float(self.config["max_discharge_kw"], "max_discharge_kw") * 1000
        clamped = min(max(float(power_w), low), high)
        # The register holds whole kW; truncating toward zero never exceeds a clamp.
        wanted_w = math.trunc(clamped / 1000) * 1000
        try:
            word = encode_field(load_map(MAP).field("target_power_w"), wanted_w)[TARGET]
        except ValidationError as exc:
            raise ValidationError(f"setpoint {wanted_w} W does not fit the register: {exc.message}",
                                  field="power_w") from exc
        return wanted_w, word

    def setpoint_writes(self, power_w: float) -> list[WriteJson]:
        """The register writes a setpoint makes (what a dry run shows)."""
        _, word = self.setpoint_word(power_w)
        return [{"function": 6, "address": TARGET, "count": 1, "values": [word], "settings": ["target_power_w"]}]

    def apply_setpoint(self, power_w: float) -> float:
        """Write the target power (+ = discharge) clamped to the configured limits; return the read-back W."""
        wanted_w, word = self.setpoint_word(power_w)
        target = load_map(MAP).field("target_power_w")
        self.unit_link.write_register(TARGET, word)  # the template's source writes with FC06
        back = self.unit_link.read_holding(TARGET, 1)
        try:
            applied = decode_field(target, {TARGET: back[0]})
        except (DecodeError, IndexError) as exc:
            raise TransportError(f"{FAMILY} read-back of register {TARGET} failed: {exc}") from exc
        if applied != wanted_w:
            raise TransportError(f"{FAMILY} holds {applied} W after a write of {wanted_w} W")
        return float(applied)
