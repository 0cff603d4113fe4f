"""The read side for the web UI and API: chart series, daily and monthly energy, today's totals.

Everything reads the rollup tables; only today_totals reads raw samples, and only the tail of
today that the last rollup run has not folded in yet.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from appliance import clock
from appliance.energy.localtime import day_bounds, local_date, parse_date, zone
from appliance.energy.pairs import bucket_energies
from appliance.energy.sources import BUCKET_MS, RollupConfig
from appliance.errors import NotFoundError, ValidationError
from appliance.store import cells as cell_store
from appliance.store import energy_catalog
from appliance.store import energy_history as sql
from appliance.store import rollup_queue as queue_sql
from appliance.store import rollup_sources as samples
from appliance.store.energy_history import ENERGY_TABLES
from appliance.store.models import database
from appliance.store.rollup_sources import ENERGY
from appliance.store.sqltypes import SqlRow

LEVELS = tuple(energy_catalog.LEVEL_TABLES)
RESOLUTIONS = {"5m": BUCKET_MS, "1h": 3_600_000, "1d": 86_400_000}
MAX_POINTS = 10_000
MAX_DAYS = 3660
KEYS = ("ts", "pv_power_w", "load_power_w", "grid_power_w", "battery_power_w", "soc_pct", "pv_energy_kwh",
        "load_energy_kwh", "import_kwh", "export_kwh", "charge_kwh", "discharge_kwh")


def _system_of(level: str, entity_id: str) -> str:
    system = energy_catalog.system_of(level, entity_id)
    if system is None:
        raise NotFoundError(f"no {level.replace('_', ' ')} {entity_id!r}", field="entity_id")
    return system


def _zone_of(system_id: str) -> ZoneInfo:
    found = energy_catalog.system_locale(system_id)
    if found is None:
        raise NotFoundError(f"no system {system_id!r}", field="system_id")
    return zone(found.timezone)


def _check_range(start_ms: Any, end_ms: Any, resolution: str) -> None:
    for name, value in (("start_ms", start_ms), ("end_ms", end_ms)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"{name} must be epoch milliseconds (an integer)", field=name)
    if end_ms <= start_ms:
        raise ValidationError("end_ms must be after start_ms", field="end_ms")
    if (end_ms - start_ms) // RESOLUTIONS[resolution] > MAX_POINTS:
        raise ValidationError(f"the range holds more than {MAX_POINTS} points at {resolution}: "
                              "choose a coarser resolution", field="resolution")


def _row(values: SqlRow) -> dict[str, Any]:
    return dict(zip(KEYS, values))


def _per_hour(energy_in: float | None, energy_out: float | None, hours: float) -> float | None:
    """A day's mean power (W) from its energies, + for energy in (import, discharge)."""
    if energy_in is None and energy_out is None:
        return None
    return ((energy_in or 0.0) - (energy_out or 0.0)) * 1000.0 / hours


def _dates(start_ms: int, end_ms: int, tz: ZoneInfo) -> tuple[str, str]:
    return local_date(start_ms, tz).isoformat(), local_date(end_ms, tz).isoformat()


def _energy_series(level: str, entity: str, resolution: str, start: int, end: int,
                   tz: ZoneInfo) -> list[dict[str, Any]]:
    if resolution == "5m":
        return [_row(r) for r in sql.energy_five_minutes(level, entity, start, end)]
    first, last = _dates(start, end, tz)
    if resolution == "1h":
        return [_row(r) for r in sql.energy_hours(level, entity, first, last, start, end)]
    out = []
    for r in sql.energy_days(level, entity, first, last):
        day_start, day_end = day_bounds(date.fromisoformat(r[0]), tz)
        if not start <= day_start < end:
            continue
        hours = (day_end - day_start) / 3_600_000
        out.append(_row((day_start, r[1], r[2], _per_hour(r[6], r[7], hours), _per_hour(r[9], r[8], hours), r[3],
                         r[4], r[5], r[6], r[7], r[8], r[9])))
    return out


