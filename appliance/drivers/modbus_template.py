"""Any Modbus device described by a device template: the template is the register map."""

from __future__ import annotations

from typing import Mapping

from appliance.drivers.base import DECODE_REGISTERS, Driver, Identity, Reading
from appliance.drivers.links import ModbusLink
from appliance.drivers.modbus.device import read_blocks, reading_from
from appliance.drivers.modbus.planner import plan
from appliance.drivers.schemas import defaults_of, modbus_schema
from appliance.drivers.templates import TEMPLATE_SCHEMA, parse_template
from appliance.errors import DecodeError, TransportError
from appliance.jsontypes import JsonObject

SCHEMA = modbus_schema("modbus_template", extra={"template": TEMPLATE_SCHEMA})
SCHEMA["required"] = ["transport", "template"]


class ModbusTemplateDriver(Driver):
    """A Modbus device read through the registers its template lists."""

    adapter_type = "modbus_template"
    category = "generic"
    name = "Modbus Device Template Adapter"
    description = "Any Modbus device described by a device template (registers, scaling, polling)"
    transports = ("rtu", "tcp")
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
    decode_inputs = frozenset({DECODE_REGISTERS})
    link: ModbusLink

    def __init__(self, config: JsonObject, link: object) -> None:
        super().__init__(config, link)
        self.template = parse_template(self.config["template"], "adapter template")
        self.rmap = self.template.register_map()

    def identify(self) -> Identity:
        """A template device has no identity registers: reading its map is the check."""
        registers = read_blocks(self.link, plan(self.rmap.fields, max_count=self.rmap.max_block))
        if not registers:
            raise TransportError("the device answered no register of its template")
        return Identity(self.adapter_type, model=self.template.model, serial_number=None,
                        details={"manufacturer": self.template.manufacturer})

    def read(self) -> Reading:
        """One reading of every register the template lists."""
        registers = read_blocks(self.link, plan(self.rmap.fields, max_count=self.rmap.max_block))
        return reading_from(self.rmap, registers)

    @classmethod
    def decode(cls, registers: Mapping[int, int], template: JsonObject | None = None) -> Reading:
        """Decode registers with a template (`appliance decode` needs one given in the config)."""
        if template is None:
            raise DecodeError("modbus_template needs its template to decode registers")
        return reading_from(parse_template(template["device_template"] if "device_template" in template
                                           else template).register_map(), registers)
