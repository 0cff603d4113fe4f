"""Register maps as data: the YAML schema, its validation and the loader."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import yaml

from appliance import safe_yaml
from appliance.errors import ValidationError

MAPS_DIR = Path(__file__).with_name("maps")
TYPES = {"u16": 1, "s16": 1, "u32": 2, "s32": 2, "float32": 2, "ascii": 0, "bits": 1, "enum": 1}
WORD_ORDERS = ("lw_first", "hw_first")
KINDS = ("holding", "input")
MAX_BLOCK = 125  # the Modbus limit for one FC03/FC04 request

#: The core names of READINGS.md per reading kind; anything else must go under `details.`.
VOCABULARY: dict[str, frozenset[str]] = {
    "inverter": frozenset("""pv_power_w pv_powers_w pv_voltages_v pv_currents_a load_power_w grid_power_w
        battery_power_w battery_voltage_v battery_current_a battery_soc_pct battery_temperature_c
        inverter_temperature_c grid_voltage_v grid_frequency_hz state work_mode pv_energy_total_kwh
        load_energy_total_kwh grid_import_total_kwh grid_export_total_kwh battery_charge_total_kwh
        battery_discharge_total_kwh pv_energy_today_kwh load_energy_today_kwh grid_import_today_kwh
        grid_export_today_kwh battery_charge_today_kwh battery_discharge_today_kwh alarms""".split()),
    "meter": frozenset("""power_w powers_w voltage_v voltages_v current_a currents_a frequency_hz power_factor
        reactive_power_var apparent_power_va import_energy_kwh export_energy_kwh alarms""".split()),
    "bess": frozenset("""soe_pct power_w target_power_w command_source available_blocks status voltage_v
        current_a soc_pct soh_pct temperature_c alarms""".split()),
}
IDENTITY_NAMES = frozenset({"serial_number", "model", "device_type", "protocol_version", "rated_power_w"})
_NAME = re.compile(r"^(details\.)?[a-z][a-z0-9_]*(\[(\d{1,2})\])?$")


@dataclass(frozen=True)
class Field:
    """One named value in a register map and how its registers encode it."""

    name: str
    address: int
    type: str
    kind: str = "holding"
    word_order: str = "hw_first"
    scale: float = 1
    offset: float = 0
    unit: str | None = None
    length: int = 0
    high_address: int | None = None
    enum: Mapping[int, str] = field(default_factory=dict)
    bit: int | None = None
    alarm: str | None = None
    verified: bool = True
    note: str | None = None
    absent: tuple[int, ...] = ()  # raw values that mean "not installed" (the value is left out, not decoded)

    @property
    def words(self) -> int:
        """How many consecutive registers the value occupies from `address`."""
        if self.type == "ascii":
            return self.length
        return 1 if self.high_address is not None else TYPES[self.type]

    @property
    def addresses(self) -> tuple[int, ...]:
        """Every register the value needs (a split 32-bit value adds its distant high word)."""
        own = tuple(range(self.address, self.address + self.words))
        return own + ((self.high_address,) if self.high_address is not None else ())

    @property
    def key(self) -> str:
        """The name without `details.` and without a list index."""
        return self.name.removeprefix("details.").split("[")[0]

    @property
    def in_details(self) -> bool:
        """Whether the value goes under `details` rather than the core values."""
        return self.name.startswith("details.")

    @property
    def index(self) -> int | None:
        """The list position for names like `pv_powers_w[1]`, else None."""
        match = _NAME.match(self.name)
        return int(match.group(3)) if match and match.group(3) is not None else None


@dataclass(frozen=True)
class RegisterMap:
    """A device family's register map: fields to read, identity fields and block rules."""

    name: str
    reading_kind: str
    fields: tuple[Field, ...]
    identity: tuple[Field, ...] = ()
    max_block: int = MAX_BLOCK
    max_gap: int | None = None
    sums: Mapping[str, str] = field(default_factory=dict)
    means: Mapping[str, str] = field(default_factory=dict)
    products: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    description: str = ""
    source: str = ""

    def field(self, name: str) -> Field:
        """The field called `name` (ValidationError if the map has none)."""
        for item in self.fields + self.identity:
            if item.name == name:
                return item
        raise ValidationError(f"map {self.name} has no field {name!r}", field=name)


