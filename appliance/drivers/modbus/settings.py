"""Writable settings as data: a family's settings map (YAML) and the program its registers hold
(changes to it: settings_edit.py).

A settings map lists each setting's register, encoding, limits and the public source of its address. The
program is what the UI and API show; a change is checked against the map and turned into register words,
keeping every bit of a shared register that the change does not own.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Mapping

import yaml

from appliance import safe_yaml
from appliance.drivers.modbus.codec import join32
from appliance.drivers.modbus.regmap import MAPS_DIR, merge_variant
from appliance.errors import ValidationError
from appliance.jsontypes import Json, JsonValue

SETTINGS_DIR = MAPS_DIR / "settings"
TYPES = ("u16", "u32", "bool", "bit", "days", "enum", "hhmm")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_GAP = 32  # a read spans up to this many unused registers rather than asking twice (Deye answers them)
_KEYS = {"name", "address", "high_address", "type", "count", "scale", "unit", "min", "max", "enum", "bit",
         "mask", "read_only", "slot", "label", "source", "note"}


@dataclass(frozen=True)
class Setting:
    """One setting: its register(s), encoding, limits and where its address comes from."""

    name: str
    address: int
    type: str
    label: str
    source: str
    count: int = 1  # a per-slot setting: one register per TOU slot from `address`
    scale: float = 1
    unit: str | None = None
    minimum: float | str | None = None  # a number, or the name of the setting whose value bounds this one
    maximum: float | str | None = None
    enum: Mapping[int, str] = field(default_factory=dict)
    bit: int | None = None
    mask: int | None = None
    high_address: int | None = None
    read_only: bool = False
    slot: bool = False  # part of the `slots` list of the program (the TOU slots)
    note: str | None = None

    @property
    def addresses(self) -> tuple[int, ...]:
        """Every register the setting reads or writes."""
        own = tuple(range(self.address, self.address + self.count))
        return own + ((self.high_address,) if self.high_address is not None else ())


@dataclass(frozen=True)
class SettingsMap:
    """A device family's writable settings."""

    name: str
    description: str
    settings: tuple[Setting, ...]
    word_order: str = "lw_first"
    slots: int = 0

    def setting(self, name: str, *, slot: bool = False) -> Setting:
        """The scalar (or, with `slot`, the per-slot) setting called `name` (ValidationError if none)."""
        for item in self.settings:
            if item.name == name and item.slot == slot:
                return item
        raise ValidationError(f"settings map {self.name} has no setting {name!r}", field=name)

    @property
    def blocks(self) -> tuple[tuple[int, int], ...]:
        """(address, count) reads that cover every setting: neighbours merged across small gaps."""
        spans: list[tuple[int, int]] = []
        for address in sorted({a for item in self.settings for a in item.addresses}):
            if spans and address - (spans[-1][0] + spans[-1][1]) <= MAX_GAP and address - spans[-1][0] < 125:
                spans[-1] = (spans[-1][0], address - spans[-1][0] + 1)
            else:
                spans.append((address, 1))
        return tuple(spans)

    @property
    def addresses(self) -> frozenset[int]:
        """Every register some setting owns a part of."""
        return frozenset(a for item in self.settings for a in item.addresses)


def _fail(where: str, message: str) -> ValidationError:
    return ValidationError(f"{where}: {message}")


def _number(where: str, key: str, value: object) -> float | str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, f"{key} must be a number or a setting name, not {value!r}")
    return value


