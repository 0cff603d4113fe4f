"""IAMMeter WEM3080 single-phase and WEM3080T three-phase energy meters."""

from __future__ import annotations

from typing import Mapping

from appliance.drivers.base import Identity, Reading
from appliance.drivers.modbus.device import ModbusMapDriver, clean, identity_values, probe, reading_from
from appliance.drivers.modbus.regmap import load_map
from appliance.drivers.schemas import defaults_of, modbus_schema
from appliance.errors import DecodeError, UnsupportedError
from appliance.jsontypes import text

SCHEMA = modbus_schema("iammeter", extra={
    "model": {"type": "string", "enum": ["auto", "WEM3080", "WEM3080T"], "default": "auto"},
})
FAMILY = "IAMMeter"
#: Register 9 model codes; every model but the single-phase WEM3080 uses the three-phase layout.
MODELS = {1: "WEM3080", 2: "WEM3080T", 3: "WEM3046T", 4: "WEM3050T"}


def map_for(model: str) -> str:
    """The register map of a model name."""
    return "iammeter_wem3080" if model == "WEM3080" else "iammeter_wem3080t"


def model_of(code: int) -> str:
    """The model register 9 names."""
    if code not in MODELS:
        raise DecodeError(f"register 9 = {code} is no IAMMeter model (1-4)")
    return MODELS[code]


class IamMeterDriver(ModbusMapDriver):
    """IAMMeter WEM3080 single-phase and WEM3080T three-phase energy meters."""

    adapter_type = "iammeter"
    category = "meter"
    name = "IAMMeter Adapter"
    description = "IAMMeter WEM3080 single-phase and WEM3080T three-phase energy meters"
    transports = ("rtu", "tcp")
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
    family = FAMILY
    _model: str | None = None

    def model(self) -> str:
        """The configured model, or the one register 9 names (read once)."""
        if self.config.get("model", "auto") != "auto":
            return str(self.config["model"])
        if self._model is None:
            try:
                self._model = model_of(probe(self.unit_link, FAMILY, 9, 1)[9])
            except DecodeError as exc:
                raise UnsupportedError(f"not an {FAMILY} device: {exc.message}") from exc
        return self._model

    def map_name(self) -> str:
        """The map of the meter's model."""
        return map_for(self.model())

    def identify(self) -> Identity:
        """Model code (register 9) and serial number (56-63)."""
        registers = probe(self.unit_link, FAMILY, 9, 1)
        try:
            model = model_of(registers[9])
        except DecodeError as exc:
            raise UnsupportedError(f"not an {FAMILY} device: {exc.message}") from exc
        registers.update(probe(self.unit_link, FAMILY, 56, 8))
        values = identity_values(load_map(map_for(model)), registers, FAMILY)
        self._model = model
        return Identity(adapter_type=self.adapter_type, model=model, serial_number=text(values.get("serial_number")),
                        details={"model_code": registers[9]})

    @classmethod
    def decode(cls, registers: Mapping[int, int], model: str | None = None) -> Reading:
        """Pure decode: the model comes from register 9 when given, else the three-phase layout."""
        regs = clean(registers)
        if model is None:
            model = model_of(regs[9]) if 9 in regs else "WEM3080T"
        return reading_from(load_map(map_for(model)), regs, extra={"model": model})