def _fail(where: str, message: str) -> ValidationError:
    return ValidationError(f"{where}: {message}")


def _int(where: str, key: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(where, f"{key} must be an integer from {low} to {high}, not {value!r}")
    return value


def _parse_field(where: str, raw: object, defaults: Mapping[str, object], kind_vocab: frozenset[str],
                 identity: bool) -> Field:
    if not isinstance(raw, dict):
        raise _fail(where, "a field must be a mapping")
    known = {"name", "address", "type", "kind", "word_order", "scale", "offset", "unit", "length",
             "high_address", "enum", "bit", "alarm", "verified", "note", "absent"}
    if unknown := set(raw) - known:
        raise _fail(where, f"unknown keys {sorted(unknown)}")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(where, f"name {name!r} must be snake_case, optionally details.-prefixed and [i]-indexed")
    where = f"{where} ({name})"
    ftype = raw.get("type")
    if ftype not in TYPES:
        raise _fail(where, f"type {ftype!r} is not one of {', '.join(TYPES)}")
    base = name.split("[")[0]
    if identity:
        if base not in IDENTITY_NAMES and not name.startswith("details."):
            raise _fail(where, f"identity names are {', '.join(sorted(IDENTITY_NAMES))} or details.*")
    elif not name.startswith("details.") and base not in kind_vocab:
        raise _fail(where, f"{base!r} is not a core name of this reading kind; put it under details.")
    item = {**{k: v for k, v in defaults.items() if k in ("kind", "word_order")}, **raw}
    kind = item.get("kind", "holding")
    if kind not in KINDS:
        raise _fail(where, f"kind {kind!r} must be holding or input")
    order = item.get("word_order", "hw_first")
    if order not in WORD_ORDERS:
        raise _fail(where, f"word_order {order!r} must be lw_first or hw_first")
    scale, offset = item.get("scale", 1), item.get("offset", 0)
    for key, value in (("scale", scale), ("offset", offset)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(where, f"{key} must be a number, not {value!r}")
    if scale == 0:
        raise _fail(where, "scale must not be 0")
    length = _int(where, "length", item.get("length", 0), 0, 125)
    if (ftype == "ascii") != (length > 0):
        raise _fail(where, "length (registers) is required for ascii and only for ascii")
    enum = item.get("enum") or {}
    if ftype == "enum" and not enum:
        raise _fail(where, "an enum field needs an enum table")
    if enum and (ftype not in ("enum", "bits") or not all(isinstance(k, int) and isinstance(v, str)
                                                          for k, v in enum.items())):
        raise _fail(where, "enum tables map integers to names and belong to enum or bits fields")
    bit = item.get("bit")
    if bit is not None:
        if ftype != "bits":
            raise _fail(where, "bit belongs to bits fields only")
        bit = _int(where, "bit", bit, 0, 15)
    high = item.get("high_address")
    if high is not None and ftype not in ("u32", "s32"):
        raise _fail(where, "high_address belongs to u32/s32 fields only")
    absent = item.get("absent") or []
    if not isinstance(absent, list) or (absent and ftype in ("ascii", "float32")) or not all(
            isinstance(raw, int) and not isinstance(raw, bool) for raw in absent):
        raise _fail(where, "absent lists the raw integers that mean 'not installed' (not for ascii or float32)")
    return Field(name=name, address=_int(where, "address", item.get("address"), 0, 65535), type=ftype,
                 kind=kind, word_order=order, scale=scale, offset=offset, unit=item.get("unit"),
                 length=length, high_address=None if high is None else _int(where, "high_address", high, 0, 65535),
                 enum=dict(enum), bit=bit, alarm=item.get("alarm"), verified=bool(item.get("verified", True)),
                 note=item.get("note"), absent=tuple(absent))


def _check_overlaps(name: str, fields: tuple[Field, ...]) -> None:
    # Aliases (same span, e.g. L1 voltage as core value and list element) are fine; partial overlaps are typos.
    seen: dict[tuple[str, int], tuple[str, tuple[int, ...]]] = {}
    for item in fields:
        for address in item.addresses:
            other, span = seen.setdefault((item.kind, address), (item.name, item.addresses))
            if span != item.addresses:
                raise ValidationError(f"map {name}: {item.name} and {other} overlap at register {address}")


def _table(where: str, data: Mapping[str, object], key: str) -> dict[str, str]:
    table = data.get(key) or {}
    if not isinstance(table, dict):
        raise _fail(where, f"{key} must map a target name to its source")
    return table


def parse_map(data: object, name: str) -> RegisterMap:
    """Validate a map document (already YAML-parsed) and build its RegisterMap."""
    where = f"map {name}"
    if not isinstance(data, Mapping):
        raise _fail(where, "the document must be a mapping")
    kind = data.get("reading_kind")
    if kind not in VOCABULARY:
        raise _fail(where, f"reading_kind {kind!r} must be one of {', '.join(VOCABULARY)}")
    defaults = {"kind": data.get("kind", "holding"), "word_order": data.get("word_order", "hw_first")}
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise _fail(where, "fields must be a non-empty list")
    fields = tuple(_parse_field(f"{where} field {i}", raw, defaults, VOCABULARY[kind], False)
                   for i, raw in enumerate(raw_fields))
    identity = tuple(_parse_field(f"{where} identity {i}", raw, defaults, VOCABULARY[kind], True)
                     for i, raw in enumerate(data.get("identity") or []))
    names = [item.name for item in fields]
    if len(set(names)) != len(names):
        raise _fail(where, "field names must be unique")
    _check_overlaps(name, fields)
    max_block = _int(where, "max_block", data.get("max_block", MAX_BLOCK), 1, MAX_BLOCK)
    gap = data.get("max_gap")
    sums, means = _table(where, data, "sums"), _table(where, data, "means")
    products = {target: (src[0], src[1]) for target, src in _table(where, data, "products").items()}
    return RegisterMap(name=name, reading_kind=kind, fields=fields, identity=identity, max_block=max_block,
                       max_gap=None if gap is None else _int(where, "max_gap", gap, 0, MAX_BLOCK),
                       sums=sums, means=means, products=products,
                       description=str(data.get("description", "")), source=str(data.get("source", "")))


def merge_variant(where: str, data: dict[str, object], base: Mapping[str, object],
                  sections: tuple[str, ...]) -> dict[str, object]:
    """A variant document over its base: top-level keys replaced, and each `overrides` entry (by name)
    merged into the base's entry of that name in `sections`."""
    merged = {**base, **{k: v for k, v in data.items() if k != "overrides"}}
    overrides = data.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise _fail(where, "overrides must map names to changes")
    for section in sections:
        entries = merged.get(section) or []
        if not isinstance(entries, list):
            raise _fail(where, f"{section} must be a list")
        merged[section] = [{**item, **overrides.get(item.get("name"), {})} if isinstance(item, dict) else item
                           for item in entries]
    return merged


def _document(name: str) -> dict[str, object]:
    path = MAPS_DIR / f"{name}.yaml"
    try:
        data = safe_yaml.load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(f"no register map {name!r} in {MAPS_DIR}") from None
    except yaml.YAMLError as exc:
        raise ValidationError(f"map {name}: YAML error: {exc}") from exc
    if not isinstance(data, dict):
        raise ValidationError(f"map {name}: the document must be a mapping")
    base = data.pop("extends", None)
    if base is None:
        return data
    # A variant map (e.g. the HV profile) restates only what differs from its base.
    return merge_variant(f"map {name}", data, _document(str(base)), ("fields", "identity"))


@functools.lru_cache(maxsize=None)
def load_map(name: str) -> RegisterMap:
    """Load and validate `maps/<name>.yaml` (cached; ValidationError names what is wrong)."""
    return parse_map(_document(name), name)


def map_names() -> tuple[str, ...]:
    """Every map shipped in the maps directory."""
    return tuple(sorted(path.stem for path in MAPS_DIR.glob("*.yaml")))
