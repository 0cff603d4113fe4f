"""Powdrive and other Deye/Sunsynk-family hybrid inverters over Modbus RTU or TCP."""

from __future__ import annotations

from typing import Mapping

from appliance.drivers import powdrive_control
from appliance.drivers.base import CAP_PROGRAM, Identity, Reading
from appliance.drivers.links import ModbusLink
from appliance.drivers.modbus.control import ProgramControl, SetpointContext
from appliance.drivers.modbus.device import ModbusMapDriver, clean, identity_values, probe, reading_from
from appliance.drivers.modbus.regmap import load_map
from appliance.drivers.modbus.settings import SettingsMap, load_settings
from appliance.drivers.schemas import defaults_of, modbus_schema
from appliance.errors import DecodeError, UnsupportedError
from appliance.jsontypes import Json, JsonObject, text

SCHEMA = modbus_schema("powdrive", extra={
    "profile": {"type": "string", "enum": ["auto", "three_phase_lv", "three_phase_hv", "single_phase"],
                "default": "auto", "description": "Register map; auto reads register 0"},
    "write_budget_per_day": {"type": "integer", "minimum": 0, "maximum": 100000,
                             "description": "Setting writes a day before more are refused (spares the EEPROM); "
                                            "unset: the appliance's control.write_budget_per_day, 200"},
})
PROFILE_MAPS = {"three_phase_lv": "powdrive_3p_lv", "three_phase_hv": "powdrive_3p_hv", "single_phase": "powdrive_1p"}
#: The settings maps (maps/settings/) have the same names: LV, HV and single-phase differ where Deye's do.
PROFILE_SETTINGS = PROFILE_MAPS
#: Register 0 device types (kellerza/sunsynk identity.py; ha-solarman deye_p3.yaml). 0x0103 follows sunsynk:
#: ha-solarman calls it off-grid.
DEVICE_TYPES = {0x0002: "string", 0x0003: "single-phase hybrid", 0x0004: "micro", 0x0005: "three-phase LV hybrid",
                0x0500: "three-phase LV hybrid", 0x0006: "three-phase HV hybrid", 0x0103: "single-phase hybrid",
                0x0200: "single-phase LV hybrid 3-MPPT"}
TYPE_PROFILES = {"single-phase hybrid": "single_phase", "single-phase LV hybrid 3-MPPT": "single_phase",
                 "three-phase LV hybrid": "three_phase_lv", "three-phase HV hybrid": "three_phase_hv"}
FAMILY = "Deye/Powdrive"


def device_type(code: int) -> str:
    """The device type register 0 names (0x06xx are all HV three-phase)."""
    if code >> 8 == 0x06:
        return "three-phase HV hybrid"
    if code not in DEVICE_TYPES:
        raise DecodeError(f"register 0 = 0x{code:04X} is no known Deye device type")
    return DEVICE_TYPES[code]


def profile_of(code: int) -> str:
    """The register-map profile for a register 0 value; string and micro inverters have none here."""
    name = device_type(code)
    if name not in TYPE_PROFILES:
        raise UnsupportedError(f"Deye {name} inverters (register 0 = 0x{code:04X}) use a map this driver lacks")
    return TYPE_PROFILES[name]


def identity_of(registers: Mapping[int, int]) -> Json:
    """Device type, protocol version and serial number from registers 0-7 (pure)."""
    regs = clean(registers)
    values = identity_values(load_map("powdrive_3p_lv"), regs, FAMILY)
    if 0 in regs:
        values["device_type"] = device_type(regs[0])
    if 2 in regs:
        values["protocol_version"] = f"{regs[2] >> 8}.{regs[2] & 0xFF}"  # hi.lo bytes, 0x0102 -> "1.2"
    return values


