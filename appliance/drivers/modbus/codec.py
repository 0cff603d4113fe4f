"""Pure register codecs: 16/32-bit words, floats, ASCII, and whole maps to values and back."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Mapping, TypeAlias, Union

from appliance.drivers.modbus.regmap import Field, RegisterMap
from appliance.errors import DecodeError, ValidationError
from appliance.jsontypes import Json, JsonObject, JsonValue, number

#: A field's value in its unit: a number, text, an enum name, a bit as bool, named bits as a list.
FieldValue: TypeAlias = Union[None, bool, int, float, str, list[str]]


def check_registers(registers: object) -> dict[int, int]:
    """Registers (from code, or JSON with text keys) as a clean int->int dict; DecodeError for anything that
    is not a 16-bit word."""
    if not isinstance(registers, Mapping):
        raise DecodeError(f"registers must map addresses to values, not {type(registers).__name__}")
    clean: dict[int, int] = {}
    for key, value in registers.items():
        try:
            address = int(key)
        except (TypeError, ValueError):
            raise DecodeError(f"register address {key!r} is not a number") from None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFF:
            raise DecodeError(f"register {address} holds {value!r}, not a 16-bit unsigned value")
        clean[address] = value
    return clean


def join32(first: int, second: int, word_order: str) -> int:
    """Two registers (lower address first) as an unsigned 32-bit value in the given word order."""
    high, low = (second, first) if word_order == "lw_first" else (first, second)
    return (high << 16) | low


def split32(value: int, word_order: str) -> tuple[int, int]:
    """An unsigned 32-bit value as two registers, lower address first."""
    high, low = (value >> 16) & 0xFFFF, value & 0xFFFF
    return (low, high) if word_order == "lw_first" else (high, low)


def signed(value: int, bits: int) -> int:
    """Two's-complement reading of an unsigned value."""
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


def decode_ascii(words: list[int]) -> str:
    """Registers holding two characters each, high byte first; NUL and space padding dropped."""
    raw = b"".join(word.to_bytes(2, "big") for word in words).replace(b"\x00", b" ").strip()
    if any(byte < 0x20 or byte > 0x7E for byte in raw):
        raise DecodeError(f"ASCII registers hold non-printable bytes: {raw!r}")
    return raw.decode("ascii")


def encode_ascii(text: str, length: int) -> list[int]:
    """Text as `length` registers, high byte first, NUL padded."""
    raw = text.encode("ascii")[: length * 2].ljust(length * 2, b"\x00")
    return [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]


def hhmm_decimal(raw: int) -> str:
    """Deye decimal HHMM time (1330 -> '13:30')."""
    hours, minutes = divmod(raw, 100)
    if hours > 23 or minutes > 59:
        raise DecodeError(f"{raw} is no decimal HHMM time")
    return f"{hours:02d}:{minutes:02d}"


def hhmm_packed(raw: int) -> str:
    """Senergy byte-packed time (H << 8 | M; 0x173B -> '23:59')."""
    hours, minutes = raw >> 8, raw & 0xFF
    if hours > 23 or minutes > 59:
        raise DecodeError(f"0x{raw:04X} is no byte-packed H:M time")
    return f"{hours:02d}:{minutes:02d}"


def float32_value(bits: int) -> float:
    """A float32's value as the shortest decimal that is the same float32 (0x42C7CCCD -> 99.9, 12345678.0).

    Rounding to a fixed 7 significant digits would turn the exact counter 12,345,678 into 12,345,680;
    the shortest round-trip form keeps every float32 exactly and drops only the double's conversion noise."""
    value = float(struct.unpack(">f", (bits & 0xFFFFFFFF).to_bytes(4, "big"))[0])
    if not math.isfinite(value):
        return value
    for digits in range(1, 10):  # 9 significant digits always round-trip a float32
        shortest = float(f"{value:.{digits}g}")
        if struct.pack(">f", shortest) == struct.pack(">f", value):
            return shortest
    return value


