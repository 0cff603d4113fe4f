"""Pytes and Pylontech battery banks through the RS232 text console."""

from __future__ import annotations

from appliance.drivers.base import Driver
from appliance.drivers.schemas import common, defaults_of, obj, serial_line

SCHEMA = obj({
    **common("pytes"),
    **serial_line(115200),
    "batteries": {"type": "integer", "minimum": 1, "maximum": 16, "default": 1,
                  "description": "Battery units in the bank"},
    "cells_per_battery": {"type": "integer", "minimum": 1, "maximum": 32, "default": 15},
}, ["serial_port"])


class PytesDriver(Driver):
    """Pytes and Pylontech battery banks through the RS232 text console."""

    adapter_type = "pytes"
    category = "battery"
    name = "Pytes Battery Adapter"
    description = "Pytes and Pylontech batteries through the console port (pwr, bat, info, stat)"
    transports = ("serial",)
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
