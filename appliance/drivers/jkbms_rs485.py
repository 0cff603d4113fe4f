"""JK BMS on an RS485 serial port."""

from __future__ import annotations

from appliance.drivers.jk_stream import JkStreamDriver
from appliance.drivers.jkbms_tcpip import PROTOCOL
from appliance.drivers.schemas import UNIT_ID, common, defaults_of, obj, serial_line

SCHEMA = obj({
    **common("jkbms_rs485"),
    **serial_line(115200),
    "unit_id": {**UNIT_ID, "minimum": 1, "maximum": 15, "default": 1},
    "protocol": PROTOCOL,
}, ["serial_port"])


class JkBmsRs485Driver(JkStreamDriver):
    """JK BMS on an RS485 serial port."""

    adapter_type = "jkbms_rs485"
    category = "battery"
    name = "JK BMS RS485 Adapter"
    description = "JK BMS on an RS485 serial port (JK-PB or legacy 4E 57 protocol)"
    transports = ("serial",)
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
