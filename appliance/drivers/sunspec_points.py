"""SunSpec point tables (offsets from the model ID register) and the typed, scaled point decoder.

Offsets follow sunspec/models `json/model_*.json` (offset 0 = ID, 1 = L), as in
protocols/modbus.md section 5. Unimplemented sentinels decode to None, never 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence, TypeAlias, Union

from appliance.drivers.modbus.codec import float32_value
from appliance.errors import DecodeError

#: The "SunS" marker: two registers at the base address.
MARKER = (0x5375, 0x6E53)
#: Base addresses probed in order (pysunspec2 scan()).
BASE_ADDRESSES = (40000, 0, 50000)
END_MODEL_ID = 0xFFFF
#: SunSpec allows scale factors of -10..10; anything else is garbage on the wire.
SF_RANGE = range(-10, 11)


@dataclass(frozen=True)
class Point:
    """One SunSpec point: name, offset from the model ID, type, size and scale-factor point."""

    name: str
    offset: int
    type: str
    size: int = 1
    sf: str | None = None


def _p(name: str, offset: int, type_: str, sf: str | None = None, size: int | None = None) -> Point:
    sizes = {"acc32": 2, "uint32": 2, "int32": 2, "float32": 2, "bitfield32": 2}
    return Point(name, offset, type_, size if size is not None else sizes.get(type_, 1), sf)


def _sfs(*pairs: tuple[str, int]) -> list[Point]:
    return [_p(name, offset, "sunssf") for name, offset in pairs]


COMMON = (
    _p("Mn", 2, "string", size=16), _p("Md", 18, "string", size=16), _p("Opt", 34, "string", size=8),
    _p("Vr", 42, "string", size=8), _p("SN", 50, "string", size=16), _p("DA", 66, "uint16"),
)

INVERTER_INT = tuple([
    _p("A", 2, "uint16", "A_SF"), _p("AphA", 3, "uint16", "A_SF"), _p("AphB", 4, "uint16", "A_SF"),
    _p("AphC", 5, "uint16", "A_SF"), _p("PPVphAB", 7, "uint16", "V_SF"), _p("PPVphBC", 8, "uint16", "V_SF"),
    _p("PPVphCA", 9, "uint16", "V_SF"), _p("PhVphA", 10, "uint16", "V_SF"), _p("PhVphB", 11, "uint16", "V_SF"),
    _p("PhVphC", 12, "uint16", "V_SF"), _p("W", 14, "int16", "W_SF"), _p("Hz", 16, "uint16", "Hz_SF"),
    _p("VA", 18, "int16", "VA_SF"), _p("VAr", 20, "int16", "VAr_SF"), _p("PF", 22, "int16", "PF_SF"),
    _p("WH", 24, "acc32", "WH_SF"), _p("DCA", 27, "uint16", "DCA_SF"), _p("DCV", 29, "uint16", "DCV_SF"),
    _p("DCW", 31, "int16", "DCW_SF"), _p("TmpCab", 33, "int16", "Tmp_SF"), _p("TmpSnk", 34, "int16", "Tmp_SF"),
    _p("TmpTrns", 35, "int16", "Tmp_SF"), _p("TmpOt", 36, "int16", "Tmp_SF"), _p("St", 38, "enum16"),
    _p("StVnd", 39, "enum16"), _p("Evt1", 40, "bitfield32"),
    *_sfs(("A_SF", 6), ("V_SF", 13), ("W_SF", 15), ("Hz_SF", 17), ("VA_SF", 19), ("VAr_SF", 21),
          ("PF_SF", 23), ("WH_SF", 26), ("DCA_SF", 28), ("DCV_SF", 30), ("DCW_SF", 32), ("Tmp_SF", 37)),
])

INVERTER_FLOAT = tuple(
    [_p(name, 2 + 2 * i, "float32") for i, name in enumerate(
        ("A", "AphA", "AphB", "AphC", "PPVphAB", "PPVphBC", "PPVphCA", "PhVphA", "PhVphB", "PhVphC", "W",
         "Hz", "VA", "VAr", "PF", "WH", "DCA", "DCV", "DCW", "TmpCab", "TmpSnk", "TmpTrns", "TmpOt"))]
    + [_p("St", 48, "enum16"), _p("StVnd", 49, "enum16"), _p("Evt1", 50, "bitfield32")]
)

_PHASES = ("", "phA", "phB", "phC")
METER_INT = tuple(
    [_p(f"A{ph}", 2 + i, "int16", "A_SF") for i, ph in enumerate(_PHASES)]
    + [_p(name, 7 + i, "int16", "V_SF") for i, name in enumerate(
        ("PhV", "PhVphA", "PhVphB", "PhVphC", "PPV", "PPVphAB", "PPVphBC", "PPVphCA"))]
    + [_p("Hz", 16, "int16", "Hz_SF")]
    + [_p(f"W{ph}", 18 + i, "int16", "W_SF") for i, ph in enumerate(_PHASES)]
    + [_p(f"VA{ph}", 23 + i, "int16", "VA_SF") for i, ph in enumerate(_PHASES)]
    + [_p(f"VAR{ph}", 28 + i, "int16", "VAR_SF") for i, ph in enumerate(_PHASES)]
    + [_p(f"PF{ph}", 33 + i, "int16", "PF_SF") for i, ph in enumerate(_PHASES)]
    + [_p("TotWhExp", 38, "acc32", "TotWh_SF"), _p("TotWhImp", 46, "acc32", "TotWh_SF"),
       _p("Evt", 105, "bitfield32")]
    + _sfs(("A_SF", 6), ("V_SF", 15), ("Hz_SF", 17), ("W_SF", 22), ("VA_SF", 27), ("VAR_SF", 32),
           ("PF_SF", 37), ("TotWh_SF", 54))
)

METER_FLOAT = tuple(
    [_p(f"A{ph}", 2 + 2 * i, "float32") for i, ph in enumerate(_PHASES)]
    + [_p(name, 10 + 2 * i, "float32") for i, name in enumerate(
        ("PhV", "PhVphA", "PhVphB", "PhVphC", "PPV", "PPVphAB", "PPVphBC", "PPVphCA", "Hz"))]
    + [_p(f"W{ph}", 28 + 2 * i, "float32") for i, ph in enumerate(_PHASES)]
    + [_p(f"VA{ph}", 36 + 2 * i, "float32") for i, ph in enumerate(_PHASES)]
    + [_p(f"VAR{ph}", 44 + 2 * i, "float32") for i, ph in enumerate(_PHASES)]
    + [_p(f"PF{ph}", 52 + 2 * i, "float32") for i, ph in enumerate(_PHASES)]
    + [_p("TotWhExp", 60, "float32"), _p("TotWhImp", 68, "float32"), _p("Evt", 124, "bitfield32")]
)

STORAGE = tuple([
    _p("WChaMax", 2, "uint16", "WChaMax_SF"), _p("WChaGra", 3, "uint16", "WChaDisChaGra_SF"),
    _p("WDisChaGra", 4, "uint16", "WChaDisChaGra_SF"), _p("StorCtl_Mod", 5, "bitfield16"),
    _p("VAChaMax", 6, "uint16", "VAChaMax_SF"), _p("MinRsvPct", 7, "uint16", "MinRsvPct_SF"),
    _p("ChaState", 8, "uint16", "ChaState_SF"), _p("StorAval", 9, "uint16", "StorAval_SF"),
    _p("InBatV", 10, "uint16", "InBatV_SF"), _p("ChaSt", 11, "enum16"),
    _p("OutWRte", 12, "int16", "InOutWRte_SF"), _p("InWRte", 13, "int16", "InOutWRte_SF"),
    _p("InOutWRte_WinTms", 14, "uint16"), _p("InOutWRte_RvrtTms", 15, "uint16"),
    _p("InOutWRte_RmpTms", 16, "uint16"), _p("ChaGriSet", 17, "enum16"),
    *_sfs(("WChaMax_SF", 18), ("WChaDisChaGra_SF", 19), ("VAChaMax_SF", 20), ("MinRsvPct_SF", 21),
          ("ChaState_SF", 22), ("StorAval_SF", 23), ("InBatV_SF", 24), ("InOutWRte_SF", 25)),
])

BATTERY = tuple([
    _p("AHRtg", 2, "uint16", "AHRtg_SF"), _p("WHRtg", 3, "uint16", "WHRtg_SF"),
    _p("WChaRteMax", 4, "uint16", "WChaDisChaMax_SF"), _p("WDisChaRteMax", 5, "uint16", "WChaDisChaMax_SF"),
    _p("SoCMax", 7, "uint16", "SoC_SF"), _p("SoCMin", 8, "uint16", "SoC_SF"),
    _p("SoC", 11, "uint16", "SoC_SF"), _p("DoD", 12, "uint16", "DoD_SF"), _p("SoH", 13, "uint16", "SoH_SF"),
    _p("NCyc", 14, "uint32"), _p("ChaSt", 16, "enum16"), _p("Typ", 21, "enum16"), _p("State", 22, "enum16"),
    _p("Evt1", 26, "bitfield32"), _p("V", 34, "uint16", "V_SF"), _p("VMax", 35, "uint16", "V_SF"),
    _p("VMin", 36, "uint16", "V_SF"), _p("CellVMax", 37, "uint16", "CellV_SF"),
    _p("CellVMin", 40, "uint16", "CellV_SF"), _p("CellVAvg", 43, "uint16", "CellV_SF"),
    _p("A", 44, "int16", "A_SF"), _p("AChaMax", 45, "uint16", "AMax_SF"),
    _p("ADisChaMax", 46, "uint16", "AMax_SF"), _p("W", 47, "int16", "W_SF"),
    *_sfs(("AHRtg_SF", 52), ("WHRtg_SF", 53), ("WChaDisChaMax_SF", 54), ("SoC_SF", 56), ("DoD_SF", 57),
          ("SoH_SF", 58), ("V_SF", 59), ("CellV_SF", 60), ("A_SF", 61), ("AMax_SF", 62), ("W_SF", 63)),
])

#: Model 160 (multiple MPPT): fixed head, then N repeating 20-register modules from offset 10.
MPPT_HEAD = tuple([_p("Evt", 6, "bitfield32"), _p("N", 8, "uint16"),
                   *_sfs(("DCA_SF", 2), ("DCV_SF", 3), ("DCW_SF", 4), ("DCWH_SF", 5))])
MPPT_MODULE = (
    _p("ID", 0, "uint16"), _p("IDStr", 1, "string", size=8), _p("DCA", 9, "uint16", "DCA_SF"),
    _p("DCV", 10, "uint16", "DCV_SF"), _p("DCW", 11, "uint16", "DCW_SF"), _p("DCWH", 12, "acc32", "DCWH_SF"),
    _p("Tmp", 16, "int16"), _p("DCSt", 17, "enum16"), _p("DCEvt", 18, "bitfield32"),
)
MPPT_MODULE_START, MPPT_MODULE_SIZE = 10, 20

# The official models name the line-to-line voltages PhVphAB.. in 202-204 but PPVphAB.. in 201 and 211-214
# (sunspec/models json, as pysunspec2 1.3.7 ships them); the point names follow each model.
METER_INT_3P = tuple(Point(p.name.replace("PPVph", "PhVph"), p.offset, p.type, p.size, p.sf) for p in METER_INT)

#: Point tables by model ID; 160 is handled by decode_mppt.
TABLES: dict[int, tuple[Point, ...]] = {
    1: COMMON, **{m: INVERTER_INT for m in (101, 102, 103)}, **{m: INVERTER_FLOAT for m in (111, 112, 113)},
    201: METER_INT, **{m: METER_INT_3P for m in (202, 203, 204)}, **{m: METER_FLOAT for m in (211, 212, 213, 214)},
    124: STORAGE, 802: BATTERY,
}
#: Least model length (L) each table needs; a shorter model is malformed.
MIN_LENGTH = {1: 65, **{m: 50 for m in (101, 102, 103)}, **{m: 60 for m in (111, 112, 113)},
              **{m: 105 for m in (201, 202, 203, 204)}, **{m: 124 for m in (211, 212, 213, 214)},
              124: 24, 802: 62, 160: 8}

Words = Callable[[int, int], Sequence[int] | None]
#: One decoded point: a number (scaled), or text for string points.
PointValue: TypeAlias = Union[int, float, str]
#: A model's decoded points by name; model 160 adds a `modules` list of them.
Points: TypeAlias = dict[str, PointValue]


def _raw(point: Point, words: Sequence[int]) -> PointValue | None:
    """The unscaled value of `point` from its words, or None for the type's unimplemented sentinel."""
    kind, hi = point.type, words[0]
    if kind == "string":
        text = b"".join(w.to_bytes(2, "big") for w in words).split(b"\0", 1)[0]
        value = text.decode("ascii", "replace").strip()
        return value or None
    if kind in ("int16", "sunssf"):
        return None if hi == 0x8000 else hi - 0x10000 if hi & 0x8000 else hi
    if kind in ("uint16", "enum16", "bitfield16"):
        return None if hi == 0xFFFF else hi
    both = (hi << 16) | words[1]
    if kind == "acc32":
        return None if both == 0 else both
    if kind in ("uint32", "bitfield32"):
        return None if both == 0xFFFFFFFF else both
    if kind == "int32":
        return None if both == 0x80000000 else both - (1 << 32) if both & 0x80000000 else both
    number = float32_value(both)
    return None if math.isnan(number) or math.isinf(number) else number


