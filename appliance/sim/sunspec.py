"""A simulated SunSpec device: register images rendered from reading-vocabulary values, served on loopback."""

from __future__ import annotations

import math
import struct
from typing import Any, Callable, Mapping, Sequence

from appliance.drivers.sunspec_models import CHARGE_STATES, INVERTER_STATES
from appliance.drivers.sunspec_points import (
    END_MODEL_ID, MARKER, MPPT_HEAD, MPPT_MODULE, MPPT_MODULE_SIZE, MPPT_MODULE_START, TABLES, Point,
)
from appliance.sim.modbus_server import ModbusTcpSim, RegisterImage

#: Where a site model plugs in: called on every Modbus read, returns vocabulary values.
ValuesSource = Callable[[], Mapping[str, Any]]

#: Values a site model may drive; anything left out is rendered as "not implemented".
DEFAULT_VALUES: dict[str, Any] = {
    "pv_powers_w": [2100.0, 1650.0], "pv_voltages_v": [385.2, 362.7], "pv_currents_a": [5.45, 4.55],
    "pv_energies_total_kwh": [8123.4, 7111.1], "pv_energy_total_kwh": 15234.5, "ac_power_w": 3600.0,
    "grid_voltages_v": [230.4, 231.1, 229.8], "grid_frequency_hz": 50.01, "inverter_temperature_c": 42.5,
    "state": "mppt", "power_factor": 0.99, "grid_power_w": -1200.0, "grid_powers_w": [-400.0, -420.0, -380.0],
    "grid_currents_a": [1.8, 1.9, 1.7], "grid_import_total_kwh": 4321.0, "grid_export_total_kwh": 9876.5,
    "battery_soc_pct": 64.0, "battery_voltage_v": 51.2, "battery_current_a": -9.8, "battery_power_w": -500.0,
    "battery_soh_pct": 98.0, "battery_cycles": 321, "battery_cell_min_v": 3.195, "battery_cell_max_v": 3.214,
    "battery_charge_status": "charging", "battery_rated_ah": 100.0,
}
IDENTITY = {"Mn": "ApplianceSim", "Md": "SunSpec Hybrid 5K", "Opt": "sim", "Vr": "1.0.0", "SN": "SIM-SS-0001"}
METER_IDENTITY = {**IDENTITY, "Md": "SunSpec Meter 3P", "SN": "SIM-SS-0002"}
#: Starting scale factors (exponents); raised automatically when a value would not fit its register.
SCALES = {"A_SF": -2, "V_SF": -1, "W_SF": 0, "Hz_SF": -2, "VA_SF": 0, "VAr_SF": 0, "VAR_SF": 0, "PF_SF": -1,
          "WH_SF": 0, "DCA_SF": -2, "DCV_SF": -1, "DCW_SF": 0, "DCWH_SF": 0, "Tmp_SF": -1, "TotWh_SF": 0,
          "ChaState_SF": -1, "InBatV_SF": -1, "MinRsvPct_SF": 0, "InOutWRte_SF": 0, "StorAval_SF": -1,
          "WChaMax_SF": 0, "WChaDisChaGra_SF": 0, "VAChaMax_SF": 0, "SoC_SF": -1, "SoH_SF": 0,
          "CellV_SF": -3, "AHRtg_SF": 0, "WHRtg_SF": 0, "WChaDisChaMax_SF": 0, "DoD_SF": 0, "AMax_SF": 0}
LENGTHS = {1: 66, 101: 50, 102: 50, 103: 50, 111: 60, 112: 60, 113: 60, 201: 105, 202: 105, 203: 105,
           204: 105, 211: 124, 212: 124, 213: 124, 214: 124, 124: 24, 802: 62}
_SENTINEL = {"int16": 0x8000, "sunssf": 0x8000, "uint16": 0xFFFF, "enum16": 0xFFFF, "bitfield16": 0xFFFF,
             "acc32": 0, "uint32": 0xFFFFFFFF, "bitfield32": 0xFFFFFFFF, "int32": 0x80000000,
             "float32": 0x7FC00000}
_RANGE = {"int16": (-0x7FFF, 0x7FFF), "uint16": (0, 0xFFFE), "acc32": (1, 0xFFFFFFFF), "uint32": (0, 0xFFFFFFFE)}


def _code(table: Mapping[int, str], name: Any) -> int | None:
    return next((code for code, label in table.items() if label == name), None)


def _fits(point: Point, value: float, sf: int) -> bool:
    low, high = _RANGE.get(point.type, (-math.inf, math.inf))
    return low <= round(value / 10.0 ** sf) <= high


