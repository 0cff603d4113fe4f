"""The rules fed by polls: a device offline, slow or on a backup adapter; a pack's cells, temperature, charge
and alarms. Pure: a poll event and the settings in, observations out (the engine applies the holds)."""

from __future__ import annotations

import math
from typing import Iterable

from appliance import vocabulary
from appliance.acquisition.events import PollEvent
from appliance.alerts.engine import Observation
from appliance.alerts.settings import RuleSettings
from appliance.jsontypes import Json, JsonObject, as_list, as_object

#: Hysteresis: a condition clears only this far inside its threshold, so a value resting on it does not flap.
CELL_SPREAD_CLEAR = 0.8  # of the spread threshold
CELL_VOLTAGE_BAND_V = 0.02
TEMPERATURE_BAND_C = 2.0
SOC_BAND_PCT = 5.0


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _obs(event: PollEvent, kind: str, state: bool | None, message: str = "", *, entity: str | None = None,
         details: Json | None = None, signature: str = "", severity: str | None = None) -> Observation:
    ctx = event.ctx
    return Observation(kind, ctx.device_id, state, event.ts_ms, message, device_id=ctx.device_id,
                       system_id=ctx.system_id, entity=entity, details=details or {}, signature=signature,
                       severity=severity)


def poll_rules(event: PollEvent, settings: RuleSettings) -> list[Observation]:
    """Offline, degraded and failover from the outcome of one poll."""
    name = event.ctx.name
    if event.ok:
        slow_ms = settings.get("device_degraded", "response_ms")
        slow = event.response_time_ms is not None and event.response_time_ms > slow_ms
        backup = event.adapter_index > 0
        preferred = event.ctx.adapters[0].adapter_id if event.ctx.adapters else event.adapter_id
        return [
            _obs(event, "device_offline", False),
            _obs(event, "device_degraded", slow,
                 f"{name} answers slowly: {event.response_time_ms} ms (alert above {slow_ms:g} ms)",
                 entity=f"adapter {event.adapter_id}", details={"response_time_ms": event.response_time_ms},
                 signature="slow"),
            _obs(event, "adapter_failover", backup,
                 f"{name} is read through its backup adapter {event.adapter_id}: {preferred} does not answer",
                 entity=f"adapter {event.adapter_id}", details={"adapter_id": event.adapter_id,
                                                                "preferred_adapter_id": preferred},
                 signature=event.adapter_id),
        ]
    if event.garbled:
        return [_obs(event, "device_degraded", True, f"{name} answers with data that cannot be read: {event.error}",
                     entity=f"adapter {event.adapter_id}", details={"error": event.error}, signature="garbled")]
    enough = event.failures >= settings.get("device_offline", "failed_polls")
    return [_obs(event, "device_offline", True if enough else None,
                 f"{name} does not answer via {event.adapter_id}: {event.error}",
                 entity=f"adapter {event.adapter_id}", details={"error": event.error, "failures": event.failures})]


def _units(values: JsonObject) -> list[tuple[str, JsonObject]]:
    """(label, unit values) of each unit of a pack; a pack reporting its cells at the top level is one unit."""
    units = [as_object(u) for u in as_list(values.get("batteries")) if isinstance(u, dict)]
    if len(units) > 1:
        return [(f"unit {u.get('index', i + 1)}", u) for i, u in enumerate(units)]
    if units and units[0].get("cell_voltages_v"):
        return [("", units[0])]
    return [("", values)]


def _cells(unit: JsonObject) -> list[float]:
    cells = [_num(v) for v in as_list(unit.get("cell_voltages_v"))]
    # 0 V is a slot the BMS does not fill (or did not measure), not a cell at 0 V.
    return [v if v is not None and v > 0 else math.nan for v in cells]


def battery_rules(event: PollEvent, settings: RuleSettings) -> list[Observation]:
    """Cell imbalance and range, pack temperature, charge and BMS alarms from a battery reading."""
    reading = event.reading
    if reading is None or reading.kind not in ("battery", "bess"):
        return []
    values = reading.values
    return [*_imbalance(event, values, settings), *_cell_range(event, values, settings),
            *_temperatures(event, values, settings), *_charge(event, values, settings), *_alarms(event, values)]


def _imbalance(event: PollEvent, values: JsonObject, settings: RuleSettings) -> list[Observation]:
    limit_mv = settings.get("cell_imbalance", "spread_mv")
    worst: tuple[float, str, list[float]] | None = None
    for where, unit in _units(values):
        cells = [v for v in _cells(unit) if not math.isnan(v)]
        if len(cells) >= 2:
            spread = (max(cells) - min(cells)) * 1000
            if worst is None or spread > worst[0]:
                worst = (spread, where, _cells(unit))
    if worst is None:
        return []
    spread, where, cells = worst
    state = True if spread > limit_mv else False if spread < limit_mv * CELL_SPREAD_CLEAR else None
    known = [(v, i + 1) for i, v in enumerate(cells) if not math.isnan(v)]
    (high, high_at), (low, low_at) = max(known), min(known)
    place = f" in {where}" if where else ""
    message = (f"{event.ctx.name}: cells out of balance by {spread:.0f} mV{place} (cell {high_at} at {high:.3f} V, "
               f"cell {low_at} at {low:.3f} V; alert above {limit_mv:g} mV)")
    return [_obs(event, "cell_imbalance", state, message, entity=where or "cells",
                 details={"spread_mv": round(spread, 1), "high_cell": high_at, "low_cell": low_at})]


