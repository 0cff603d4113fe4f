"""Which Home Assistant entities a reading makes: one per value of READINGS.md the device reports.

Data, not code paths: a table from reading key (or its unit suffix) to HA's device_class, unit and
state_class. Labels come from the vocabulary, so HA shows the words the local UI shows. Powers are
`measurement`; energy counters and daily totals are `total_increasing` in kWh, which HA's Energy
dashboard takes as they are; cells and diagnostics are `entity_category: diagnostic`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from appliance import vocabulary
from appliance.jsontypes import JsonObject

#: Identity values go into the HA device (model, serial number, versions), not into entities.
IDENTITY = ("serial_number", "model", "hardware_version", "software_version", "device_type", "protocol_version")
#: Keys of a reading that are structure, not values.
SKIP = ("kind", "ts", "details", "index")
#: What a unit in the table means for HA: (device_class, unit of measurement, state_class).
UNIT_CLASSES: dict[str, tuple[str | None, str | None, str | None]] = {
    "W": ("power", "W", "measurement"), "kWh": ("energy", "kWh", "total_increasing"),
    "V": ("voltage", "V", "measurement"), "A": ("current", "A", "measurement"),
    "Hz": ("frequency", "Hz", "measurement"), "°C": ("temperature", "°C", "measurement"),
    "var": ("reactive_power", "var", "measurement"), "VA": ("apparent_power", "VA", "measurement"),
    "Ah": (None, "Ah", "measurement"), "%": (None, "%", "measurement"), "ms": ("duration", "ms", "measurement"),
    "s": ("duration", "s", "measurement"),
}
#: Keys whose class is not their unit's.
SPECIAL: dict[str, tuple[str | None, str | None, str | None]] = {
    "soc_pct": ("battery", "%", "measurement"), "battery_soc_pct": ("battery", "%", "measurement"),
    "soe_pct": ("battery", "%", "measurement"), "power_factor": ("power_factor", None, "measurement"),
    "cycles": (None, None, "total_increasing"), "available_blocks": (None, None, "measurement"),
    # Shown in mV locally; HA gets volts with three decimals (its voltage class converts on request).
    "cell_delta_v": ("voltage", "V", "measurement"),
}
#: Entities the homeowner rarely needs on a dashboard (HA hides them in "Diagnostic").
DIAGNOSTIC = {"soh_pct", "cycles", "full_ah", "remaining_ah", "cell_min_v", "cell_max_v", "cell_delta_v",
              "cell_voltages_v", "cell_temperatures_c", "balancing", "charge_enabled", "discharge_enabled",
              "pv_voltages_v", "pv_currents_a", "voltages_v", "currents_a", "rated_power_w", "grid_frequency_hz",
              "frequency_hz", "power_factor", "reactive_power_var", "apparent_power_va", "inverter_temperature_c",
              "battery_temperature_c", "command_source", "available_blocks", "batteries"}
#: Per-item names of list values: key -> (label with {n}, what {n} counts).
LIST_NAMES = {"pv_powers_w": "Solar power input {n}", "pv_voltages_v": "Solar voltage input {n}",
              "pv_currents_a": "Solar current input {n}", "powers_w": "Power L{n}", "voltages_v": "Voltage L{n}",
              "currents_a": "Current L{n}", "cell_voltages_v": "Cell {n} voltage",
              "cell_temperatures_c": "Cell {n} temperature"}
#: Values of each unit of a bank (READINGS.md: `batteries`), as entities of the bank.
UNIT_VALUES = ("voltage_v", "current_a", "temperature_c", "soc_pct", "status", "cell_voltages_v")
ICONS = {"cycles": "mdi:battery-sync", "balancing": "mdi:scale-balance", "alarms": "mdi:alert",
         "state": "mdi:state-machine", "work_mode": "mdi:cog", "status": "mdi:information-outline",
         "charge_enabled": "mdi:battery-arrow-up", "discharge_enabled": "mdi:battery-arrow-down"}


@dataclass(frozen=True)
class Entity:
    """One HA entity of a device: its kind (component), key and what HA needs to show it."""

    component: str
    key: str
    name: str
    template: str | None = None
    device_class: str | None = None
    unit: str | None = None
    state_class: str | None = None
    category: str | None = None
    icon: str | None = None
    precision: int | None = None
    extra: JsonObject = field(default_factory=dict)


def expression(path: str) -> str:
    """A Jinja expression for a path of the state JSON ('batteries[1].cell_voltages_v[3]') that is undefined,
    not an error, when any step is missing (a shorter list, a unit that did not answer)."""
    expr = "value_json"
    for name, index in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]", path):
        if name:
            expr = f"{expr}.{name}" if expr == "value_json" else f"({expr} or {{}}).{name}"
        else:
            expr = f"({expr} or [])[{index}]"
    return expr


def value_template(path: str) -> str:
    """A template that reads one value of the state JSON; a value the device did not send is unknown in HA."""
    return "{{ %s | default(none) }}" % expression(path)


def _classes(key: str, kind: str | None) -> tuple[str | None, str | None, str | None]:
    if key in SPECIAL:
        return SPECIAL[key]
    unit = vocabulary.term(key, kind).unit
    if key == "cell_delta_v":
        unit = "V"
    return UNIT_CLASSES.get(unit, (None, unit or None, "measurement"))


def _number(key: str, path: str, name: str, kind: str | None, *, diagnostic: bool, item_of: str | None = None) -> Entity:
    device_class, unit, state_class = _classes(item_of or key, kind)
    digits = vocabulary.term(item_of or key, kind).digits
    if item_of is None and key == "cell_delta_v":
        digits = 3
    return Entity("sensor", path.replace(".", "_").replace("[", "_").replace("]", ""), name, value_template(path),
                  device_class, unit, state_class, "diagnostic" if diagnostic else None, ICONS.get(key),
                  digits if unit else None)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def for_value(key: str, value: object, kind: str | None, *, prefix: str = "", name_prefix: str = "",
              diagnostic: bool = False) -> list[Entity]:
    """The entities of one value of a reading (a list gives one per item; `batteries` one set per unit)."""
    path = f"{prefix}{key}"
    diagnostic = diagnostic or key in DIAGNOSTIC
    if key in IDENTITY or key in SKIP or value is None:
        return []
    label = name_prefix + vocabulary.label(key, kind)
    if isinstance(value, bool):
        value = expression(path)
        return [Entity("binary_sensor", path.replace(".", "_").replace("[", "_").replace("]", ""), label,
                       "{{ 'ON' if %s else ('OFF' if %s is false else none) }}" % (value, value),
                       category="diagnostic" if diagnostic else None, icon=ICONS.get(key),
                       extra={"payload_on": "ON", "payload_off": "OFF"})]
    if _is_number(value):
        return [_number(key, path, label, kind, diagnostic=diagnostic)]
    if isinstance(value, str):
        return [Entity("sensor", path.replace(".", "_").replace("[", "_").replace("]", ""), label,
                       value_template(path), category="diagnostic" if diagnostic else None, icon=ICONS.get(key))]
    if key == "alarms" and isinstance(value, list):
        value = expression(path)
        template = "{{ (%s | join(', ')) if %s else 'none' }}" % (value, value)
        return [Entity("sensor", path.replace(".", "_"), label, template, icon=ICONS["alarms"])]
    if key in ("batteries", "units") and isinstance(value, list):
        return _units(value, kind, prefix)
    if isinstance(value, list) and value and all(_is_number(v) for v in value):
        pattern = LIST_NAMES.get(key, vocabulary.label(key, kind) + " {n}")
        return [_number(key, f"{path}[{i}]", name_prefix + pattern.format(n=i + 1), kind, diagnostic=diagnostic,
                        item_of=key) for i in range(len(value))]
    return []


def _units(units: list[Any], kind: str | None, prefix: str) -> list[Entity]:
    """Each unit of a bank: its voltage, current, temperature, SOC, status and cells, named 'Unit N ...'."""
    out: list[Entity] = []
    for position, unit in enumerate(units):
        if not isinstance(unit, Mapping):
            continue
        number = unit.get("index", position + 1)
        for key in UNIT_VALUES:
            if key in unit:
                out += for_value(key, unit[key], None, prefix=f"{prefix}batteries[{position}].",
                                 name_prefix=f"Unit {number} ", diagnostic=True)
    return out


def for_reading(kind: str | None, values: Mapping[str, Any]) -> list[Entity]:
    """Every entity a reading's values make, in the vocabulary's order; keys unique within the device."""
    order = {key: i for i, key in enumerate(vocabulary.TERMS)}
    out: list[Entity] = []
    seen: set[str] = set()
    for key in sorted(values, key=lambda k: (order.get(k, len(order)), k)):
        for entity in for_value(key, values[key], kind):
            if entity.key not in seen:
                seen.add(entity.key)
                out.append(entity)
    return out