def scale_factor(name: str, words: Sequence[int] | None) -> int | None:
    """A sunssf register as an exponent (None if unimplemented); DecodeError outside -10..10."""
    if words is None:
        return None
    value = _raw(Point(name, 0, "sunssf"), words)
    if value is None:
        return None
    if not isinstance(value, int) or value not in SF_RANGE:
        raise DecodeError(f"SunSpec scale factor {name} = {value} is outside -10..10")
    return value


def decode_points(points: Sequence[Point], words: Words,
                  scales: Mapping[str, int | None] | None = None) -> Points:
    """Decode `points` to scaled values; missing registers, sentinels and unset scale factors leave a point out."""
    sfs = dict(scales or {})
    sfs.update({p.name: scale_factor(p.name, words(p.offset, 1)) for p in points if p.type == "sunssf"})
    out: Points = {}
    for point in points:
        if point.type == "sunssf":
            continue
        regs = words(point.offset, point.size)
        value = None if regs is None else _raw(point, regs)
        if value is None:
            continue
        if point.sf is not None:
            sf = sfs.get(point.sf)
            if sf is None:
                continue
            if isinstance(value, str):
                raise DecodeError(f"SunSpec point {point.name} is text and has a scale factor")
            value = round(value * 10.0 ** sf, 10) if sf < 0 else value * 10 ** sf
        out[point.name] = value
    return out


