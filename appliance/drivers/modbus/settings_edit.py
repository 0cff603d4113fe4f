"""Changes to a settings program: validated, clamped to the model's limits, encoded onto the registers read now
(bits a change does not own are kept), and planned as FC16 writes of the changed registers only."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping, NotRequired, TypedDict

from appliance.drivers.modbus.settings import DAYS, Setting, SettingsMap, decode_program
from appliance.errors import ValidationError
from appliance.jsontypes import Json, JsonObject, as_list, as_object

MAX_WRITE = 123  # registers per FC16 request (Modbus application protocol 1.1b3, 6.12)
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


class WriteJson(TypedDict):
    """A register write as dry runs, the audit log and the API show it (`before`: what the registers held)."""

    function: int
    address: int
    count: int
    values: list[int]
    before: NotRequired[list[int]]
    settings: list[str]


class ClampJson(TypedDict):
    """A clamp as the API shows it."""

    setting: str
    requested: float
    applied: float
    limit: str


class Mismatch(TypedDict):
    """A register that reads back other than written."""

    address: int
    written: int
    read_back: int | None


@dataclass(frozen=True)
class Write:
    """One FC16 request: words from `address`, what they were before, and the settings they change."""

    address: int
    values: tuple[int, ...]
    before: tuple[int, ...]
    settings: tuple[str, ...]

    def to_json(self) -> WriteJson:
        """The write as dry runs and the audit log show it."""
        return {"function": 16, "address": self.address, "count": len(self.values), "values": list(self.values),
                "before": list(self.before), "settings": list(self.settings)}


@dataclass(frozen=True)
class Clamp:
    """A requested value the model's limits changed."""

    setting: str
    requested: float
    applied: float
    limit: str

    def to_json(self) -> ClampJson:
        """The clamp as the API shows it."""
        return {"setting": self.setting, "requested": self.requested, "applied": self.applied, "limit": self.limit}


def _bound(smap: SettingsMap, program: JsonObject, bound: float | str | None) -> tuple[float | None, str]:
    if bound is None or not isinstance(bound, str):
        return bound, "" if bound is None else f"{bound:g}"
    value = program.get(bound)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value), f"{smap.setting(bound).label.lower()} {value:g}"
    return None, ""


def _number_value(smap: SettingsMap, item: Setting, where: str, value: object, program: JsonObject,
                  clamps: list[Clamp]) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(f"{where} must be a number{f' of {item.unit}' if item.unit else ''}", field=where)
    low, low_text = _bound(smap, program, item.minimum)
    high, high_text = _bound(smap, program, item.maximum)
    type_max = 0xFFFF * item.scale
    applied = float(value)
    limit = ""
    if low is not None and applied < low:
        applied, limit = low, f"minimum {low_text}"
    if applied < 0:
        applied, limit = 0.0, "minimum 0"
    if high is not None and applied > high:
        applied, limit = high, f"maximum {high_text}"
    if applied > type_max:
        applied, limit = type_max, f"register maximum {type_max:g}"
    if limit:
        clamps.append(Clamp(where, float(value), applied, limit))
    return applied


def _encode(smap: SettingsMap, item: Setting, where: str, value: object, word: int, program: JsonObject,
            clamps: list[Clamp]) -> int:
    """The register word with the setting's part replaced by `value` (other bits kept)."""
    if item.type == "u16":
        return min(0xFFFF, max(0, round(_number_value(smap, item, where, value, program, clamps) / item.scale)))
    if item.type in ("bool", "bit"):
        if not isinstance(value, bool):
            raise ValidationError(f"{where} must be true or false", field=where)
        if item.type == "bool":
            return int(value)
        return (word & ~(1 << (item.bit or 0))) | (int(value) << (item.bit or 0))
    if item.type == "days":
        if not isinstance(value, list) or not all(isinstance(d, str) and d in DAYS for d in value):
            raise ValidationError(f"{where} must be a list of days ({', '.join(DAYS)})", field=where)
        bits = [b for b in range(16) if (item.mask or 0) >> b & 1]
        chosen = 0
        for day, b in zip(DAYS, bits):
            if day in value:
                chosen |= 1 << b
        return (word & ~(item.mask or 0)) | chosen
    if item.type == "enum":
        codes = {name: code for code, name in item.enum.items()}
        code = codes.get(value) if isinstance(value, str) else None
        if code is None:
            raise ValidationError(f"{where} must be one of {', '.join(codes)}", field=where)
        return code
    match = _TIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValidationError(f"{where} must be a time HH:MM from 00:00 to 23:59", field=where)
    return int(match.group(1)) * 100 + int(match.group(2))