def _scales(points: Sequence[Point], *groups: Mapping[str, Any]) -> dict[str, int]:
    """An exponent per scale-factor point, raised until every value using it fits its register."""
    out = {p.name: SCALES.get(p.name, 0) for p in points if p.type == "sunssf"}
    for name in out:
        users = [(p, g[p.name]) for g in groups for p in points if p.sf == name and g.get(p.name) is not None]
        while out[name] < 10 and not all(_fits(p, v, out[name]) for p, v in users):
            out[name] += 1
    return out


def _encode(point: Point, value: Any, scales: Mapping[str, int]) -> list[int]:
    """The registers of one point; None gives the type's "not implemented" sentinel."""
    if point.type == "string":
        data = str(value or "").encode("ascii", "replace")[: 2 * point.size].ljust(2 * point.size, b"\0")
        return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
    if point.type == "sunssf":
        raw = scales[point.name] & 0xFFFF
    elif value is None:
        raw = _SENTINEL[point.type]
    elif point.type == "float32":
        raw = int.from_bytes(struct.pack(">f", float(value)), "big")
    else:
        sf = scales.get(point.sf, 0) if point.sf else 0
        raw = round(float(value) / 10.0 ** sf) & (0xFFFFFFFF if point.size == 2 else 0xFFFF)
    return [raw >> 16, raw & 0xFFFF] if point.size == 2 else [raw]


def render_model(model_id: int, points: Mapping[str, Any], length: int | None = None) -> list[int]:
    """One model's registers (ID, L, points) from SunSpec point values."""
    table = TABLES[model_id]
    length = LENGTHS[model_id] if length is None else length
    words = [model_id, length] + [0] * length
    scales = _scales(table, points)
    for point in table:
        words[point.offset:point.offset + point.size] = _encode(point, points.get(point.name), scales)
    return words


def render_mppt(modules: Sequence[Mapping[str, Any]]) -> list[int]:
    """Model 160 with one 20-register module per entry (DCA, DCV, DCW, DCWH, IDStr...)."""
    length = MPPT_MODULE_START - 2 + MPPT_MODULE_SIZE * len(modules)
    words = [160, length] + [0] * length
    scales = _scales(MPPT_HEAD + MPPT_MODULE, *modules)
    for point in MPPT_HEAD:
        words[point.offset:point.offset + point.size] = _encode(point, {"N": len(modules)}.get(point.name), scales)
    for i, module in enumerate(modules):
        origin = MPPT_MODULE_START + i * MPPT_MODULE_SIZE
        for point in MPPT_MODULE:
            start = origin + point.offset
            words[start:start + point.size] = _encode(point, module.get(point.name), scales)
    return words


def _at(seq: Any, i: int) -> Any:
    return seq[i] if isinstance(seq, (list, tuple)) and i < len(seq) else None


def _wh(kwh: Any) -> Any:
    return None if kwh is None else kwh * 1000.0


def inverter_points(v: Mapping[str, Any]) -> dict[str, Any]:
    """SunSpec inverter points (101-103, 111-113) from vocabulary values."""
    volts = v.get("grid_voltages_v") or [v.get("grid_voltage_v")]
    ac_w, volt_a = v.get("ac_power_w"), _at(volts, 0)
    pv = [p for p in v.get("pv_powers_w") or [] if p is not None]
    return {"W": ac_w, "A": None if ac_w is None or not volt_a else ac_w / volt_a / max(1, len(volts)),
            "PhVphA": volt_a, "PhVphB": _at(volts, 1), "PhVphC": _at(volts, 2), "Hz": v.get("grid_frequency_hz"),
            "PF": None if v.get("power_factor") is None else v["power_factor"] * 100.0,
            "WH": _wh(v.get("pv_energy_total_kwh")), "DCW": sum(pv) if pv else None,
            "TmpCab": v.get("inverter_temperature_c"), "St": _code(INVERTER_STATES, v.get("state"))}


