"""Energy totals of a period as bars: hours of a day, the last 7 days, days of a month, months of a year.

Every figure comes from the rollups (hourly and daily tables, the daily cost columns, and the hourly
costs of `market`), so bars and totals agree with the daily summaries and the CSV. A bar without data
holds None in every quantity: the UI shows it empty, never as 0.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from appliance.energy import history, market
from appliance.energy.localtime import HOUR_MS, day_bounds, hours_between, parse_date, zone
from appliance.errors import NotFoundError, ValidationError
from appliance.store import energy_catalog
from appliance.store.energy_history import system_hours

PERIODS = ("day", "week", "month", "year")
ENERGY_KEYS = ("pv_energy_kwh", "load_energy_kwh", "import_kwh", "export_kwh", "charge_kwh", "discharge_kwh")
COST_KEYS = ("import_cost", "export_revenue", "saving")


def _add(a: float | None, b: float | None) -> float | None:
    return a if b is None else (b if a is None else a + b)


def _pct(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole or whole <= 0:
        return None
    return max(0.0, min(100.0, part / whole * 100.0))


def ratios(values: dict[str, Any]) -> dict[str, float | None]:
    """Self-consumption (share of solar used at home) and self-sufficiency (share of consumption not imported)."""
    pv, export = values.get("pv_energy_kwh"), values.get("export_kwh")
    load, imported = values.get("load_energy_kwh"), values.get("import_kwh")
    return {"self_consumption_pct": _pct(None if pv is None else pv - (export or 0.0), pv),
            "autarky_pct": _pct(None if load is None else load - (imported or 0.0), load)}


def _window(period: str, day: date) -> tuple[date, date]:
    """First and last local date of a period around `day` (the week is the 7 days ending on `day`)."""
    if period == "day":
        return day, day
    if period == "week":
        return day - timedelta(days=6), day
    if period == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return day.replace(month=1, day=1), day.replace(month=12, day=31)


def _hour_bars(system_id: str, day: date, tz: Any) -> list[dict[str, Any]]:
    start, end = day_bounds(day, tz)
    found = {r[0]: r[1:] for r in system_hours(system_id, day.isoformat())}
    costs = {h["hour_start"]: h for h in market.costs_for_day(system_id, day)["hours"]}
    bars = []
    for hour in hours_between(start, end, tz):
        values = found.get(hour)
        bar: dict[str, Any] = {"start": hour, "end": hour + HOUR_MS, **dict.fromkeys(ENERGY_KEYS + COST_KEYS)}
        if values is not None:
            bar.update(zip(ENERGY_KEYS, values))
            cost = costs.get(hour)
            if cost is not None:
                bar["import_cost"], bar["export_revenue"] = cost["import_cost"], cost["export_revenue"]
                parts = (cost["no_pv_cost"], cost["import_cost"], cost["export_revenue"])
                bar["saving"] = None if None in parts else parts[0] - parts[1] + parts[2]
        bars.append(bar)
    return bars


def _day_bars(system_id: str, first: date, last: date, tz: Any) -> list[dict[str, Any]]:
    bars = []
    for row in history.daily_energy(system_id, first, last):
        start, end = day_bounds(date.fromisoformat(row["date"]), tz)
        bars.append({"start": start, "end": end, "date": row["date"],
                     **{k: row.get(k) for k in ENERGY_KEYS + COST_KEYS}})
    return bars


def _month_bars(system_id: str, year: int, tz: Any) -> list[dict[str, Any]]:
    bars = []
    for row in history.monthly_energy(system_id, year):
        first = date(year, row["month"], 1)
        after = date(year + 1, 1, 1) if row["month"] == 12 else date(year, row["month"] + 1, 1)
        bars.append({"start": day_bounds(first, tz)[0], "end": day_bounds(after, tz)[0],
                     "month": f"{year}-{row['month']:02d}", **{k: row.get(k) for k in ENERGY_KEYS + COST_KEYS}})
    return bars


def _totals(bars: list[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = dict.fromkeys(ENERGY_KEYS + COST_KEYS)
    for bar in bars:
        for key in ENERGY_KEYS:
            totals[key] = _add(totals[key], bar[key])
    # A cost total only when every bar with energy has its cost: a sum that skips unknown days looks complete.
    with_energy = [b for b in bars if any(b[k] for k in ENERGY_KEYS)]
    for key in COST_KEYS:
        known = [b[key] for b in with_energy]
        totals[key] = sum(known) if known and None not in known else None
    totals.update(ratios(totals))
    return totals


def period_energy(system_id: str, period: str, day: date | str) -> dict[str, Any]:
    """A system's energy bars of a period around a local date, with the period's totals and currency."""
    if period not in PERIODS:
        raise ValidationError(f"period must be one of {', '.join(PERIODS)}", field="period")
    day = parse_date(day, "date")
    system = energy_catalog.system_locale(system_id)
    if system is None:
        raise NotFoundError(f"no system {system_id!r}", field="system_id")
    tz = zone(system.timezone)
    first, last = _window(period, day)
    if period == "day":
        bars, resolution = _hour_bars(system_id, day, tz), "hour"
    elif period == "year":
        bars, resolution = _month_bars(system_id, day.year, tz), "month"
    else:
        bars, resolution = _day_bars(system_id, first, last, tz), "day"
    # Costs show where a tariff exists: an hour without energy costs 0 even without one, which is no answer.
    end = bars[-1]["end"] if bars else 0
    has_costs = any(market.price_at(t, system_id, end - 1) is not None for t in market.TARIFFS) and \
        any(b[k] is not None for b in bars for k in COST_KEYS)
    return {"system_id": system_id, "period": period, "resolution": resolution, "first": first.isoformat(),
            "last": last.isoformat(), "timezone": str(tz), "currency": system.currency, "bars": bars,
            "totals": _totals(bars), "has_costs": has_costs}


def shift(period: str, day: date, steps: int) -> date:
    """The date `steps` periods before (negative) or after `day`, for earlier/later links."""
    if period == "day":
        return day + timedelta(days=steps)
    if period == "week":
        return day + timedelta(days=7 * steps)
    if period == "month":
        month = day.year * 12 + day.month - 1 + steps
        year, month = divmod(month, 12)
        return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
    year = day.year + steps
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))
