"""Home Assistant MQTT discovery: topics, device blocks and the retained config of each entity.

HA's parent-child device model: one HA device per appliance device (inverter, meter, pack, logical
battery), each `via_device` the appliance's own HA device (health, disk, backlog, clock), plus one
energy-totals device per system. Every entity is available only while the appliance is (its last will)
and its device is (availability that follows the device's health).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from appliance import __version__, vocabulary
from appliance.jsontypes import Json, JsonObject
from appliance.mqtt.entities import Entity
from appliance.validation import finite_or_none

#: Manufacturers by driver family (a device that names its maker in its reading wins).
MANUFACTURERS = {"powdrive": "Deye", "senergy": "Deye", "pytes": "Pytes", "pylontech_rs485": "Pylontech",
                 "jkbms_tcpip": "JK BMS", "jkbms_rs485": "JK BMS", "jkbms_ble": "JK BMS", "iammeter": "IAMMETER",
                 "acuvim2": "Accuenergy", "sunspec": "SunSpec device", "powerpack": "Modbus BESS"}
KIND_MODELS = {"inverter": "Hybrid inverter", "battery_pack": "Battery pack", "meter": "Energy meter",
               "battery_array": "Logical battery"}
SLUG = re.compile(r"[^A-Za-z0-9_-]+")
ONLINE, OFFLINE = "online", "offline"
#: A command's name in its topic: a setting's name; never one of the worker's own (leading '_').
COMMAND_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def slug(text: str) -> str:
    """An id as HA's discovery topics take it: letters, digits, '_' and '-'."""
    return SLUG.sub("_", text).strip("_") or "x"


@dataclass(frozen=True)
class Topics:
    """Every topic the appliance uses, from the discovery prefix, the topic base and its node id."""

    prefix: str
    base: str
    node: str

    @property
    def status(self) -> str:
        """The appliance's availability (its last will says offline)."""
        return f"{self.base}/status"

    @property
    def ha_status(self) -> str:
        """HA's birth message: `online` when HA (re)starts, so configs are sent again."""
        return f"{self.prefix}/status"

    def state(self, device_id: str) -> str:
        """A device's JSON state."""
        return f"{self.base}/{device_id}/state"

    def availability(self, device_id: str) -> str:
        """A device's availability, following its health."""
        return f"{self.base}/{device_id}/availability"

    def command(self, device_id: str, name: str) -> str:
        """Where HA sends a command for a device."""
        return f"{self.base}/{device_id}/{name}/set"

    def command_state(self, device_id: str) -> str:
        """A device's command state (retained JSON: maintenance on or off)."""
        return f"{self.base}/{device_id}/control"

    def alert_state(self, device_id: str) -> str:
        """A device's alert state (retained JSON: active, messages)."""
        return f"{self.base}/{device_id}/alert"

    def result(self, device_id: str) -> str:
        """Where the outcome of a command is published (JSON, not retained)."""
        return f"{self.base}/{device_id}/result"

    @property
    def commands(self) -> str:
        """The subscription that hears every command."""
        return f"{self.base}/+/+/set"

    @property
    def appliance_state(self) -> str:
        """The appliance's own state (health, disk, backlog, clock)."""
        return f"{self.base}/_appliance/state"

    def energy_state(self, system_id: str) -> str:
        """A system's energy totals, published after each rollup."""
        return f"{self.base}/_energy/{system_id}/state"

    def config(self, component: str, owner: str, key: str) -> str:
        """The retained discovery config of one entity."""
        return f"{self.prefix}/{component}/{self.node}-{slug(owner)}/{slug(key)}/config"

    def parse_command(self, topic: str) -> tuple[str, str] | None:
        """(device id, command name) of a command topic, or None."""
        if not topic.startswith(self.base + "/") or not topic.endswith("/set"):
            return None
        rest = topic[len(self.base) + 1:-len("/set")].split("/")
        if len(rest) != 2 or not rest[0] or not COMMAND_NAME.match(rest[1]):
            return None
        return rest[0], rest[1]


@dataclass(frozen=True)
class DeviceInfo:
    """What HA's device registry shows of one appliance device."""

    device_id: str
    kind: str
    name: str
    system_id: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    sw_version: str | None = None
    hw_version: str | None = None


@dataclass(frozen=True)
class ApplianceInfo:
    """The appliance itself: HA's parent device."""

    node: str
    name: str
    serial_number: str | None = None


def origin() -> Json:
    """Who publishes the configs (HA shows it in the device's MQTT info)."""
    return {"name": "appliance", "sw_version": __version__}


def appliance_device(appliance: ApplianceInfo) -> Json:
    """The appliance's HA device block."""
    block: Json = {"identifiers": [appliance.node], "name": appliance.name, "manufacturer": "Solar appliance",
             "model": "Edge appliance", "sw_version": __version__}
    if appliance.serial_number:
        block["serial_number"] = appliance.serial_number
    return block


def device_block(info: DeviceInfo, appliance: ApplianceInfo) -> Json:
    """A device's HA device block: identity, and `via_device` the appliance."""
    block: Json = {"identifiers": [f"{appliance.node}-{slug(info.device_id)}"], "name": info.name,
                   "manufacturer": info.manufacturer or "unknown",
                   "model": info.model or KIND_MODELS.get(info.kind, info.kind), "via_device": appliance.node}
    for key in ("serial_number", "sw_version", "hw_version"):
        if getattr(info, key):
            block[key] = getattr(info, key)
    return block