def decode_mppt(words: Words, length: int) -> tuple[Points, list[Points]]:
    """Model 160: the head points and the per-string points of its modules (count from N, bounded by L)."""
    head = decode_points(MPPT_HEAD, words)
    scales = {p.name: scale_factor(p.name, words(p.offset, 1)) for p in MPPT_HEAD if p.type == "sunssf"}
    fit = max(0, (length + 2 - MPPT_MODULE_START) // MPPT_MODULE_SIZE)
    declared = head.get("N", fit)
    count = min(declared if isinstance(declared, int) else fit, fit)
    modules = []
    for i in range(count):
        origin = MPPT_MODULE_START + i * MPPT_MODULE_SIZE
        modules.append(decode_points(MPPT_MODULE, _shift(words, origin), scales))
    return head, modules


def _shift(words: Words, origin: int) -> Words:
    """A reader whose offsets count from `origin` (a repeating module's first register)."""
    def shifted(offset: int, size: int) -> Sequence[int] | None:
        return words(origin + offset, size)
    return shifted


def words_from(registers: Mapping[int, int], start: int) -> Words:
    """A reader of `size` registers at offset from `start`; None when any is missing."""
    def read(offset: int, size: int) -> Sequence[int] | None:
        regs = [registers.get(start + offset + i) for i in range(size)]
        return None if any(r is None for r in regs) else [int(r) for r in regs if r is not None]
    return read
