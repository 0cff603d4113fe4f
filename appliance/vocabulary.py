"""Reading keys (READINGS.md, the rollups' columns) as people read them: a label, a unit and a number format.

Machines keep the keys (database, API, CSV); pages, chart legends, people's CSV headers and later edges
(alerts, MQTT discovery) take labels and formatted values from here. A leaf module: no Flask, no database.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping

DASH = "—"
THIN_SPACE = "\u202f"


@dataclass(frozen=True)
class Term:
    """How one reading key is shown."""

    key: str
    label: str
    unit: str = ""
    digits: int = 0
    kind: str = "number"  # number, power, energy, bool, list, text, units (a list of unit readings)
    #: For signed powers: the words for + and − ("importing", "exporting"); the value is then shown unsigned.
    signs: tuple[str, str] | None = None
    #: For booleans: the words for true and false.
    words: tuple[str, str] = ("yes", "no")
    #: What an empty list reads as ('' shows nothing).
    empty: str = ""
    #: Shown value = stored value x factor (a cell spread is stored in V and read in mV).
    factor: float = 1.0


def _t(key: str, label: str, unit: str = "", digits: int = 0, kind: str = "number", *,
       signs: tuple[str, str] | None = None, words: tuple[str, str] = ("yes", "no"), empty: str = "",
       factor: float = 1.0) -> Term:
    return Term(key, label, unit, digits, kind, signs=signs, words=words, empty=empty, factor=factor)


GRID_SIGNS = ("importing", "exporting")
BATTERY_SIGNS = ("discharging", "charging")

_TERMS = (
    # Battery pack or bank
    _t("voltage_v", "Voltage", "V", 1), _t("current_a", "Current", "A", 1),
    _t("power_w", "Power", "W", kind="power"), _t("soc_pct", "SOC", "%", 0), _t("soh_pct", "State of health", "%", 0),
    _t("remaining_ah", "Remaining capacity", "Ah", 1), _t("full_ah", "Full capacity", "Ah", 1),
    _t("cycles", "Cycles", "", 0), _t("temperature_c", "Temperature", "°C", 1),
    _t("cell_voltages_v", "Cell voltages", "V", 3, "list"), _t("cell_min_v", "Lowest cell", "V", 3),
    _t("cell_max_v", "Highest cell", "V", 3), _t("cell_delta_v", "Cell spread", "mV", 0, factor=1000.0),
    _t("cell_temperatures_c", "Cell temperatures", "°C", 1, "list"),
    _t("balancing", "Balancing", kind="bool", words=("balancing", "not balancing")),
    _t("charge_enabled", "Charging", kind="bool", words=("allowed", "blocked")),
    _t("discharge_enabled", "Discharging", kind="bool", words=("allowed", "blocked")),
    _t("alarms", "Alarms", kind="list", empty="no alarms"),
    _t("batteries", "Battery units", kind="units"), _t("units", "Battery units", kind="units"),
    _t("index", "Unit", "", 0), _t("status", "Status", kind="text"),
    # Identity
    _t("serial_number", "Serial number", kind="text"), _t("model", "Model", kind="text"),
    _t("hardware_version", "Hardware version", kind="text"), _t("software_version", "Software version", kind="text"),
    _t("device_type", "Device type", kind="text"), _t("protocol_version", "Protocol version", kind="text"),
    _t("rated_power_w", "Rated power", "W", kind="power"),
    # Inverter
    _t("pv_power_w", "Solar power", "W", kind="power"), _t("pv_powers_w", "Solar power per input", "W", 0, "list"),
    _t("pv_voltages_v", "Solar voltage per input", "V", 1, "list"),
    _t("pv_currents_a", "Solar current per input", "A", 1, "list"),
    _t("load_power_w", "Home consumption", "W", kind="power"),
    _t("grid_power_w", "Grid", "W", kind="power", signs=GRID_SIGNS),
    _t("battery_power_w", "Battery", "W", kind="power", signs=BATTERY_SIGNS),
    _t("battery_voltage_v", "Battery voltage", "V", 1), _t("battery_current_a", "Battery current", "A", 1,
                                                           signs=BATTERY_SIGNS),
    _t("battery_soc_pct", "Battery SOC", "%", 0), _t("battery_temperature_c", "Battery temperature", "°C", 1),
    _t("inverter_temperature_c", "Inverter temperature", "°C", 1),
    _t("grid_voltage_v", "Grid voltage", "V", 1), _t("grid_frequency_hz", "Grid frequency", "Hz", 2),
    _t("state", "State", kind="text"), _t("work_mode", "Work mode", kind="text"),
    _t("pv_energy_total_kwh", "Solar energy (lifetime)", "kWh", 1, "energy"),
    _t("load_energy_total_kwh", "Consumption (lifetime)", "kWh", 1, "energy"),
    _t("grid_import_total_kwh", "Grid import (lifetime)", "kWh", 1, "energy"),
    _t("grid_export_total_kwh", "Grid export (lifetime)", "kWh", 1, "energy"),
    _t("battery_charge_total_kwh", "Battery charge (lifetime)", "kWh", 1, "energy"),
    _t("battery_discharge_total_kwh", "Battery discharge (lifetime)", "kWh", 1, "energy"),
    _t("pv_energy_today_kwh", "Solar energy today", "kWh", 1, "energy"),
    _t("load_energy_today_kwh", "Consumption today", "kWh", 1, "energy"),
    _t("grid_import_today_kwh", "Grid import today", "kWh", 1, "energy"),
    _t("grid_export_today_kwh", "Grid export today", "kWh", 1, "energy"),
    _t("battery_charge_today_kwh", "Battery charge today", "kWh", 1, "energy"),
    _t("battery_discharge_today_kwh", "Battery discharge today", "kWh", 1, "energy"),
    # Meter
    _t("powers_w", "Power per phase", "W", 0, "list"), _t("voltages_v", "Voltage per phase", "V", 1, "list"),
    _t("currents_a", "Current per phase", "A", 1, "list"), _t("frequency_hz", "Frequency", "Hz", 2),
    _t("power_factor", "Power factor", "", 2), _t("reactive_power_var", "Reactive power", "var", 0),
    _t("apparent_power_va", "Apparent power", "VA", 0),
    _t("import_energy_kwh", "Imported (meter total)", "kWh", 1, "energy"),
    _t("export_energy_kwh", "Exported (meter total)", "kWh", 1, "energy"),
    # Storage system
    _t("soe_pct", "State of energy", "%", 0), _t("target_power_w", "Target power", "W", kind="power",
                                                 signs=BATTERY_SIGNS),
    _t("command_source", "Commanded by", kind="text"), _t("available_blocks", "Available blocks", "", 0),
    # Rollups, history and energy totals
    _t("pv_energy_kwh", "Solar", "kWh", 1, "energy"), _t("load_energy_kwh", "Consumption", "kWh", 1, "energy"),
    _t("import_kwh", "Grid import", "kWh", 1, "energy"), _t("export_kwh", "Grid export", "kWh", 1, "energy"),
    _t("charge_kwh", "Battery charge", "kWh", 1, "energy"),
    _t("discharge_kwh", "Battery discharge", "kWh", 1, "energy"),
    _t("self_consumption_pct", "Self-consumption", "%", 0), _t("autarky_pct", "Self-sufficiency", "%", 0),
    _t("import_cost", "Import cost", "", 2), _t("export_revenue", "Export revenue", "", 2),
    _t("saving", "Saving", "", 2), _t("currency", "Currency", kind="text"),
    _t("min_soc_pct", "Lowest SOC", "%", 0), _t("max_soc_pct", "Highest SOC", "%", 0),
    _t("pv_peak_hour", "Solar peak hour", "", 0), _t("days", "Days with data", "", 0),
    _t("date", "Date", kind="text"), _t("month", "Month", kind="text"),
    _t("pv_w", "Solar", "W", kind="power"), _t("load_w", "Home", "W", kind="power"),
    _t("grid_w", "Grid", "W", kind="power", signs=GRID_SIGNS),
    _t("battery_w", "Battery", "W", kind="power", signs=BATTERY_SIGNS),
    # Details some families add
    _t("mos_temperature_c", "MOSFET temperature", "°C", 1), _t("dc_transformer_temp_c", "DC transformer temperature",
                                                               "°C", 1),
    _t("serial_numbers", "Serial numbers", kind="list"), _t("status_bits", "Status flags", kind="list"),
)
TERMS: dict[str, Term] = {t.key: t for t in _TERMS}

#: Labels that change with the device kind: a battery's `voltage_v` is the battery voltage.
KIND_LABELS: dict[str, dict[str, str]] = {
    "battery": {"voltage_v": "Battery voltage", "current_a": "Battery current", "power_w": "Battery power",
                "temperature_c": "Battery temperature"},
    "meter": {"power_w": "Power", "voltage_v": "Voltage", "current_a": "Current"},
    "bess": {"power_w": "Power"},
}
KIND_SIGNS: dict[str, dict[str, tuple[str, str]]] = {
    "battery": {"power_w": BATTERY_SIGNS, "current_a": BATTERY_SIGNS},
    "bess": {"power_w": BATTERY_SIGNS},
}
#: Unit suffixes of READINGS.md, longest first, for keys this module does not list (a family's details).
SUFFIXES = (("_kwh", "kWh", 1, "energy"), ("_pct", "%", 0, "number"), ("_var", "var", 0, "number"),
            ("_va", "VA", 0, "number"), ("_hz", "Hz", 2, "number"), ("_ah", "Ah", 1, "number"),
            ("_ms", "ms", 0, "number"), ("_w", "W", 0, "power"), ("_v", "V", 2, "number"),
            ("_a", "A", 1, "number"), ("_c", "°C", 1, "number"), ("_s", "s", 0, "number"))
_ACRONYMS = {"pv": "PV", "soc": "SOC", "soh": "SOH", "dc": "DC", "ac": "AC", "mos": "MOSFET", "bms": "BMS",
             "id": "id", "mppt": "MPPT", "temp": "temperature"}


def humanize(key: str) -> str:
    """'dc_transformer_temp' -> 'DC transformer temperature': a label for a key no term lists."""
    words = [w for w in re.split(r"[_\s.]+", str(key)) if w]
    if not words:
        return ""
    out = [_ACRONYMS.get(w.lower(), w.lower()) for w in words]
    first = out[0]
    out[0] = first if first.isupper() else first[:1].upper() + first[1:]
    return " ".join(out)


def term(key: str, kind: str | None = None) -> Term:
    """The term of a key, for a device kind (battery, inverter, meter, bess); derived from its suffix if unknown."""
    found = TERMS.get(key)
    if found is None:
        found = Term(key, humanize(key), kind="text")
        for suffix, unit, digits, family in SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                found = Term(key, humanize(key[: -len(suffix)]), unit, digits, family)
                break
    label = KIND_LABELS.get(kind or "", {}).get(key)
    signs = KIND_SIGNS.get(kind or "", {}).get(key)
    if label or signs:
        found = Term(found.key, label or found.label, found.unit, found.digits, found.kind,
                     signs or found.signs, found.words, found.empty, found.factor)
    return found


def label(key: str, kind: str | None = None) -> str:
    """The label of a key."""
    return term(key, kind).label


def label_with_unit(key: str, kind: str | None = None, unit: str | None = None) -> str:
    """'Solar (kWh)': the label with its unit, for column headers and chart axes."""
    found = term(key, kind)
    shown = found.unit if unit is None else unit
    return f"{found.label} ({shown})" if shown else found.label


def number(value: object, digits: int = 0, unit: str = "") -> str:
    """'3 200 W', '52.4 V': fixed decimals, a thin space between thousands; '—' for none."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return DASH
    text = f"{value:,.{digits}f}".replace(",", THIN_SPACE)
    if text.startswith("-") and float(text.replace(THIN_SPACE, "")) == 0:
        text = text[1:]  # no "-0.0"
    return f"{text} {unit}".strip()