def _device_series(level: str, entity: str, resolution: str, start: int, end: int,
                   tz: ZoneInfo) -> list[dict[str, Any]]:
    first, last = _dates(start, end, tz)
    if level == "meter":
        if resolution != "1d":
            rows = sql.meter_points(resolution, entity, start, end, first, last)
            return [_row((r[0], None, None, r[1], None, None, None, None, r[2], r[3], None, None)) for r in rows]
        days = sql.meter_days(entity, first, last)
        values = [(day_bounds(date.fromisoformat(r[0]), tz), r[1], r[2]) for r in days]
        return [_row((s, None, None, _per_hour(i, x, (e - s) / 3_600_000), None, None, None, None, i, x, None, None))
                for (s, e), i, x in values if start <= s < end]
    if resolution != "1d":
        points = sql.pack_points(resolution, entity, start, end, first, last)
        return [_row((r[0], None, None, None, r[1], r[2], None, None, None, None, r[3], r[4])) for r in points]
    packs = [(day_bounds(date.fromisoformat(r[0]), tz), r[1], r[2], r[3]) for r in sql.pack_days(entity, first, last)]
    return [_row((s, None, None, None, _per_hour(d, c, (e - s) / 3_600_000), soc, None, None, None, None, c, d))
            for (s, e), soc, c, d in packs if start <= s < end]