def _parse(where: str, raw: object, slots: int) -> Setting:
    if not isinstance(raw, dict):
        raise _fail(where, "a setting must be a mapping")
    if unknown := set(raw) - _KEYS:
        raise _fail(where, f"unknown keys {sorted(unknown)}")
    name = raw.get("name")
    if not isinstance(name, str) or not re.match(r"^[a-z][a-z0-9_]*$", name):
        raise _fail(where, f"name {name!r} must be snake_case")
    where = f"{where} ({name})"
    kind = raw.get("type")
    if kind not in TYPES:
        raise _fail(where, f"type {kind!r} is not one of {', '.join(TYPES)}")
    for key in ("source", "label"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _fail(where, f"{key} is required: every address names the public source it comes from")
    address = raw.get("address")
    if isinstance(address, bool) or not isinstance(address, int) or not 0 <= address <= 0xFFFF:
        raise _fail(where, f"address must be a register address, not {address!r}")
    slot = bool(raw.get("slot", False))
    count = slots if slot else 1
    if slot and slots < 1:
        raise _fail(where, "a slot setting needs the map's `slots` count")
    scale = raw.get("scale", 1)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
        raise _fail(where, f"scale must be a positive number, not {scale!r}")
    enum = raw.get("enum") or {}
    if (kind == "enum") != bool(enum) or not all(isinstance(k, int) and isinstance(v, str) for k, v in enum.items()):
        raise _fail(where, "an enum setting (and only one) maps integers to names")
    bit = raw.get("bit")
    if (kind == "bit") != (bit is not None) or (bit is not None and not (isinstance(bit, int) and 0 <= bit <= 15)):
        raise _fail(where, "a bit setting (and only one) names its bit 0-15")
    mask = raw.get("mask")
    if (kind == "days") != (mask is not None) or (mask is not None and (not isinstance(mask, int)
                                                                        or bin(mask).count("1") != 7)):
        raise _fail(where, "a days setting (and only one) names the mask of its seven weekday bits")
    high = raw.get("high_address")
    if (kind == "u32") != (high is not None):
        raise _fail(where, "a u32 setting (and only one) names the address of its high word")
    if kind == "u32" and not raw.get("read_only"):
        raise _fail(where, "u32 settings are read-only here")
    return Setting(name=name, address=address, type=kind, label=raw["label"].strip(), source=raw["source"].strip(),
                   count=count, scale=scale, unit=raw.get("unit"), minimum=_number(where, "min", raw.get("min")),
                   maximum=_number(where, "max", raw.get("max")), enum=dict(enum), bit=bit, mask=mask,
                   high_address=high, read_only=bool(raw.get("read_only", False)), slot=slot, note=raw.get("note"))


def parse_settings(data: object, name: str) -> SettingsMap:
    """Validate a settings document (already YAML-parsed) and build its SettingsMap."""
    where = f"settings map {name}"
    if not isinstance(data, Mapping):
        raise _fail(where, "the document must be a mapping")
    slots = data.get("slots", 0)
    if isinstance(slots, bool) or not isinstance(slots, int) or not 0 <= slots <= 16:
        raise _fail(where, f"slots must be 0-16, not {slots!r}")
    raw = data.get("settings")
    if not isinstance(raw, list) or not raw:
        raise _fail(where, "settings must be a non-empty list")
    settings = tuple(_parse(f"{where} setting {i}", item, slots) for i, item in enumerate(raw))
    names = [s.name for s in settings if not s.slot]
    slot_names = [s.name for s in settings if s.slot]
    if len(set(names)) != len(names) or len(set(slot_names)) != len(slot_names):
        raise _fail(where, "setting names must be unique (among the scalars, and among the slot settings)")
    for item in settings:
        for bound in (item.minimum, item.maximum):
            if isinstance(bound, str) and bound not in names:
                raise _fail(where, f"{item.name} is bounded by {bound!r}, which is no setting")
    # Two settings may share a register only bit by bit (an enable bit and weekday bits, say).
    owners: dict[int, list[Setting]] = {}
    for item in settings:
        for address in item.addresses:
            owners.setdefault(address, []).append(item)
    for address, items in owners.items():
        if len(items) > 1 and (any(i.type not in ("bit", "days") for i in items)
                               or sum(_mask(i) for i in items) != _union(items)):
            raise _fail(where, f"{' and '.join(i.name for i in items)} overlap at register {address}")
    order = data.get("word_order", "lw_first")
    if order not in ("lw_first", "hw_first"):
        raise _fail(where, f"word_order {order!r} must be lw_first or hw_first")
    return SettingsMap(name=name, description=str(data.get("description", "")), settings=settings,
                       word_order=order, slots=slots)


def _union(items: list[Setting]) -> int:
    out = 0
    for item in items:
        out |= _mask(item)
    return out


def _mask(item: Setting) -> int:
    """The bits of its register a setting owns."""
    if item.type == "bit":
        return 1 << (item.bit or 0)
    if item.type == "days":
        return item.mask or 0
    return 0xFFFF


def _document(name: str) -> dict[str, object]:
    path = SETTINGS_DIR / f"{name}.yaml"
    try:
        data = safe_yaml.load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(f"no settings map {name!r} in {SETTINGS_DIR}") from None
    except yaml.YAMLError as exc:
        raise ValidationError(f"settings map {name}: YAML error: {exc}") from exc
    if not isinstance(data, dict):
        raise ValidationError(f"settings map {name}: the document must be a mapping")
    base = data.pop("extends", None)
    if base is None:
        return data
    # A variant (the HV profile) restates only the settings whose encoding differs, with their sources.
    return merge_variant(f"settings map {name}", data, _document(str(base)), ("settings",))


@functools.lru_cache(maxsize=None)
def load_settings(name: str) -> SettingsMap:
    """Load and validate `maps/settings/<name>.yaml` (cached)."""
    return parse_settings(_document(name), name)


def settings_names() -> tuple[str, ...]:
    """Every settings map shipped."""
    return tuple(sorted(path.stem for path in SETTINGS_DIR.glob("*.yaml")))


# ---------------------------------------------------------------- decoding


def _decode_one(item: Setting, word: int) -> JsonValue:
    if item.type == "u16":
        value = word * item.scale
        return int(value) if float(value).is_integer() else round(value, 6)
    if item.type == "bool":
        return word != 0
    if item.type == "bit":
        return bool(word >> (item.bit or 0) & 1)
    if item.type == "days":
        bits = [b for b in range(16) if (item.mask or 0) >> b & 1]
        return [day for day, b in zip(DAYS, bits) if word >> b & 1]
    if item.type == "enum":
        return item.enum.get(word, f"unknown_{word}")
    hours, minutes = divmod(word, 100)
    return f"{hours:02d}:{minutes:02d}" if hours <= 23 and minutes <= 59 else None


def decode_program(smap: SettingsMap, registers: Mapping[int, int]) -> Json:
    """The program the registers hold: scalar settings by name, and `slots` (one object per TOU slot)."""
    program: Json = {}
    slots: list[Json] = [{"slot": i + 1} for i in range(smap.slots)]
    for item in smap.settings:
        if any(a not in registers for a in item.addresses):
            continue
        if item.type == "u32":
            raw = join32(registers[item.address], registers[item.high_address or item.address + 1], smap.word_order)
            value = raw * item.scale
            program[item.name] = (int(value) if float(value).is_integer() else round(value, 3)) or None
        elif item.slot:
            for i in range(item.count):
                slots[i][item.name] = _decode_one(item, registers[item.address + i])
        else:
            program[item.name] = _decode_one(item, registers[item.address])
    if smap.slots:
        program["slots"] = slots
    return program