def _slot_changes(smap: SettingsMap, value: object) -> dict[int, Json]:
    """Slot changes by slot index (0-based): a list of objects, each naming its `slot` or taken in order."""
    if not smap.slots:
        raise ValidationError("this device has no time-of-use slots", field="slots")
    if not isinstance(value, list) or len(value) > smap.slots:
        raise ValidationError(f"slots must be a list of at most {smap.slots} objects", field="slots")
    out: dict[int, Json] = {}
    for position, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            raise ValidationError(f"slots[{position}] must be an object", field="slots")
        number = entry.get("slot", position + 1)
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= smap.slots:
            raise ValidationError(f"slots[{position}].slot must be 1 to {smap.slots}", field="slots")
        if number - 1 in out:
            raise ValidationError(f"slot {number} is given twice", field="slots")
        out[number - 1] = {k: v for k, v in entry.items() if k != "slot"}
    return out


def apply_changes(smap: SettingsMap, registers: Mapping[int, int], changes: object
                  ) -> tuple[dict[int, int], tuple[Clamp, ...]]:
    """The register image after `changes` (validated, clamped), and the clamps made; nothing is written here."""
    if not isinstance(changes, Mapping):
        raise ValidationError("the changes must be an object of settings", field=None)
    missing = sorted(a for a in smap.addresses if a not in registers)
    if missing:
        raise ValidationError(f"the settings registers were not all read (missing {missing[0]})", field=None)
    target = dict(registers)
    program = decode_program(smap, registers)
    clamps: list[Clamp] = []
    by_name = {s.name: s for s in smap.settings if not s.slot}
    slot_items = {s.name: s for s in smap.settings if s.slot}
    for key, value in changes.items():
        if key == "slots":
            continue
        item = by_name.get(key)
        if item is None:
            raise ValidationError(f"unknown setting {key!r}", field=str(key))
        if item.read_only:
            raise ValidationError(f"{key} is read-only", field=key)
        target[item.address] = _encode(smap, item, key, value, target[item.address], program, clamps)
        program = decode_program(smap, target)
    if "slots" in changes:
        for index, entry in sorted(_slot_changes(smap, changes["slots"]).items()):
            for key, value in entry.items():
                item = slot_items.get(key)
                if item is None:
                    raise ValidationError(f"unknown slot setting {key!r}", field=f"slots[{index}].{key}")
                address = item.address + index
                target[address] = _encode(smap, item, f"slots[{index + 1}].{key}", value, target[address], program,
                                          clamps)
        _check_times(smap, decode_program(smap, target))
    return target, tuple(clamps)


def _check_times(smap: SettingsMap, program: JsonObject) -> None:
    """Each slot starts where the one before ends: start times must not go backwards (the inverter's rule)."""
    starts = [as_object(slot).get("start") for slot in as_list(program.get("slots"))]
    known = [s for s in starts if isinstance(s, str)]
    if known != sorted(known):
        raise ValidationError(f"slot start times must be in order through the day: {', '.join(known)}",
                              field="slots")


def plan_writes(smap: SettingsMap, current: Mapping[int, int], target: Mapping[int, int]) -> tuple[Write, ...]:
    """FC16 writes of the changed registers only: each run of neighbouring changed registers is one request."""
    changed = sorted(a for a in smap.addresses if target.get(a) != current.get(a))
    runs: list[list[int]] = []
    for address in changed:
        if runs and address == runs[-1][-1] + 1 and len(runs[-1]) < MAX_WRITE:
            runs[-1].append(address)
        else:
            runs.append([address])
    writes = []
    for run in runs:
        names = tuple(dict.fromkeys(s.name for s in smap.settings for a in run if a in s.addresses))
        writes.append(Write(address=run[0], values=tuple(target[a] for a in run),
                            before=tuple(current[a] for a in run), settings=names))
    return tuple(writes)


def settings_registers(smap: SettingsMap, registers: Mapping[int, int]) -> dict[int, int]:
    """Only the registers the map's settings own (what a snapshot keeps)."""
    return {a: registers[a] for a in sorted(smap.addresses) if a in registers}


def mismatches(writes: tuple[Write, ...], read_back: Mapping[int, int]) -> list[Mismatch]:
    """Every written register whose read-back differs from what was written."""
    out: list[Mismatch] = []
    for write in writes:
        for i, value in enumerate(write.values):
            back = read_back.get(write.address + i)
            if back != value:
                out.append({"address": write.address + i, "written": value, "read_back": back})
    return out