def series(level: str, entity_id: str, resolution: str, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
    """Chart points of one entity in [start_ms, end_ms) at 5m, 1h or 1d, oldest first."""
    if level not in LEVELS:
        raise ValidationError(f"level must be one of {', '.join(LEVELS)}", field="level")
    if resolution not in RESOLUTIONS:
        raise ValidationError(f"resolution must be one of {', '.join(RESOLUTIONS)}", field="resolution")
    _check_range(start_ms, end_ms, resolution)
    tz = _zone_of(_system_of(level, entity_id))
    if level in ENERGY_TABLES:
        return _energy_series(level, entity_id, resolution, start_ms, end_ms, tz)
    return _device_series(level, entity_id, resolution, start_ms, end_ms, tz)


def _system_days(system_id: str, first: str, last: str) -> dict[str, dict[str, Any]]:
    return {day["date"]: dict(day) for day in sql.system_days(system_id, first, last)}


def daily_energy(system_id: str, start_date: date | str, end_date: date | str) -> list[dict[str, Any]]:
    """One row per local date from start_date to end_date inclusive; values are None for days without data."""
    first, last = parse_date(start_date, "start_date"), parse_date(end_date, "end_date")
    if last < first:
        raise ValidationError("end_date must not be before start_date", field="end_date")
    if (last - first).days >= MAX_DAYS:
        raise ValidationError(f"at most {MAX_DAYS} days at once", field="end_date")
    _zone_of(system_id)
    found = _system_days(system_id, first.isoformat(), last.isoformat())
    blank = dict.fromkeys(("pv_energy_kwh", "pv_peak_hour", "load_energy_kwh", "import_kwh", "export_kwh",
                           "charge_kwh", "discharge_kwh", "cycles", "min_soc_pct", "max_soc_pct", "import_cost",
                           "export_revenue", "saving", "currency"))
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [found.get(d.isoformat(), {"date": d.isoformat(), **blank}) for d in days]


def _add(a: float | None, b: float | None) -> float | None:
    return a if b is None else (b if a is None else a + b)


def monthly_energy(system_id: str, year: int) -> list[dict[str, Any]]:
    """Twelve rows (month 1-12) of a year's summed daily energies and cycles; None where a month has no data."""
    if isinstance(year, bool) or not isinstance(year, int) or not 1970 <= year <= 9999:
        raise ValidationError("year must be a whole year such as 2026", field="year")
    _zone_of(system_id)
    sums = ("pv_energy_kwh", "load_energy_kwh", "import_kwh", "export_kwh", "charge_kwh", "discharge_kwh", "cycles",
            "import_cost", "export_revenue", "saving")
    months: list[dict[str, Any]] = [{"month": m, "days": 0, **dict.fromkeys(sums), "currency": None}
                                    for m in range(1, 13)]
    mixed: set[int] = set()
    for day in sorted(_system_days(system_id, f"{year}-01-01", f"{year}-12-31").values(), key=lambda d: d["date"]):
        month = months[int(day["date"][5:7]) - 1]
        month["days"] += 1
        for key in sums:
            month[key] = _add(month[key], day[key])
        if day["currency"] is not None and month["currency"] not in (None, day["currency"]):
            mixed.add(month["month"])  # the system's currency changed within the month: the sums mean nothing
        month["currency"] = day["currency"] or month["currency"]
    for month in months:
        if month["month"] in mixed:
            month.update(import_cost=None, export_revenue=None, saving=None, currency=None)
    return months


def _tail(conn: sqlite3.Connection, system_id: str, day_start: int, now_ms: int, cfg: RollupConfig) -> list[float]:
    """Energies of today's sample pairs that end after the watermark (not rolled up yet)."""
    mark = queue_sql.watermark(conn, "energy_samples")
    # Pairs ending at or before the watermark are in the rollups already; today's start bounds the rest.
    floor = max(mark, day_start - 1) if mark is not None else day_start - 1
    totals = [0.0] * len(ENERGY.quantities)
    layout = samples.pair_layout(ENERGY)
    for inverter in energy_catalog.inverters_of(system_id, conn):
        before = queue_sql.last_trusted_at_or_before(conn, "energy_samples", "inverter_id", inverter, floor,
                                                     not_before=day_start - cfg.gap_limit_ms)
        rows = samples.pair_rows(conn, ENERGY, inverter, before if before is not None else day_start, now_ms)
        if len(rows) < 2:
            continue
        columns = list(zip(*rows))
        quantities = [(columns[p], sign, columns[c] if c is not None else None) for p, sign, c in layout]
        lo = max(day_start, columns[0][0] - columns[0][0] % BUCKET_MS)
        found = bucket_energies(columns[0], quantities, lo, now_ms - now_ms % BUCKET_MS + BUCKET_MS,
                                cfg.gap_limit_ms, cfg.max_counter_power_w)
        for energies in found.energies.values():
            for i, value in enumerate(energies):
                totals[i] += value or 0.0
    return totals


def _pct(part: float, whole: float) -> float | None:
    return None if whole <= 0 else max(0.0, min(100.0, part / whole * 100.0))


def today_totals(system_id: str, now_ms: int | None = None) -> dict[str, Any]:
    """Today's (local) energies of a system from its rollups plus the not-yet-rolled tail, with self-consumption
    and autarky in percent."""
    now = clock.now_ms() if now_ms is None else now_ms
    tz = _zone_of(system_id)
    today = local_date(now, tz)
    day_start, _ = day_bounds(today, tz)
    conn = database.connection()
    rolled = _system_days(system_id, today.isoformat(), today.isoformat()).get(today.isoformat(), {})
    tail = _tail(conn, system_id, day_start, now, RollupConfig())
    # ENERGY's quantities: solar, load, charge, discharge, import, export.
    pv = (rolled.get("pv_energy_kwh") or 0.0) + tail[0]
    load = (rolled.get("load_energy_kwh") or 0.0) + tail[1]
    charge = (rolled.get("charge_kwh") or 0.0) + tail[2]
    discharge = (rolled.get("discharge_kwh") or 0.0) + tail[3]
    imported = (rolled.get("import_kwh") or 0.0) + tail[4]
    exported = (rolled.get("export_kwh") or 0.0) + tail[5]
    return {"date": today.isoformat(), "pv_energy_kwh": pv, "load_energy_kwh": load, "import_kwh": imported,
            "export_kwh": exported, "charge_kwh": charge, "discharge_kwh": discharge,
            "self_consumption_pct": _pct(pv - exported, pv), "autarky_pct": _pct(load - imported, load)}


def cell_history(pack_id: str, start_ms: int, end_ms: int, limit: int = 2000) -> list[cell_store.CellReadingJson]:
    """A pack's cell readings in [start_ms, end_ms), oldest first: per reading its units with cell voltages,
    probe temperatures and balancing (the stored encoding stays in appliance.store.cells)."""
    if not isinstance(start_ms, int) or not isinstance(end_ms, int) or end_ms <= start_ms:
        raise ValidationError("cell history needs whole epoch ms with end after start", field="to")
    if not 1 <= limit <= 10_000:
        raise ValidationError("limit must be between 1 and 10000", field="limit")
    return [reading.to_json() for reading in cell_store.read_cells(pack_id, start_ms, end_ms, limit=limit)]


def latest_cells(pack_id: str) -> cell_store.CellReadingJson | None:
    """A pack's newest cell reading (units, cell voltages, probes, balancing), or None."""
    reading = cell_store.latest_cells(pack_id)
    return reading.to_json() if reading is not None else None
