"""IAMMeter WEM3080 single-phase and WEM3080T three-phase energy meters."""

from __future__ import annotations

from appliance.drivers.base import Driver
from appliance.drivers.schemas import defaults_of, modbus_schema

SCHEMA = modbus_schema("iammeter", extra={
    "model": {"type": "string", "enum": ["auto", "WEM3080", "WEM3080T"], "default": "auto"},
})


class IamMeterDriver(Driver):
    """IAMMeter WEM3080 single-phase and WEM3080T three-phase energy meters."""

    adapter_type = "iammeter"
    category = "meter"
    name = "IAMMeter Adapter"
    description = "IAMMeter WEM3080 single-phase and WEM3080T three-phase energy meters"
    transports = ("rtu", "tcp")
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
