"""A Reading as rows of the sample tables (pure: no database access)."""

from __future__ import annotations

from typing import Any, Mapping

from appliance.acquisition.context import DeviceContext
from appliance.drivers.base import Reading
from appliance.jsontypes import as_list
from appliance.store import cells as cell_store
from appliance.store.details import compact_json

Rows = dict[str, list[tuple[Any, ...]]]

ENERGY_COLUMNS = ("ts", "inverter_id", "array_id", "system_id", "pv_power_w", "load_power_w", "grid_power_w",
                  "batt_voltage_v", "batt_current_a", "soc", "battery_soc", "battery_voltage_v", "battery_current_a",
                  "inverter_mode", "inverter_temp_c", "grid_import_wh", "grid_export_wh", "battery_power_w",
                  "grid_voltage_v", "grid_frequency_hz", "pv_energy_total_kwh", "load_energy_total_kwh",
                  "battery_charge_total_kwh", "battery_discharge_total_kwh", "details", "flags")
BANK_COLUMNS = ("ts", "pack_id", "battery_array_id", "system_id", "voltage", "current", "temperature", "soc",
                "batteries_count", "cells_per_battery", "power_w", "soh_pct", "cycles", "remaining_ah", "full_ah",
                "cell_min_v", "cell_max_v", "cell_delta_v", "balancing", "details", "flags")
UNIT_COLUMNS = ("ts", "battery_id", "pack_id", "battery_array_id", "system_id", "power", "voltage", "current",
                "temperature", "soc", "basic_st", "volt_st", "current_st", "temp_st", "soh_st", "coul_st",
                "heater_st", "bat_events", "power_events", "sys_events", "details", "flags")
CELL_COLUMNS = ("ts", "pack_id", "battery_array_id", "system_id", "cells", "flags")
METER_COLUMNS = ("ts", "meter_id", "system_id", "array_id", "grid_power_w", "grid_voltage_v", "grid_current_a",
                 "grid_frequency_hz", "grid_import_wh", "grid_export_wh", "energy_kwh", "power_factor",
                 "voltage_phase_a", "voltage_phase_b", "voltage_phase_c", "current_phase_a", "current_phase_b",
                 "current_phase_c", "power_phase_a", "power_phase_b", "power_phase_c", "reactive_power_var",
                 "apparent_power_va", "details", "flags")
ARRAY_COLUMNS = ("ts", "array_id", "system_id", "pv_power_w", "load_power_w", "grid_power_w", "batt_power_w",
                 "batt_soc_pct", "batt_voltage_v", "batt_current_a", "flags")
COLUMNS = {"energy_samples": ENERGY_COLUMNS, "battery_bank_samples": BANK_COLUMNS,
           "battery_unit_samples": UNIT_COLUMNS, "battery_cell_readings": CELL_COLUMNS,
           "meter_samples": METER_COLUMNS, "array_samples": ARRAY_COLUMNS}

_INVERTER_MAPPED = {"pv_power_w", "load_power_w", "grid_power_w", "battery_voltage_v", "battery_current_a",
                    "battery_soc_pct", "inverter_temperature_c", "grid_import_total_kwh", "grid_export_total_kwh",
                    "battery_power_w", "grid_voltage_v", "grid_frequency_hz", "pv_energy_total_kwh",
                    "load_energy_total_kwh", "battery_charge_total_kwh", "battery_discharge_total_kwh"}
_BANK_MAPPED = {"voltage_v", "current_a", "temperature_c", "soc_pct", "power_w", "soh_pct", "cycles",
                "remaining_ah", "full_ah", "cell_min_v", "cell_max_v", "cell_delta_v", "balancing", "batteries",
                "cell_voltages_v"}
#: A unit's values that have columns of their own, or live in the cell reading.
_UNIT_MAPPED = {"voltage_v", "current_a", "temperature_c", "soc_pct", "status", "statuses", "index",
                "cell_voltages_v", "cell_temperatures_c", "balancing"}
#: Identity values (READINGS.md) belong to the catalog and registry, not to every sample row.
IDENTITY = {"serial_number", "model", "hardware_version", "software_version", "device_type", "protocol_version",
            "rated_power_w"}
_METER_MAPPED = {"power_w", "voltage_v", "current_a", "frequency_hz", "import_energy_kwh", "export_energy_kwh",
                 "power_factor", "voltages_v", "currents_a", "powers_w", "reactive_power_var", "apparent_power_va"}


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _int(value: object) -> int | None:
    number = _num(value)
    return int(round(number)) if number is not None else None


