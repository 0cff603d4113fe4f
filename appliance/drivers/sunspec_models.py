"""Pure SunSpec decoding: find the marker, walk the model chain, map models to the reading vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence, TypeVar

from appliance.drivers.base import Reading
from appliance.drivers.sunspec_points import (
    BASE_ADDRESSES, END_MODEL_ID, MARKER, MIN_LENGTH, TABLES, Points, decode_mppt, decode_points, words_from,
)
from appliance.errors import DecodeError
from appliance.jsontypes import Json

T = TypeVar("T")

INVERTER_MODELS = frozenset({101, 102, 103, 111, 112, 113})
METER_MODELS = frozenset({201, 202, 203, 204, 211, 212, 213, 214})
STORAGE_MODELS = frozenset({124, 802})
#: Models this decoder understands; others are walked over and listed in details.
KNOWN_MODELS = frozenset({1, 160}) | INVERTER_MODELS | METER_MODELS | STORAGE_MODELS
#: Sign options (adapter config): which direction the device reports as positive.
METER_SIGNS = ("import_positive", "export_positive")
BATTERY_SIGNS = ("discharge_positive", "charge_positive")
#: A chain longer than this is garbage, not a device.
MAX_MODELS = 64

INVERTER_STATES = {1: "off", 2: "sleeping", 3: "starting", 4: "mppt", 5: "throttled",
                   6: "shutting_down", 7: "fault", 8: "standby"}
CHARGE_STATES = {1: "off", 2: "empty", 3: "discharging", 4: "charging", 5: "full", 6: "holding",
                 7: "testing"}
BATTERY_STATES = {1: "disconnected", 2: "initializing", 3: "connected", 4: "standby",
                  5: "soc_protection", 6: "suspending", 99: "fault"}
INVERTER_EVENTS = ("ground_fault", "dc_over_volt", "ac_disconnect", "dc_disconnect", "grid_disconnect",
                   "cabinet_open", "manual_shutdown", "over_temp", "over_frequency", "under_frequency",
                   "ac_over_volt", "ac_under_volt", "blown_string_fuse", "under_temp", "memory_loss",
                   "hw_test_failure")
BATTERY_EVENTS = ("communication_error", "over_temp_alarm", "over_temp_warning", "under_temp_alarm",
                  "under_temp_warning", "over_charge_current_alarm", "over_charge_current_warning",
                  "over_discharge_current_alarm", "over_discharge_current_warning", "over_volt_alarm",
                  "over_volt_warning", "under_volt_alarm", "under_volt_warning", "under_soc_min_alarm",
                  "under_soc_min_warning", "over_soc_max_alarm", "over_soc_max_warning",
                  "voltage_imbalance_warning", "temperature_imbalance_alarm", "temperature_imbalance_warning",
                  "contactor_error", "fan_error", "ground_fault", "open_door_error", "current_imbalance_warning",
                  "other_alarm", "other_warning", "reserved_1", "configuration_alarm", "configuration_warning")
#: Physical sense: a value outside its range is dropped and named in `alarms`.
LIMITS = {
    "soc_pct": (0, 100), "soh_pct": (0, 100), "battery_soc_pct": (0, 100), "frequency_hz": (0, 100),
    "grid_frequency_hz": (0, 100), "power_factor": (-1.0001, 1.0001), "grid_voltage_v": (0, 1000),
    "voltage_v": (0, 2000), "inverter_temperature_c": (-60, 150), "battery_voltage_v": (0, 2000),
}


@dataclass(frozen=True)
class ModelRef:
    """One model in the chain: its ID, the address of its ID register and its length L."""

    model_id: int
    address: int
    length: int

    @property
    def end(self) -> int:
        """The address after the model's last register."""
        return self.address + 2 + self.length


def check_registers(registers: object) -> dict[int, int]:
    """Registers as {address: 16-bit value}; DecodeError for anything else."""
    if not isinstance(registers, Mapping):
        raise DecodeError(f"registers must map addresses to values, not {type(registers).__name__}")
    out: dict[int, int] = {}
    for key, value in registers.items():
        if isinstance(key, bool) or isinstance(value, bool) or not isinstance(key, (int, float, str)) \
                or not isinstance(value, (int, float, str)):
            raise DecodeError(f"register {key!r} = {value!r} is not a 16-bit value")
        try:
            address, word = int(key), int(value)
        except (ValueError, OverflowError):
            raise DecodeError(f"register {key!r} = {value!r} is not a 16-bit value") from None
        if not 0 <= address <= 0xFFFF or not 0 <= word <= 0xFFFF:
            raise DecodeError(f"register {key!r} = {value!r} is outside 0..65535")
        out[address] = word
    return out