def mppt_modules(v: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Model 160 modules from the per-MPPT vocabulary lists."""
    powers = v.get("pv_powers_w") or []
    return [{"ID": i + 1, "IDStr": f"PV{i + 1}", "DCW": p, "DCV": _at(v.get("pv_voltages_v"), i),
             "DCA": _at(v.get("pv_currents_a"), i), "DCWH": _wh(_at(v.get("pv_energies_total_kwh"), i))}
            for i, p in enumerate(powers)]


def meter_points(v: Mapping[str, Any]) -> dict[str, Any]:
    """SunSpec meter points (201-204, 211-214); W is + = import, as the decoder's default reads it."""
    volts, powers, amps = v.get("grid_voltages_v") or [], v.get("grid_powers_w") or [], v.get("grid_currents_a") or []
    pf = v.get("power_factor")
    out = {"W": v.get("grid_power_w"), "Hz": v.get("grid_frequency_hz"), "PF": None if pf is None else pf * 100,
           "TotWhImp": _wh(v.get("grid_import_total_kwh")), "TotWhExp": _wh(v.get("grid_export_total_kwh")),
           "PhV": sum(volts) / len(volts) if volts else None, "A": sum(amps) if amps else None}
    for i, ph in enumerate(("phA", "phB", "phC")):
        out.update({f"PhV{ph}": _at(volts, i), f"W{ph}": _at(powers, i), f"A{ph}": _at(amps, i)})
    return out


def storage_points(v: Mapping[str, Any]) -> dict[str, Any]:
    """Model 124 points: SOC (ChaState), battery voltage and charge status."""
    return {"ChaState": v.get("battery_soc_pct"), "InBatV": v.get("battery_voltage_v"), "WChaMax": 5000,
            "ChaSt": _code(CHARGE_STATES, v.get("battery_charge_status")), "MinRsvPct": 10, "ChaGriSet": 0}


def battery_points(v: Mapping[str, Any]) -> dict[str, Any]:
    """Model 802 points; W and A are + = discharge (the decoder's default)."""
    return {"SoC": v.get("battery_soc_pct"), "SoH": v.get("battery_soh_pct"), "V": v.get("battery_voltage_v"),
            "A": v.get("battery_current_a"), "W": v.get("battery_power_w"), "NCyc": v.get("battery_cycles"),
            "CellVMin": v.get("battery_cell_min_v"), "CellVMax": v.get("battery_cell_max_v"),
            "AHRtg": v.get("battery_rated_ah"), "State": 3, "Typ": 4,
            "ChaSt": _code(CHARGE_STATES, v.get("battery_charge_status"))}


def common_points(v: Mapping[str, Any]) -> dict[str, Any]:
    """Model 1 points: the simulator's identity, overridable with an `identity` mapping."""
    return {**IDENTITY, **(v.get("identity") or {})}


#: Which vocabulary-to-points mapping renders each model (160 has its own renderer).
_POINTS: dict[int, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    1: common_points, 124: storage_points, 802: battery_points,
    **{m: inverter_points for m in (101, 102, 103, 111, 112, 113)},
    **{m: meter_points for m in (201, 202, 203, 204, 211, 212, 213, 214)},
}
#: The chains the simulator offers: a hybrid inverter, and a grid meter on its own unit.
INVERTER_CHAIN = (1, 103, 160, 203, 124, 802)
METER_CHAIN = (1, 203)


def render_chain(values: Mapping[str, Any] | None = None, models: Sequence[int] = INVERTER_CHAIN,
                 base: int = 40000) -> dict[int, int]:
    """A full register image: the marker at `base`, each model in order, then the end model (0xFFFF, 0)."""
    v = DEFAULT_VALUES if values is None else values
    words = list(MARKER)
    for model_id in models:
        if model_id == 160:
            words += render_mppt(mppt_modules(v))
        elif model_id in _POINTS:
            words += render_model(model_id, _POINTS[model_id](v))
        else:
            raise ValueError(f"the SunSpec simulator cannot render model {model_id}")
    words += [END_MODEL_ID, 0]
    return {base + i: w for i, w in enumerate(words)}


def sunspec_image(values: ValuesSource | None = None, models: Sequence[int] = INVERTER_CHAIN,
                  base: int = 40000, identity: Mapping[str, str] | None = None) -> RegisterImage:
    """A read-only RegisterImage re-rendered from `values()` before every read; `identity` sets model 1."""
    source: ValuesSource = values or (lambda: DEFAULT_VALUES)

    def render() -> dict[int, int]:
        current = dict(source())
        if identity is not None:
            current["identity"] = identity
        return render_chain(current, models, base)

    def refresh(image: RegisterImage) -> None:
        image.registers["holding"] = render()

    return RegisterImage(holding=render(), refresh=refresh, writable=set())


def serve(values: ValuesSource | None = None, *, inverter_unit: int = 1, meter_unit: int = 2,
          inverter_model: int = 103, port: int = 0) -> ModbusTcpSim:
    """Start a SunSpec hybrid inverter and a grid meter (two unit ids) on 127.0.0.1; the caller stops it."""
    chain = (1, inverter_model) + INVERTER_CHAIN[2:]
    units = {inverter_unit: sunspec_image(values, chain),
             meter_unit: sunspec_image(values, METER_CHAIN, identity=METER_IDENTITY)}
    return ModbusTcpSim(units, host="127.0.0.1", port=port).start()
