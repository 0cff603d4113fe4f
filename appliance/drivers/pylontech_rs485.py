"""Pylontech low-voltage batteries through the RS485 binary (ASCII-hex) protocol."""

from __future__ import annotations

from appliance.drivers.base import Driver
from appliance.drivers.schemas import common, defaults_of, obj, serial_line

SCHEMA = obj({
    **common("pylontech_rs485"),
    **serial_line(115200),
    "address": {"type": "integer", "minimum": 1, "maximum": 255, "default": 2,
                "description": "Address of the first pack (ADR)"},
    "batteries": {"type": "integer", "minimum": 1, "maximum": 16, "default": 1},
    "cells_per_battery": {"type": "integer", "minimum": 1, "maximum": 32, "default": 15},
}, ["serial_port"])


class PylontechRs485Driver(Driver):
    """Pylontech low-voltage batteries through the RS485 binary protocol."""

    adapter_type = "pylontech_rs485"
    category = "battery"
    name = "Pylontech RS485 Adapter"
    description = "Pylontech/Pytes packs through the RS485 binary protocol (V3.3)"
    transports = ("serial",)
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