def find_base(registers: Mapping[int, int], bases: Sequence[int] = BASE_ADDRESSES) -> int:
    """The base address holding the "SunS" marker: the standard bases first, then any address."""
    def has_marker(address: int) -> bool:
        return (registers.get(address), registers.get(address + 1)) == MARKER
    for base in bases:
        if has_marker(base):
            return base
    others = sorted(a for a, v in registers.items() if v == MARKER[0] and has_marker(a))
    if others:
        return others[0]
    raise DecodeError("no SunSpec marker 'SunS' (0x5375 0x6E53) at 40000, 0, 50000 or elsewhere")


def walk_chain(registers: Mapping[int, int], base: int) -> tuple[ModelRef, ...]:
    """The models after the marker at `base`, up to the 0xFFFF end model or the last register given."""
    chain: list[ModelRef] = []
    address = base + 2
    while len(chain) < MAX_MODELS:
        model_id = registers.get(address)
        if model_id is None or model_id == END_MODEL_ID:
            return tuple(chain)
        length = registers.get(address + 1)
        if length is None:
            return tuple(chain)
        ref = ModelRef(model_id, address, length)
        check_model(ref)
        chain.append(ref)
        address = ref.end
    raise DecodeError(f"SunSpec model chain at {base} has more than {MAX_MODELS} models and no end marker")


def check_model(ref: ModelRef) -> None:
    """DecodeError when a model runs past register 65535 or is too short for its known points."""
    if ref.end > 0x10000:
        raise DecodeError(f"SunSpec model {ref.model_id} at {ref.address} (L={ref.length}) runs past 65535")
    least = MIN_LENGTH.get(ref.model_id)
    if least is not None and ref.length < least:
        raise DecodeError(f"SunSpec model {ref.model_id} at {ref.address} has length {ref.length}, "
                          f"expected at least {least}")


@dataclass(frozen=True)
class Decoded:
    """One known model's scaled points; model 160 (MPPT) also has a list of per-string points."""

    ref: ModelRef
    points: Points
    modules: tuple[Points, ...] = ()

    def to_json(self) -> Json:
        """The points as listed under details.sunspec (model 160 with its `modules`)."""
        if self.ref.model_id != 160:
            return dict(self.points)
        return {**self.points, "modules": list(self.modules)}


def decode_model(registers: Mapping[int, int], ref: ModelRef) -> Decoded:
    """The scaled points of one known model (registers past the model's length are never read)."""
    limited = {a: v for a, v in ((ref.address + i, registers.get(ref.address + i))
                                 for i in range(ref.length + 2)) if v is not None}
    words = words_from(limited, ref.address)
    if ref.model_id == 160:
        head, modules = decode_mppt(words, ref.length)
        return Decoded(ref, head, tuple(modules))
    return Decoded(ref, decode_points(TABLES[ref.model_id], words))


def _bits(value: int | None, names: Sequence[str]) -> list[str]:
    if value is None:
        return []
    return [names[i] if i < len(names) else f"event_bit_{i}" for i in range(32) if value >> i & 1]


def _series(values: Iterable[T]) -> list[T] | None:
    items = list(values)
    return items if any(v is not None for v in items) else None


def _num(points: Points, name: str) -> float | None:
    # Numeric points decode to numbers; text points (Mn, SN...) are never summed or scaled.
    value = points.get(name)
    return value if isinstance(value, (int, float)) else None


def _int(points: Points, name: str) -> int | None:
    value = points.get(name)
    return value if isinstance(value, int) else None


def _mean(values: Iterable[float | None]) -> float | None:
    items = [v for v in values if v is not None]
    return round(sum(items) / len(items), 6) if items else None


def _kwh(wh: float | None) -> float | None:
    return None if wh is None else round(wh / 1000.0, 6)


def _signed(value: float | None, sign: int) -> float | None:
    return None if value is None else value * sign


def _pf(value: float | None) -> float | None:
    # SunSpec PF points are in percent (cos phi x 100).
    return None if value is None else round(value / 100.0, 6)