def _wh(kwh: object) -> float | None:
    number = _num(kwh)
    # Rounded to the milliwatt-hour: 1.001 kWh is 1001 Wh, not the double's 1000.9999999999999.
    return round(number * 1000.0, 3) if number is not None else None


def _at(values: Any, index: int) -> float | None:
    return _num(values[index]) if isinstance(values, (list, tuple)) and len(values) > index else None


def _details(values: Mapping[str, Any], mapped: set[str], details: Mapping[str, Any]) -> str | None:
    extra = {k: v for k, v in values.items() if k not in mapped and k not in IDENTITY and v is not None}
    if details:
        extra["details"] = dict(details)
    return compact_json(extra) if extra else None


def inverter_rows(ctx: DeviceContext, ts: int, reading: Reading, flags: int = 0) -> Rows:
    """One energy_samples row."""
    v = reading.values
    state = v.get("state")
    return {"energy_samples": [(
        ts, ctx.catalog_id, ctx.array_id, ctx.system_id, _int(v.get("pv_power_w")), _int(v.get("load_power_w")),
        _int(v.get("grid_power_w")), _num(v.get("battery_voltage_v")), _num(v.get("battery_current_a")),
        _num(v.get("battery_soc_pct")), _num(v.get("battery_soc_pct")), _num(v.get("battery_voltage_v")),
        _num(v.get("battery_current_a")), state if isinstance(state, int) else None,
        _num(v.get("inverter_temperature_c")), _wh(v.get("grid_import_total_kwh")),
        _wh(v.get("grid_export_total_kwh")), _int(v.get("battery_power_w")), _num(v.get("grid_voltage_v")),
        _num(v.get("grid_frequency_hz")), _num(v.get("pv_energy_total_kwh")), _num(v.get("load_energy_total_kwh")),
        _num(v.get("battery_charge_total_kwh")), _num(v.get("battery_discharge_total_kwh")),
        _details(v, _INVERTER_MAPPED, reading.details), flags)]}


def battery_rows(ctx: DeviceContext, ts: int, reading: Reading, *, with_cells: bool = True, flags: int = 0) -> Rows:
    """One battery_bank_samples row, a row per battery unit, and (when asked) one cell reading."""
    v = dict(reading.values)
    if reading.kind == "bess":
        v.setdefault("soc_pct", v.get("soe_pct"))
    units = [u for u in as_list(v.get("batteries")) if isinstance(u, Mapping)]
    cell_lists = [u.get("cell_voltages_v") for u in units] if units else [v.get("cell_voltages_v")]
    cells_per = max((len(c) for c in cell_lists if isinstance(c, list)), default=None)
    power = _num(v.get("power_w"))
    voltage, current = _num(v.get("voltage_v")), _num(v.get("current_a"))
    if power is None and voltage is not None and current is not None:
        power = voltage * current
    # A single-unit pack's cells (and their probes) are in its cell reading; a bank's are in its units'.
    bank_mapped = _BANK_MAPPED | ({"cell_temperatures_c"} if not units else set())
    bank = (ts, ctx.catalog_id, ctx.battery_array_id, ctx.system_id, _num(v.get("voltage_v")),
            _num(v.get("current_a")), _num(v.get("temperature_c")), _num(v.get("soc_pct")),
            len(units) or (1 if v.get("cell_voltages_v") else None), cells_per,
            _int(power), _num(v.get("soh_pct")), _int(v.get("cycles")), _num(v.get("remaining_ah")),
            _num(v.get("full_ah")), _num(v.get("cell_min_v")), _num(v.get("cell_max_v")),
            _num(v.get("cell_delta_v")), bool(v["balancing"]) if isinstance(v.get("balancing"), bool) else None,
            _details(v, bank_mapped, reading.details), flags)
    rows: Rows = {"battery_bank_samples": [bank], "battery_unit_samples": [], "battery_cell_readings": []}
    for position, unit in enumerate(units):
        # The catalog's battery_index is the unit's position in the list (absent units keep their slot);
        # `power`, the document's unit number, is the BMS's own numbering where it gives one.
        number = unit.get("index") if isinstance(unit.get("index"), int) else position + 1
        battery_id = ctx.battery_ids.get(position)
        if battery_id is None or str(unit.get("status", "")).lower() == "absent":
            continue
        statuses = unit.get("statuses")
        status: Mapping[str, Any] = statuses if isinstance(statuses, Mapping) else {}
        rows["battery_unit_samples"].append((
            ts, battery_id, ctx.catalog_id, ctx.battery_array_id, ctx.system_id, number,
            _num(unit.get("voltage_v")), _num(unit.get("current_a")), _num(unit.get("temperature_c")),
            _num(unit.get("soc_pct")), _text(unit.get("status")), _text(status.get("volt_st")),
            _text(status.get("current_st")), _text(status.get("temp_st")), _text(status.get("soh_st")),
            _text(status.get("coul_st")), _text(status.get("heater_st")), None, None, None,
            _details(unit, _UNIT_MAPPED, {}), flags))
    if with_cells:
        present = [u if str(u.get("status", "")).lower() != "absent" else {} for u in units]
        cell_units = cell_store.units_from_reading(present or [{
            "cell_voltages_v": v.get("cell_voltages_v"), "cell_temperatures_c": v.get("cell_temperatures_c"),
            "balancing": None}])
        if cell_units:
            rows["battery_cell_readings"].append((ts, ctx.catalog_id, ctx.battery_array_id, ctx.system_id,
                                                  cell_store.encode(cell_units), flags))
    return rows