class PowdriveDriver(ProgramControl, ModbusMapDriver):
    """Powdrive and other Deye/Sunsynk-family hybrid inverters over Modbus RTU or TCP."""

    adapter_type = "powdrive"
    category = "inverter"
    name = "Powdrive Inverter Adapter"
    description = "Powdrive and other Deye/Sunsynk-family hybrid inverters over Modbus RTU or TCP"
    transports = ("rtu", "tcp")
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
    family = FAMILY
    capabilities = frozenset({CAP_PROGRAM})
    link: ModbusLink
    _profile: str | None = None

    def profile(self) -> str:
        """The configured profile, or the one register 0 names (read once)."""
        if self.config.get("profile", "auto") != "auto":
            return str(self.config["profile"])
        if self._profile is None:
            code = probe(self.unit_link, FAMILY, 0, 1)[0]
            try:
                self._profile = profile_of(code)
            except DecodeError as exc:
                raise UnsupportedError(f"not a {FAMILY} device: {exc.message}") from exc
        return self._profile

    def map_name(self) -> str:
        """The map of the device's profile."""
        return PROFILE_MAPS[self.profile()]

    def settings_map(self) -> SettingsMap:
        """The settings of the device's profile (work mode, limits, time of use)."""
        return load_settings(PROFILE_SETTINGS[self.profile()])

    def setpoint_changes(self, program: JsonObject, power_w: float, context: SetpointContext) -> Json:
        """Time-of-use slot power and grid-charge flags, or charge currents (powdrive_control)."""
        return powdrive_control.setpoint_changes(program, power_w, context)

    def implied_power_w(self, program: JsonObject, context: SetpointContext) -> float | None:
        """The battery power a setpoint program holds."""
        return powdrive_control.implied_power_w(program, context)

    def nominal_battery_v(self) -> float:
        """51.2 V on LV models, 409.6 V on HV ones."""
        return powdrive_control.NOMINAL_V[self.profile()]

    def identify(self) -> Identity:
        """Registers 0-7 (type, protocol, serial) and a plausible SOC; other families are rejected."""
        registers = probe(self.unit_link, FAMILY, 0, 8)
        try:
            values = identity_of(registers)
            profile = profile_of(registers[0])
        except DecodeError as exc:
            raise UnsupportedError(f"not a {FAMILY} device: {exc.message}") from exc
        serial = text(values.get("serial_number"))
        if not serial:
            raise UnsupportedError(f"not a {FAMILY} device: registers 3-7 hold no serial number")
        soc_address = 184 if profile == "single_phase" else 588
        soc = probe(self.unit_link, FAMILY, soc_address, 1)[soc_address]
        if soc > 100:
            raise UnsupportedError(f"not a {FAMILY} device: SOC register {soc_address} holds {soc}")
        self._profile = profile
        return Identity(adapter_type=self.adapter_type, model=f"Deye-family {values['device_type']}",
                        serial_number=serial,
                        details={"device_type": values["device_type"], "device_type_code": registers[0],
                                 "protocol_version": values.get("protocol_version"), "profile": profile})

    def decode_for(self, map_name: str, registers: Mapping[int, int]) -> Reading:
        """Decode with the device's map."""
        return _reading(map_name, registers)

    @classmethod
    def decode(cls, registers: Mapping[int, int], profile: str | None = None) -> Reading:
        """Pure decode: the profile comes from register 0 when given, else three-phase LV."""
        regs = clean(registers)
        if profile is None:
            profile = profile_of(regs[0]) if 0 in regs else "three_phase_lv"
        if profile not in PROFILE_MAPS:
            raise DecodeError(f"unknown powdrive profile {profile!r}")
        return _reading(PROFILE_MAPS[profile], regs)


def _reading(map_name: str, registers: Mapping[int, int]) -> Reading:
    state = load_map(map_name).field("state")
    # Deye reports alarm/fault as a running state; surface it like the fault words do.
    raw_state = registers.get(state.address)
    extra = ("inverter_fault",) if raw_state in (3, 4) else ()
    return reading_from(load_map(map_name), registers, extra_alarms=extra)
