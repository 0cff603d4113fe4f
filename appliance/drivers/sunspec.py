"""Any SunSpec Modbus device: the model chain is discovered at 40000, 0 or 50000."""

from __future__ import annotations

from appliance.drivers.base import Driver
from appliance.drivers.schemas import defaults_of, modbus_schema

SCHEMA = modbus_schema("sunspec", extra={
    "base_address": {"type": "string", "enum": ["auto", "40000", "0", "50000"], "default": "auto"},
})


class SunSpecDriver(Driver):
    """Any SunSpec Modbus device: the model chain is discovered at 40000, 0 or 50000."""

    adapter_type = "sunspec"
    category = "inverter"
    name = "SunSpec Device Adapter"
    description = "Any SunSpec Modbus device: the model chain is discovered at 40000, 0 or 50000"
    transports = ("rtu", "tcp")
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