def _text(value: object) -> str | None:
    return str(value) if value is not None else None


def meter_rows(ctx: DeviceContext, ts: int, reading: Reading, flags: int = 0) -> Rows:
    """One meter_samples row."""
    v = reading.values
    voltages, currents, powers = v.get("voltages_v"), v.get("currents_a"), v.get("powers_w")
    return {"meter_samples": [(
        ts, ctx.catalog_id, ctx.system_id, ctx.array_id, _int(v.get("power_w")), _num(v.get("voltage_v")),
        _num(v.get("current_a")), _num(v.get("frequency_hz")), _int(_wh(v.get("import_energy_kwh"))),
        _int(_wh(v.get("export_energy_kwh"))), None, _num(v.get("power_factor")),
        _at(voltages, 0), _at(voltages, 1), _at(voltages, 2), _at(currents, 0), _at(currents, 1), _at(currents, 2),
        _int(_at(powers, 0)), _int(_at(powers, 1)), _int(_at(powers, 2)), _num(v.get("reactive_power_var")),
        _num(v.get("apparent_power_va")), _details(v, _METER_MAPPED, reading.details), flags)]}


def rows_for(ctx: DeviceContext, ts: int, reading: Reading, *, with_cells: bool = True, flags: int = 0) -> Rows:
    """The sample rows of a reading, by the device's catalog kind; `flags` marks an untrusted clock."""
    if ctx.kind == "inverter":
        return inverter_rows(ctx, ts, reading, flags)
    if ctx.kind == "meter":
        return meter_rows(ctx, ts, reading, flags)
    return battery_rows(ctx, ts, reading, with_cells=with_cells, flags=flags)


_ENERGY_AT = {name: i for i, name in enumerate(ENERGY_COLUMNS)}
_SUMMED = tuple(_ENERGY_AT[c] for c in ("pv_power_w", "load_power_w", "grid_power_w", "battery_power_w"))
_AVERAGED = tuple(_ENERGY_AT[c] for c in ("battery_soc", "battery_voltage_v"))
_CURRENT, _TS_AT, _FLAGS_AT = _ENERGY_AT["battery_current_a"], _ENERGY_AT["ts"], _ENERGY_AT["flags"]


def array_row(array_id: str, system_id: str, ts: int, latest: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """An array_samples row from the latest energy_samples row of each of the array's inverters."""
    if len(latest) == 1:  # the usual array: one inverter, its own values
        row = latest[0]
        sums: list[Any] = [None if row[at] is None else int(row[at]) for at in _SUMMED]
        means: list[Any] = [row[at] for at in _AVERAGED]
        current = row[_CURRENT]
        flags = row[_FLAGS_AT] if len(row) > _FLAGS_AT else 0
        return (ts, array_id, system_id, *sums, *means, current, flags)
    # One transpose in C instead of a Python index per row and column (the writer pays this per poll instant).
    columns = list(zip(*latest))
    sums = []
    for at in _SUMMED:
        values = [v for v in columns[at] if v is not None]
        sums.append(int(sum(values)) if values else None)
    means = []
    for at in _AVERAGED:
        values = [v for v in columns[at] if v is not None]
        means.append(sum(values) / len(values) if values else None)
    currents = [v for v in columns[_CURRENT] if v is not None]
    # The array row carries the clock flags of its newest inverter row (rows without the column: 0).
    newest = latest[columns[_TS_AT].index(max(columns[_TS_AT]))]
    flags = newest[_FLAGS_AT] if len(newest) > _FLAGS_AT else 0
    return (ts, array_id, system_id, *sums, *means, sum(currents) if currents else None, flags)
