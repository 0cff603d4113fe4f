"""The control page's form: a program's settings as fields, the owner's entries back into program changes, and
a planned change in words. Driven by the settings the control service describes, so a new family needs no page."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from appliance import vocabulary
from appliance.control.program import SettingView
from appliance.drivers.modbus.settings_edit import WriteJson
from appliance.jsontypes import Json, JsonObject, JsonValue, as_list, as_object

DAY_LABELS = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}
CHOICE_LABELS = {"selling_first": "Selling first (export allowed)", "zero_export_to_load": "Zero export to load",
                 "zero_export_to_ct": "Zero export to the CT"}
HELP = {"work_mode": "Selling first lets the battery and solar export; zero export keeps everything in the home.",
        "export_limit_w": "The most the inverter may send to the grid (set by your grid operator's rules).",
        "tou_enabled": "Time of use: the six slots below decide when the battery may discharge or charge from the grid.",
        "grid_charge": "Allows the slots marked grid charge to charge the battery from the grid."}
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True)
class Field:
    """One form field: the setting, its input name, what it shows now."""

    name: str  # the input's name: the setting, or `slots.<n>.<setting>`
    setting: SettingView
    value: JsonValue


def choice_text(value: object) -> str:
    """A setting's choice as people read it."""
    if isinstance(value, str):
        return CHOICE_LABELS.get(value) or DAY_LABELS.get(value) or vocabulary.humanize(value).lower()
    return vocabulary.DASH if value is None else str(value)


def value_text(setting: SettingView, value: object) -> str:
    """A setting's value in words: '8 000 W', 'on', 'Mon, Tue', 'selling first (export allowed)'."""
    if value is None:
        return vocabulary.DASH
    kind = setting["type"]
    if kind in ("bool", "bit"):
        return "on" if value else "off"
    if kind == "days":
        return ", ".join(DAY_LABELS.get(str(d), str(d)) for d in as_list(value)) if value else "no day"
    if kind == "enum":
        return choice_text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        step = float(setting["step"] or 1)
        digits = 0 if step >= 1 or float(value).is_integer() else len(f"{step:g}".split(".")[-1])
        return vocabulary.number(value, digits, setting["unit"] or "")
    return str(value)


def fields(settings: list[SettingView], program: JsonObject) -> tuple[list[Field], list[list[Field]]]:
    """The scalar fields and one row of slot fields per TOU slot, with what the device holds now."""
    scalars = [Field(s["name"], s, program.get(s["name"])) for s in settings if not s["slot"]]
    slot_settings = [s for s in settings if s["slot"]]
    slots = [as_object(slot) for slot in as_list(program.get("slots"))]
    rows = [[Field(f"slots.{slot['slot']}.{s['name']}", s, slot.get(s["name"])) for s in slot_settings]
            for slot in slots]
    return scalars, rows


def _parse(setting: SettingView, form: MultiDict[str, str], name: str) -> JsonValue:
    """A field's entry as the setting's value; ValueError says what is wrong."""
    kind = setting["type"]
    if kind in ("bool", "bit"):
        return "on" in form.getlist(name)
    if kind == "days":
        return [d for d in DAY_LABELS if d in form.getlist(name)]
    raw = (form.get(name) or "").strip()
    if kind == "enum":
        if raw not in (setting["choices"] or []):
            raise ValueError("choose one of the options")
        return raw
    if kind == "hhmm":
        if not _TIME.match(raw):
            raise ValueError("enter a time such as 05:30")
        return raw
    try:
        number = float(raw.replace(",", ".").replace(vocabulary.THIN_SPACE, "").replace(" ", ""))
    except ValueError:
        raise ValueError(f"enter a number{' of ' + setting['unit'] if setting['unit'] else ''}") from None
    if not math.isfinite(number):
        raise ValueError("enter a number")
    return int(number) if number.is_integer() else number


def changes_from(form: MultiDict[str, str], settings: list[SettingView], program: JsonObject
                 ) -> tuple[Json, dict[str, str]]:
    """The settings the owner changed (only those differing from the device), and errors by field name."""
    scalars, rows = fields(settings, program)
    changes: Json = {}
    errors: dict[str, str] = {}
    for field in scalars:
        if field.setting["read_only"]:
            continue
        try:
            value = _parse(field.setting, form, field.name)
        except ValueError as exc:
            errors[field.name] = str(exc)
            continue
        if value != field.value:
            changes[field.name] = value
    slots: list[Json] = []
    for number, row in enumerate(rows, start=1):
        entry: Json = {}
        for field in row:
            try:
                value = _parse(field.setting, form, field.name)
            except ValueError as exc:
                errors[field.name] = str(exc)
                continue
            if value != field.value:
                entry[field.setting["name"]] = value
        if entry:
            slots.append({"slot": number, **entry})
    if slots:
        changes["slots"] = slots
    return changes, errors


def error_field(field: str | None) -> str:
    """The form field a service error names (`slots[2].start` is the input `slots.2.start`)."""
    match = re.match(r"^slots\[(\d+)\]\.(\w+)$", field or "")
    return f"slots.{match.group(1)}.{match.group(2)}" if match else (field or "")


def differences(settings: list[SettingView], before: JsonObject, after: JsonObject) -> list[tuple[str, str, str]]:
    """(what, from, to) for every setting a planned change alters, in words."""
    out = []
    for setting in settings:
        if setting["slot"]:
            continue
        old, new = before.get(setting["name"]), after.get(setting["name"])
        if old != new:
            out.append((setting["label"], value_text(setting, old), value_text(setting, new)))
    slot_settings = [s for s in settings if s["slot"]]
    for old_slot, new_slot in zip(map(as_object, as_list(before.get("slots"))),
                                  map(as_object, as_list(after.get("slots")))):
        for setting in slot_settings:
            old, new = old_slot.get(setting["name"]), new_slot.get(setting["name"])
            if old != new:
                out.append((f"Slot {new_slot['slot']} · {setting['label'].lower()}", value_text(setting, old),
                            value_text(setting, new)))
    return out


def write_lines(writes: list[WriteJson]) -> list[str]:
    """Each register write as an installer reads it: 'FC16 at register 142: 2 → 0'."""
    lines = []
    for write in writes:
        span = (f"register {write['address']}" if write["count"] == 1
                else f"registers {write['address']}–{write['address'] + write['count'] - 1}")
        before = " ".join(str(v) for v in write.get("before", []))
        after = " ".join(str(v) for v in write["values"])
        lines.append(f"FC{write['function']} at {span}: {before} → {after}")
    return lines