def decimals(scale: float) -> int:
    """Decimal places a scale carries (0.1 -> 1, 0.0003125 -> 7, 10 -> 0)."""
    exponent = Decimal(str(scale)).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def _words(item: Field, registers: Mapping[int, int]) -> list[int] | None:
    if any(address not in registers for address in item.addresses):
        return None
    return [registers[address] for address in item.addresses]


def raw_value(item: Field, registers: Mapping[int, int]) -> int | float | str | None:
    """The field's unscaled value, or None when a register it needs is missing."""
    words = _words(item, registers)
    if words is None:
        return None
    if item.type == "ascii":
        return decode_ascii(words)
    if item.type in ("u16", "enum", "bits"):
        return words[0]
    if item.type == "s16":
        return signed(words[0], 16)
    if item.high_address is not None:
        joined = (words[1] << 16) | words[0]  # the split form stores the low word at `address`
    else:
        joined = join32(words[0], words[1], item.word_order)
    if item.type == "float32":
        return float32_value(joined)
    return signed(joined, 32) if item.type == "s32" else joined


def scaled(item: Field, raw: int | float) -> int | float:
    """(raw - offset) * scale, rounded to the precision the scale carries."""
    value = (raw - item.offset) * item.scale
    if isinstance(value, float) and not math.isfinite(value):
        return value
    if float(item.scale).is_integer() and float(item.offset).is_integer() and item.type != "float32":
        return int(value)
    places = decimals(item.scale) + (decimals(item.offset) if item.offset else 0)
    return round(value, max(places, 6) if item.type == "float32" else places)


def decode_field(item: Field, registers: Mapping[int, int]) -> FieldValue:
    """One field's value in its unit (enum name, bool for one bit); None when registers are missing or the
    raw value is the field's "not installed" sentinel."""
    raw = raw_value(item, registers)
    if raw is None or isinstance(raw, str):
        return raw
    if raw in item.absent:
        return None
    if item.type == "enum":
        return item.enum.get(int(raw), f"unknown_{int(raw)}")
    if item.type == "bits":
        if item.bit is not None:
            return bool(int(raw) >> item.bit & 1)
        if item.enum:
            return [name for bit, name in sorted(item.enum.items()) if int(raw) >> bit & 1]
        return int(raw)
    return scaled(item, raw)


def _number(item: Field, value: object) -> float:
    if isinstance(value, (int, float, str)):
        try:
            return float(value)
        except ValueError:
            pass
    raise ValidationError(f"{item.name}: {value!r} is not a number")


def encode_field(item: Field, value: object) -> dict[int, int]:
    """Registers that decode back to `value` (the simulators' and writers' inverse of decode_field)."""
    if item.type == "ascii":
        return dict(zip(item.addresses, encode_ascii(str(value), item.length)))
    if item.type == "enum":
        reverse = {name: code for code, name in item.enum.items()}
        code = reverse.get(value) if isinstance(value, str) else None
        if code is None:
            raise ValidationError(f"{item.name}: {value!r} is not one of {sorted(reverse)}")
        return {item.address: code}
    if item.type == "bits":
        if item.bit is not None:
            return {item.address: int(bool(value)) << item.bit}
        return {item.address: int(_number(item, value)) & 0xFFFF}
    if item.type == "float32":
        joined = int.from_bytes(struct.pack(">f", _number(item, value) / item.scale + item.offset), "big")
        return dict(zip(item.addresses, split32(joined, item.word_order)))
    raw = round(_number(item, value) / item.scale + item.offset)
    bits = 16 if item.words == 1 and item.high_address is None else 32
    is_signed = item.type.startswith("s")
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if is_signed else (0, (1 << bits) - 1)
    if not low <= raw <= high:
        raise ValidationError(f"{item.name}: {value!r} does not fit a {item.type} register")
    raw &= (1 << bits) - 1
    if bits == 16:
        return {item.address: raw}
    if item.high_address is not None:
        return {item.address: raw & 0xFFFF, item.high_address: raw >> 16}
    return dict(zip(item.addresses, split32(raw, item.word_order)))


@dataclass(frozen=True)
class Decoded:
    """A map decoded: core values, details and the alarms raised on the way."""

    values: JsonObject
    details: JsonObject
    alarms: tuple[str, ...] = field(default_factory=tuple)


