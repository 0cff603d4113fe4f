"""The command entities of a controllable device, from its settings map as the control service describes it:
a select per enumerated setting (work mode), a number per numeric limit, a switch per on/off setting, the
battery setpoint (a number, W, + discharges) and a hand-back button. Time-of-use slots and read-only values
are left to the control page."""

from __future__ import annotations


from appliance.control.program import ProgramView, SettingView
from appliance.jsontypes import Json, JsonValue, number
from appliance.mqtt.discovery import Topics
from appliance.mqtt.entities import Entity

SETPOINT, RELEASE = "battery_setpoint", "release"
#: Settings types HA gets: enum -> select, u16 -> number, bool/bit -> switch ("days", "hhmm", slots: not here).
COMPONENTS = {"enum": "select", "u16": "number", "bool": "switch", "bit": "switch"}
DEFAULT_MAX_W = 10_000


def controls(device_id: str, described: ProgramView, topics: Topics) -> list[Entity]:
    """HA entities for the settings of `described` (control.program.describe's answer)."""
    state = topics.command_state(device_id)
    common: Json = {"state_topic": state, "availability": [{"topic": topics.status}]}
    out: list[Entity] = []
    for item in described["settings"]:
        component = COMPONENTS.get(item.get("type"))
        if component is None or item.get("read_only") or item.get("slot"):
            continue
        name, command = item["name"], topics.command(device_id, item["name"])
        value = "value_json.program.%s" % name
        extra: Json = {"command_topic": command, **common}
        if component == "select":
            extra["options"] = list(item.get("choices") or [])
            template = "{{ %s | default(none) }}" % value
        elif component == "number":
            extra.update(min=item.get("min") if item.get("min") is not None else 0,
                         max=item.get("max") if item.get("max") is not None else DEFAULT_MAX_W,
                         step=item.get("step") or 1, mode="box")
            if item.get("unit"):
                extra["unit_of_measurement"] = item["unit"]
            template = "{{ %s | default(none) }}" % value
        else:
            extra.update(payload_on="ON", payload_off="OFF", state_on="ON", state_off="OFF")
            template = "{{ 'ON' if %s else 'OFF' }}" % value
        out.append(Entity(component, name, item.get("label") or name, template, category="config",
                          icon="mdi:tune", extra=extra))
    rated = number((described["program"] or {}).get("rated_power_w")) or DEFAULT_MAX_W
    out.append(Entity("number", SETPOINT, "Battery setpoint", "{{ value_json.setpoint_w | default(none) }}",
                      "power", "W", icon="mdi:battery-sync",
                      extra={"command_topic": topics.command(device_id, SETPOINT), **common, "min": -rated,
                             "max": rated, "step": 100, "mode": "box"}))
    out.append(Entity("button", RELEASE, "Hand back control", icon="mdi:hand-back-left",
                      extra={"command_topic": topics.command(device_id, RELEASE), "payload_press": "PRESS",
                             "availability": [{"topic": topics.status}]}))
    return out


def parse_value(item: SettingView, text: str) -> JsonValue:
    """A command payload as the setting takes it (the control service checks and clamps it after)."""
    kind = item.get("type")
    if kind in ("bool", "bit"):
        word = text.upper()
        if word not in ("ON", "OFF", "TRUE", "FALSE", "1", "0"):
            raise ValueError(f"{item['name']} takes ON or OFF")
        return word in ("ON", "TRUE", "1")
    if kind == "u16":
        number = float(text)
        return int(number) if number.is_integer() else number
    return text
