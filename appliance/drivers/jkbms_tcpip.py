"""JK BMS behind a transparent RS485-to-TCP gateway."""

from __future__ import annotations

from appliance.drivers.jk_stream import JkStreamDriver
from appliance.drivers.schemas import HOST, TCP_PORT, UNIT_ID, common, defaults_of, obj

PROTOCOL = {"type": "string", "enum": ["auto", "jkpb", "legacy"], "default": "auto",
            "description": "jkpb: Modbus trigger then a 300-byte frame; legacy: the 4E 57 protocol"}

SCHEMA = obj({
    **common("jkbms_tcpip"),
    "host": HOST,
    "port": {**TCP_PORT, "default": 5022},
    "unit_id": {**UNIT_ID, "minimum": 1, "maximum": 15, "default": 1,
                "description": "JK-PB DIP address of the pack (1-15)"},
    "protocol": PROTOCOL,
}, ["host"])


class JkBmsTcpIpDriver(JkStreamDriver):
    """JK BMS behind a transparent RS485-to-TCP gateway."""

    adapter_type = "jkbms_tcpip"
    category = "battery"
    name = "JK BMS TCP/IP Adapter"
    description = "JK BMS via a transparent RS485-TCP gateway (JK-PB or legacy 4E 57 protocol)"
    transports = ("tcpip",)
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