def _assemble(rmap: RegisterMap, registers: Mapping[int, int]) -> tuple[Json, Json, list[str]]:
    sections: dict[bool, Json] = {False: {}, True: {}}
    lists: dict[tuple[bool, str], dict[int, FieldValue]] = {}
    alarms: list[str] = []
    for item in rmap.fields:
        value = decode_field(item, registers)
        if value is None:
            continue
        if item.alarm and value:
            alarms.append(item.alarm)
        if item.index is None:
            sections[item.in_details][item.key] = value
        else:
            lists.setdefault((item.in_details, item.key), {})[item.index] = value
    for (in_details, key), by_index in lists.items():
        # Keep a list only as a gap-free prefix: a hole would silently shift later phases into wrong slots.
        if sorted(by_index) == list(range(len(by_index))):
            sections[in_details][key] = [by_index[i] for i in range(len(by_index))]
    return sections[False], sections[True], alarms


def _lookup(values: Json, details: Json, name: str) -> JsonValue:
    return details.get(name.removeprefix("details.")) if name.startswith("details.") else values.get(name)


def _numbers(value: JsonValue) -> list[float] | None:
    # A derived value is computed from a list of numbers only.
    if not isinstance(value, list):
        return None
    items = [number(item) for item in value]
    return [item for item in items if item is not None] if None not in items else None


def _store(values: Json, details: Json, name: str, value: JsonValue) -> None:
    if name.startswith("details."):
        details[name.removeprefix("details.")] = value
    else:
        values[name] = value


def _derive(rmap: RegisterMap, values: Json, details: Json) -> None:
    for target, source in rmap.sums.items():
        items = _numbers(_lookup(values, details, source))
        if items is not None and _lookup(values, details, target) is None:
            _store(values, details, target, round(sum(items), 6))
    for target, source in rmap.means.items():
        items = _numbers(_lookup(values, details, source))
        if items:
            _store(values, details, target, round(sum(items) / len(items), 3))
    for target, (left, right) in rmap.products.items():
        a, b = _lookup(values, details, left), _lookup(values, details, right)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            _store(values, details, target, round(a * b, 1))


def _senseless(key: str, value: object) -> str | None:
    """Why a value makes no physical sense, as an alarm suffix, or None if it is fine."""
    if isinstance(value, list):
        return next((why for item in value if (why := _senseless(key, item))), None)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value):
        return "not_a_number"
    if key.endswith("_pct") and not 0 <= value <= 100:
        return "out_of_range"
    if (key.endswith("_v") or key.endswith("_voltages_v")) and value < 0:
        return "negative"
    if key.endswith("_hz") and not 40 <= value <= 70:
        return "out_of_range"
    return None


def _sanity(section: Json, alarms: list[str]) -> None:
    for key in list(section):
        if why := _senseless(key, section[key]):
            # Never store nonsense as a fact: drop the value and say why in the alarms.
            del section[key]
            alarms.append(f"{key}_{why}")


def decode_map(rmap: RegisterMap, registers: Mapping[int, int]) -> Decoded:
    """Decode every field whose registers are present; senseless values become alarms."""
    clean = check_registers(registers)
    values, details, alarms = _assemble(rmap, clean)
    _sanity(values, alarms)
    _sanity(details, alarms)
    _derive(rmap, values, details)
    return Decoded(values=values, details=details, alarms=tuple(dict.fromkeys(alarms)))


def encode_map(rmap: RegisterMap, values: Mapping[str, object], *, identity: bool = False) -> dict[int, int]:
    """Registers for every field whose name (or list element) appears in `values` (details.* included)."""
    registers: dict[int, int] = {}
    for item in rmap.identity if identity else rmap.fields:
        value = values.get(item.name.split("[")[0])
        if item.index is not None:
            value = value[item.index] if isinstance(value, list) and item.index < len(value) else None
        if value is None:
            continue
        for address, word in encode_field(item, value).items():
            registers[address] = registers.get(address, 0) | word if item.type == "bits" else word
    return registers