def inverter_values(p: Points, mppt: Decoded | None) -> tuple[Json, Json]:
    """Vocabulary values and details of an inverter model (101-103, 111-113) and its MPPT model."""
    modules = mppt.modules if mppt is not None else ()
    pv_powers = _series(_num(m, "DCW") for m in modules)
    pv_power = sum(v for v in pv_powers if v is not None) if pv_powers else p.get("DCW")
    state = _int(p, "St")
    values: Json = {
        "pv_power_w": pv_power, "pv_powers_w": pv_powers,
        "pv_voltages_v": _series(m.get("DCV") for m in modules),
        "pv_currents_a": _series(m.get("DCA") for m in modules),
        "grid_voltage_v": _mean(_num(p, k) for k in ("PhVphA", "PhVphB", "PhVphC")),
        "grid_frequency_hz": p.get("Hz"),
        "inverter_temperature_c": next((p[k] for k in ("TmpCab", "TmpSnk", "TmpOt", "TmpTrns") if k in p), None),
        "pv_energy_total_kwh": _kwh(_num(p, "WH")),
        "state": None if state is None else INVERTER_STATES.get(state, f"unknown_{state}"),
    }
    details: Json = {
        "ac_power_w": p.get("W"), "ac_current_a": p.get("A"), "apparent_power_va": p.get("VA"),
        "reactive_power_var": p.get("VAr"), "power_factor": _pf(_num(p, "PF")),
        "grid_voltages_v": _series(p.get(k) for k in ("PhVphA", "PhVphB", "PhVphC")),
        "dc_voltage_v": p.get("DCV"), "dc_current_a": p.get("DCA"), "dc_power_w": p.get("DCW"),
        "heatsink_temperature_c": p.get("TmpSnk"), "state_code": state, "vendor_state": p.get("StVnd"),
        "pv_energies_total_kwh": _series(_kwh(_num(m, "DCWH")) for m in modules),
        "pv_labels": _series(m.get("IDStr") for m in modules),
    }
    return values, details


def meter_values(p: Points, sign: int) -> Json:
    """Vocabulary values of a meter model (201-204, 211-214); `sign` turns W into + = import."""
    phases = ("phA", "phB", "phC")
    return {
        "power_w": _signed(_num(p, "W"), sign),
        "powers_w": _series(_signed(_num(p, f"W{ph}"), sign) for ph in phases),
        "voltage_v": p.get("PhV", _mean(_num(p, f"PhV{ph}") for ph in phases)),
        "voltages_v": _series(p.get(f"PhV{ph}") for ph in phases),
        "current_a": p.get("A"), "currents_a": _series(p.get(f"A{ph}") for ph in phases),
        "frequency_hz": p.get("Hz"), "power_factor": _pf(_num(p, "PF")),
        "reactive_power_var": _signed(_num(p, "VAR"), sign), "apparent_power_va": p.get("VA"),
        "import_energy_kwh": _kwh(_num(p, "TotWhImp")), "export_energy_kwh": _kwh(_num(p, "TotWhExp")),
    }


def battery_values(storage: Points | None, battery: Points | None, sign: int) -> tuple[Json, Json]:
    """Battery values from model 124 (storage) and 802 (battery); `sign` turns W and A into + = discharge."""
    s, b = storage or {}, battery or {}
    cell_min, cell_max = _num(b, "CellVMin"), _num(b, "CellVMax")
    values: Json = {
        "soc_pct": b.get("SoC", s.get("ChaState")), "soh_pct": b.get("SoH"),
        "voltage_v": b.get("V", s.get("InBatV")), "current_a": _signed(_num(b, "A"), sign),
        "power_w": _signed(_num(b, "W"), sign), "cycles": b.get("NCyc"),
        "cell_min_v": cell_min, "cell_max_v": cell_max,
        "cell_delta_v": None if cell_min is None or cell_max is None else round(cell_max - cell_min, 6),
    }
    charge = _int(b, "ChaSt") if "ChaSt" in b else _int(s, "ChaSt")
    state = _int(b, "State")
    details: Json = {
        "charge_status": None if charge is None else CHARGE_STATES.get(charge, f"unknown_{charge}"),
        "status": None if state is None else BATTERY_STATES.get(state, f"unknown_{state}"),
        "rated_ah": b.get("AHRtg"), "rated_energy_wh": b.get("WHRtg"), "available_ah": s.get("StorAval"),
        "min_reserve_pct": s.get("MinRsvPct"), "max_charge_w": s.get("WChaMax", b.get("WChaRteMax")),
        "max_discharge_w": b.get("WDisChaRteMax"), "cell_avg_v": b.get("CellVAvg"),
        "discharge_rate_pct": s.get("OutWRte"), "charge_rate_pct": s.get("InWRte"),
        "grid_charging": None if s.get("ChaGriSet") is None else s["ChaGriSet"] == 1,
    }
    return values, details


