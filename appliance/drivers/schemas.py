"""Building blocks for the adapter types' JSON schemas (draft 2020-12)."""

from __future__ import annotations

from appliance.jsontypes import Json, JsonObject, JsonValue, as_object

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
BAUD_RATES = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200]

SERIAL_PORT: Json = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^\\s;|&$`]+$",
               "description": "Serial device path, best a /dev/serial/by-id/... link"}
HOST: Json = {"type": "string", "minLength": 1, "maxLength": 253,
        "pattern": "^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$", "description": "Host name or IP address"}
TCP_PORT: Json = {"type": "integer", "minimum": 1, "maximum": 65535}
UNIT_ID: Json = {"type": "integer", "minimum": 0, "maximum": 247, "description": "Modbus unit (slave) id"}
POLL_INTERVAL: Json = {"type": "number", "minimum": 1, "maximum": 3600, "description": "Seconds between polls"}
TIMEOUT: Json = {"type": "number", "exclusiveMinimum": 0, "maximum": 60, "description": "Seconds to wait for an answer"}
BLE_ADDRESS: Json = {"type": "string", "pattern": "^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$"}


def serial_line(baudrate: int) -> Json:
    """Properties of a serial line with its default baud rate."""
    return {
        "serial_port": SERIAL_PORT,
        "baudrate": {"type": "integer", "enum": BAUD_RATES, "default": baudrate},
        "parity": {"type": "string", "enum": ["N", "E", "O"], "default": "N"},
        "stopbits": {"type": "integer", "enum": [1, 2], "default": 1},
        "bytesize": {"type": "integer", "enum": [7, 8], "default": 8},
    }


def common(adapter_type: str) -> Json:
    """Properties every adapter config may carry."""
    return {
        "type": {"const": adapter_type},
        "poll_interval_s": {**POLL_INTERVAL, "default": 5},
        "timeout_s": {**TIMEOUT, "default": 3},
        "retries": {"type": "integer", "minimum": 0, "maximum": 10, "default": 1,
                    "description": "Immediate retries of a failed poll before it counts as failed"},
    }


def obj(properties: Json, required: list[str] | None = None, **extra: JsonValue) -> Json:
    """A closed object schema: unknown keys are errors, not silently ignored."""
    schema: Json = {"$schema": SCHEMA_DIALECT, "type": "object", "properties": properties,
                              "additionalProperties": False}
    if required:
        schema["required"] = required
    schema.update(extra)
    return schema


def modbus_schema(adapter_type: str, *, baudrate: int = 9600, tcp_port: int = 502,
                  extra: Json | None = None) -> Json:
    """A Modbus device over RTU (serial_port) or TCP (host), with a unit id."""
    props = {
        **common(adapter_type),
        "transport": {"type": "string", "enum": ["rtu", "tcp"]},
        **serial_line(baudrate),
        "host": HOST,
        "port": {**TCP_PORT, "default": tcp_port},
        "unit_id": {**UNIT_ID, "default": 1},
        **(extra or {}),
    }
    return obj(props, ["transport"], allOf=[
        {"if": {"properties": {"transport": {"const": "rtu"}}}, "then": {"required": ["serial_port"]}},
        {"if": {"properties": {"transport": {"const": "tcp"}}}, "then": {"required": ["host"]}},
    ])


def defaults_of(schema: JsonObject) -> Json:
    """The `default` of each top-level property that declares one."""
    properties = as_object(schema.get("properties")).items()
    return {name: prop["default"] for name, prop in properties if isinstance(prop, dict) and "default" in prop}