def _payload(entity: Entity, owner: str, device: Json, topics: Topics, state_topic: str,
             availability: list[str], node: str) -> Json:
    payload: Json = {"name": entity.name, "unique_id": f"{node}-{slug(owner)}-{slug(entity.key)}",
                     "device": device, "origin": origin(), "availability": [{"topic": t} for t in availability],
                     "availability_mode": "all"}
    if entity.component in ("sensor", "binary_sensor", "switch", "select", "number"):
        payload["state_topic"] = state_topic
    if entity.template:
        payload["value_template"] = entity.template
    for key, value in (("device_class", entity.device_class), ("unit_of_measurement", entity.unit),
                       ("state_class", entity.state_class), ("entity_category", entity.category),
                       ("icon", entity.icon), ("suggested_display_precision", entity.precision)):
        if value is not None:
            payload[key] = value
    payload.update(entity.extra)
    return payload


def device_configs(info: DeviceInfo, entities: list[Entity], topics: Topics,
                   appliance: ApplianceInfo) -> dict[str, Json]:
    """Config topic -> payload of each entity of a device."""
    device = device_block(info, appliance)
    availability = [topics.status, topics.availability(info.device_id)]
    return {topics.config(e.component, info.device_id, e.key):
            _payload(e, info.device_id, device, topics, topics.state(info.device_id), availability, appliance.node)
            for e in entities}


#: The appliance's own entities: (component, key, name, device_class, unit, state_class, category, icon).
APPLIANCE_ENTITIES = (
    Entity("binary_sensor", "problem", "Problem", "{{ 'ON' if value_json.problem else 'OFF' }}", "problem",
           extra={"payload_on": "ON", "payload_off": "OFF"}),
    Entity("sensor", "health", "Health", "{{ value_json.health | default(none) }}", icon="mdi:heart-pulse"),
    Entity("sensor", "devices_online", "Devices online", "{{ value_json.devices_online | default(none) }}",
           state_class="measurement", icon="mdi:lan-connect"),
    Entity("sensor", "disk_free_mb", "Disk free", "{{ value_json.disk_free_mb | default(none) }}", "data_size",
           "MB", "measurement", "diagnostic", precision=0),
    Entity("sensor", "database_mb", "Database size", "{{ value_json.database_mb | default(none) }}", "data_size",
           "MB", "measurement", "diagnostic", precision=1),
    Entity("sensor", "sync_backlog", "Headend backlog", "{{ value_json.sync_backlog | default(none) }}",
           state_class="measurement", category="diagnostic", icon="mdi:tray-full"),
    Entity("sensor", "write_backlog", "Samples waiting to be written",
           "{{ value_json.write_backlog | default(none) }}", state_class="measurement", category="diagnostic",
           icon="mdi:database-clock"),
    Entity("binary_sensor", "clock_synchronised", "Clock synchronised",
           "{{ 'ON' if value_json.clock_synchronised else 'OFF' }}", category="diagnostic", icon="mdi:clock-check",
           extra={"payload_on": "ON", "payload_off": "OFF"}),
    Entity("sensor", "mqtt_dropped", "MQTT messages dropped", "{{ value_json.mqtt_dropped | default(none) }}",
           state_class="total_increasing", category="diagnostic", icon="mdi:message-alert"),
)


def appliance_configs(topics: Topics, appliance: ApplianceInfo,
                      extra: tuple[Entity, ...] = ()) -> dict[str, Json]:
    """Config topic -> payload of the appliance's own entities."""
    device = appliance_device(appliance)
    return {topics.config(e.component, "appliance", e.key):
            _payload(e, "appliance", device, topics, topics.appliance_state, [topics.status], appliance.node)
            for e in APPLIANCE_ENTITIES + extra}


#: Energy totals of a system: lifetime and today, kWh, total_increasing (what HA's Energy dashboard takes).
ENERGY_KEYS = ("pv_energy", "load_energy", "grid_import", "grid_export", "battery_charge", "battery_discharge")


def energy_entities() -> list[Entity]:
    """The entities of a system's energy totals (labels from the vocabulary)."""
    out = []
    for key in ENERGY_KEYS:
        for span in ("total", "today"):
            name = f"{key}_{span}_kwh"
            out.append(Entity("sensor", name, vocabulary.label(name), "{{ value_json.%s | default(none) }}" % name,
                              "energy", "kWh", "total_increasing", precision=2))
    return out


def energy_configs(system_id: str, system_name: str, topics: Topics,
                   appliance: ApplianceInfo) -> dict[str, Json]:
    """Config topic -> payload of a system's energy totals, on an HA device of their own."""
    owner = f"energy-{system_id}"
    device: Json = {"identifiers": [f"{appliance.node}-{slug(owner)}"], "name": f"{system_name} energy",
                    "manufacturer": "Solar appliance", "model": "Energy totals", "via_device": appliance.node}
    return {topics.config(e.component, owner, e.key):
            _payload(e, owner, device, topics, topics.energy_state(system_id), [topics.status], appliance.node)
            for e in energy_entities()}


def encode(payload: object) -> bytes:
    """A payload as compact JSON (never NaN)."""
    return json.dumps(payload, separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode()


def state_payload(values: JsonObject, ts_ms: int | None) -> bytes:
    """A device's state message: its reading's values (READINGS.md names) and `ts` in epoch ms."""
    body: Json = {k: v for k, v in values.items() if v is not None and k not in ("details", "kind")}
    if ts_ms is not None:
        body["ts"] = ts_ms
    try:
        return encode(body)
    except ValueError:  # a NaN or an infinity from a device: null in JSON (rare, so checked only then)
        return encode(finite_or_none(body))