def _check_limits(values: Json, alarms: list[str]) -> None:
    for name, (low, high) in LIMITS.items():
        value = values.get(name)
        if isinstance(value, (int, float)) and not low <= value <= high:
            values[name] = None
            alarms.append(f"implausible_{name}")


def _first(decoded: Sequence[Decoded], ids: frozenset[int]) -> Decoded | None:
    return next((model for model in decoded if model.ref.model_id in ids), None)


def _points(model: Decoded | None) -> Points | None:
    return None if model is None else model.points


def decode_chain(registers: Mapping[int, int], *, base: int | None = None, meter_sign: str = METER_SIGNS[0],
                 battery_sign: str = BATTERY_SIGNS[0]) -> Reading:
    """One Reading from a SunSpec register image: the kind follows the models present."""
    regs = check_registers(registers)
    base = find_base(regs) if base is None else base
    if (regs.get(base), regs.get(base + 1)) != MARKER:
        raise DecodeError(f"no SunSpec marker 'SunS' at {base}")
    chain = walk_chain(regs, base)
    decoded = [decode_model(regs, ref) for ref in chain if ref.model_id in KNOWN_MODELS]
    ids = frozenset(ref.model_id for ref in chain)
    if not ids & (INVERTER_MODELS | METER_MODELS | STORAGE_MODELS):
        found = ", ".join(str(ref.model_id) for ref in chain) or "none"
        raise DecodeError(f"SunSpec chain at {base} has no inverter, meter or storage model (models: {found})")
    msign = 1 if meter_sign == METER_SIGNS[0] else -1
    bsign = 1 if battery_sign == BATTERY_SIGNS[0] else -1
    inverter, meter = _points(_first(decoded, INVERTER_MODELS)), _points(_first(decoded, METER_MODELS))
    battery = _points(_first(decoded, frozenset({802})))
    bvalues, bdetails = battery_values(_points(_first(decoded, frozenset({124}))), battery, bsign)
    alarms = _bits(_int(battery, "Evt1") if battery is not None else None, BATTERY_EVENTS)
    details: Json = {}
    values: Json
    if inverter is not None:
        kind = "inverter"
        values, details = inverter_values(inverter, _first(decoded, frozenset({160})))
        if meter is not None:
            mv = meter_values(meter, msign)
            values.update(grid_power_w=mv["power_w"], grid_import_total_kwh=mv["import_energy_kwh"],
                          grid_export_total_kwh=mv["export_energy_kwh"])
            details["meter"] = {k: v for k, v in mv.items() if v is not None}
        values.update(battery_soc_pct=bvalues["soc_pct"], battery_voltage_v=bvalues["voltage_v"],
                      battery_current_a=bvalues["current_a"], battery_power_w=bvalues["power_w"])
        details["battery"] = {k: v for k, v in {**bvalues, **bdetails}.items() if v is not None}
        alarms = [*_bits(_int(inverter, "Evt1"), INVERTER_EVENTS), *alarms]
    elif meter is not None:
        kind, values = "meter", meter_values(meter, msign)
        details["battery"] = {k: v for k, v in {**bvalues, **bdetails}.items() if v is not None}
    else:
        kind, values, details = "battery", bvalues, bdetails
    common = _points(_first(decoded, frozenset({1}))) or {}
    details.update(manufacturer=common.get("Mn"), model=common.get("Md"), serial_number=common.get("SN"),
                   version=common.get("Vr"), options=common.get("Opt"), base_address=base,
                   models=[ref.model_id for ref in chain],
                   sunspec={f"{model.ref.model_id}@{model.ref.address}": model.to_json() for model in decoded})
    _check_limits(values, alarms)
    if kind == "battery":
        values["alarms"] = alarms
    elif alarms:
        details["alarms"] = alarms
    return Reading(kind=kind, values={k: v for k, v in values.items() if v is not None},
                   details={k: v for k, v in details.items() if v not in (None, [], {})})


def parse_common(words: Sequence[int]) -> Points:
    """Model 1 points from its registers (starting at the ID register)."""
    return decode_points(TABLES[1], words_from(dict(enumerate(words)), 0))