def _cell_range(event: PollEvent, values: JsonObject, settings: RuleSettings) -> list[Observation]:
    low_v, high_v = settings.get("cell_voltage", "low_v"), settings.get("cell_voltage", "high_v")
    found: list[tuple[float, int, str]] = []
    for where, unit in _units(values):
        found += [(v, i + 1, where) for i, v in enumerate(_cells(unit)) if not math.isnan(v)]
    if not found:
        return []
    lowest, highest = min(found), max(found)
    name = event.ctx.name
    if highest[0] > high_v:
        v, index, where = highest
        return [_obs(event, "cell_voltage", True, f"{name}: cell {index}{' of ' + where if where else ''} is at "
                     f"{v:.3f} V, above {high_v:g} V", entity=f"cell {index}", signature="high",
                     details={"cell": index, "voltage_v": v})]
    if lowest[0] < low_v:
        v, index, where = lowest
        return [_obs(event, "cell_voltage", True, f"{name}: cell {index}{' of ' + where if where else ''} is at "
                     f"{v:.3f} V, below {low_v:g} V", entity=f"cell {index}", signature="low",
                     details={"cell": index, "voltage_v": v})]
    inside = lowest[0] >= low_v + CELL_VOLTAGE_BAND_V and highest[0] <= high_v - CELL_VOLTAGE_BAND_V
    return [_obs(event, "cell_voltage", False if inside else None)]


def _temperatures(event: PollEvent, values: JsonObject, settings: RuleSettings) -> list[Observation]:
    temps = [_num(values.get("temperature_c")), *(_num(t) for t in as_list(values.get("cell_temperatures_c")))]
    for _, unit in _units(values):
        if unit is not values:
            temps += [_num(unit.get("temperature_c")), *(_num(t) for t in as_list(unit.get("cell_temperatures_c")))]
    known = [t for t in temps if t is not None]
    if not known:
        return []
    high_c, low_c = settings.get("pack_temperature", "high_c"), settings.get("pack_temperature", "low_c")
    hottest, coldest, name = max(known), min(known), event.ctx.name
    hot = True if hottest > high_c else False if hottest < high_c - TEMPERATURE_BAND_C else None
    cold = True if coldest < low_c else False if coldest > low_c + TEMPERATURE_BAND_C else None
    return [_obs(event, "pack_temperature_high", hot, f"{name} is at {vocabulary.number(hottest, 1, '°C')}, above "
                 f"{high_c:g} °C", entity="temperature", details={"temperature_c": hottest}),
            _obs(event, "pack_temperature_low", cold, f"{name} is at {vocabulary.number(coldest, 1, '°C')}, below "
                 f"{low_c:g} °C", entity="temperature", details={"temperature_c": coldest})]


def _charge(event: PollEvent, values: JsonObject, settings: RuleSettings) -> list[Observation]:
    soc = _num(values.get("soc_pct"))
    if soc is None:
        return []
    limit = settings.get("soc_low", "soc_pct")
    state = True if soc < limit else False if soc >= limit + SOC_BAND_PCT else None
    return [_obs(event, "soc_low", state, f"{event.ctx.name} is charged to {soc:.0f} %, below {limit:g} %",
                 entity="charge", details={"soc_pct": soc})]


def alarm_names(values: JsonObject) -> list[str]:
    """The alarm and protection flags a battery reading carries, its units' included, without repeats."""
    names: list[str] = []
    for source in [values, *(as_object(u) for u in as_list(values.get("batteries")) if isinstance(u, dict))]:
        for name in as_list(source.get("alarms")):
            if isinstance(name, str) and name and name not in names:
                names.append(name)
    return names


def _alarms(event: PollEvent, values: JsonObject) -> list[Observation]:
    if "alarms" not in values and not any(isinstance(u, dict) and "alarms" in u
                                          for u in as_list(values.get("batteries"))):
        return []  # this driver reports no alarms: nothing to say either way
    names = alarm_names(values)
    if not names:
        return [_obs(event, "bms_alarm", False)]
    words = ", ".join(vocabulary.humanize(n).lower() for n in names)
    return [_obs(event, "bms_alarm", True, f"{event.ctx.name} reports: {words}", entity="BMS",
                 details={"alarms": names}, signature=",".join(sorted(names)))]


def subjects(observations: Iterable[Observation]) -> set[str]:
    """The subjects some observations are about."""
    return {o.subject for o in observations}
