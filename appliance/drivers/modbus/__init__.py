"""Modbus device knowledge as data: register maps (YAML), pure codecs and the block planner."""

from appliance.drivers.modbus.codec import Decoded, decode_field, decode_map, encode_field, encode_map
from appliance.drivers.modbus.exceptions import ModbusExceptionError
from appliance.drivers.modbus.planner import Block, plan
from appliance.drivers.modbus.regmap import Field, RegisterMap, load_map, map_names, parse_map

__all__ = ["Block", "Decoded", "Field", "ModbusExceptionError", "RegisterMap", "decode_field", "decode_map",
           "encode_field", "encode_map", "load_map", "map_names", "parse_map", "plan"]