def power(value: object) -> str:
    """'850 W' below 1 kW, '2.3 kW' above."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return DASH
    if abs(value) >= 1000:
        return number(value / 1000, 1, "kW")
    return number(value, 0, "W")


def direction(key: str, value: object, kind: str | None = None) -> str:
    """The word for a signed value's direction ('exporting'), or '' when the key has none or it is ~0."""
    signs = term(key, kind).signs
    if signs is None or not isinstance(value, (int, float)) or isinstance(value, bool):
        return ""
    if abs(value) < 1:
        return "idle"
    return signs[0] if value > 0 else signs[1]


def _scalar(found: Term, value: object) -> str:
    if value is None:
        return DASH
    if isinstance(value, bool):
        return found.words[0] if value else found.words[1]
    if isinstance(value, (int, float)):
        if found.kind == "power" or found.unit == "W":
            return power(abs(value) if found.signs else value)
        shown = abs(value) if found.signs else value
        return number(shown * found.factor, found.digits, found.unit)
    if isinstance(value, str):
        return humanize(value).lower() if re.fullmatch(r"[a-z0-9_]+", value) and "_" in value else value
    return str(value)


def format_value(key: str, value: object, kind: str | None = None) -> str:
    """A value as text: '52.4 V', 'charging 1.1 kW', 'balancing', 'no alarms', '—'. Never a Python literal."""
    found = term(key, kind)
    if isinstance(value, (list, tuple)):
        items = [v for v in value if v is not None]
        if not items:
            return found.empty
        if found.kind == "units":
            return f"{len(items)} units"
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items):
            return " · ".join(number(v, found.digits, "") for v in items) + (f" {found.unit}" if found.unit else "")
        return ", ".join(_scalar(Term(key, found.label, kind="text"), v) if not isinstance(v, dict)
                         else ", ".join(f"{humanize(k)} {format_value(k, x)}" for k, x in v.items()) for v in items)
    if isinstance(value, dict):
        parts = [f"{label(k, kind)} {format_value(k, v, kind)}" for k, v in value.items() if v not in (None, [], {})]
        return "; ".join(parts) if parts else DASH
    text = _scalar(found, value)
    word = direction(key, value, kind) if found.signs else ""
    return f"{word} {text}" if word and word != "idle" else ("idle" if word == "idle" else text)


def facts(values: Mapping[str, object], kind: str | None = None, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(label, text) pairs of a reading's values for a page, in the vocabulary's order, nested dicts flattened one
    level, empties left out."""
    out: list[tuple[str, str]] = []
    # The vocabulary's order (powers first, lifetime counters later), not the order of a device's registers.
    order = {key: i for i, key in enumerate(TERMS)}
    for key, value in sorted(values.items(), key=lambda kv: order.get(kv[0], len(order))):
        if key in skip or value is None or value == {} or (value == [] and not term(key, kind).empty):
            continue
        if isinstance(value, dict):
            for sub, inner in value.items():
                if inner is None or inner == [] or inner == {}:
                    continue
                out.append((f"{label(key, kind)} · {label(sub, kind)}", format_value(sub, inner, kind)))
            continue
        out.append((label(key, kind), format_value(key, value, kind)))
    return out
