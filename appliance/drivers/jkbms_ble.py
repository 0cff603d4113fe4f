"""JK BMS through Bluetooth Low Energy."""

from __future__ import annotations

from appliance.drivers.base import Driver
from appliance.drivers.schemas import BLE_ADDRESS, common, defaults_of, obj

SCHEMA = obj({
    **common("jkbms_ble"),
    "bt_addresses": {"type": "array", "items": BLE_ADDRESS, "minItems": 1, "maxItems": 16, "uniqueItems": True,
                     "description": "Bluetooth addresses of the pack's BMSs"},
    "frame_variant": {"type": "string", "enum": ["auto", "JK02_24S", "JK02_32S", "JK04"], "default": "auto"},
}, ["bt_addresses"])


class JkBmsBleDriver(Driver):
    """JK BMS through Bluetooth Low Energy."""

    adapter_type = "jkbms_ble"
    category = "battery"
    name = "JK BMS Bluetooth Adapter"
    description = "JK BMS via Bluetooth Low Energy (JK02 and JK04 frames)"
    transports = ("ble",)
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
