"""Energy answers: kWh bars of a day, the last 7 days, a month or a year with totals; history power charts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable, TypedDict
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from appliance import vocabulary
from appliance.catalog import devices, systems
from appliance.energy import history as energy_history
from appliance.energy import periods
from appliance.energy.localtime import day_bounds
from appliance.errors import ApplianceError
from appliance.web import charts
from appliance.web.templating import current_system, current_system_id, system_zone
from appliance.web.timerange import PERIODS, parse_date, period_window

bp = Blueprint("energy", __name__)
PERIOD_LABELS = {"day": "Day", "week": "7 days", "month": "Month", "year": "Year"}
TABLE_KEYS = periods.ENERGY_KEYS
#: Levels of the history page, their labels and the entities each offers in the selected system.
LEVEL_CHOICES: dict[str, tuple[str, Callable[[str], list[tuple[str, str]]]]] = {
    "system": ("Whole system", lambda s: [(x["system_id"], x["name"]) for x in systems.list_systems()
                                          if x["system_id"] == s]),
    "array": ("Inverter array", lambda s: [(x["array_id"], x["name"]) for x in systems.list_arrays(s)]),
    "inverter": ("Inverter", lambda s: [(x["inverter_id"], x["name"]) for x in devices.list_inverters(s)]),
    "meter": ("Meter", lambda s: [(x["meter_id"], x["name"]) for x in devices.list_meters(s)]),
    "battery_pack": ("Battery pack", lambda s: [(x["pack_id"], x["name"]) for x in devices.list_battery_packs(s)]),
}


def local_today() -> date:
    """Today in the selected system's time zone."""
    return datetime.now(system_zone()).date()


def _day_arg() -> date:
    try:
        return parse_date(request.args["date"], "date") if request.args.get("date") else local_today()
    except ApplianceError:
        return local_today()


def _period_arg(default: str = "day") -> str:
    period = request.args.get("period") or request.args.get("range") or default
    return period if period in PERIOD_LABELS else default


def period_title(period: str, first: date, last: date) -> str:
    """'2026-05-14', '2026-05-08 – 2026-05-14', 'May 2026', '2026'."""
    if period == "day":
        return first.strftime("%a %Y-%m-%d")
    if period == "week":
        return f"{first.isoformat()} – {last.isoformat()}"
    if period == "month":
        return first.strftime("%B %Y")
    return str(first.year)


def _bar_label(bar: dict[str, Any], resolution: str) -> str:
    start = datetime.fromtimestamp(bar["start"] / 1000, system_zone())
    if resolution == "hour":
        return f"{start:%H:%M}"
    if resolution == "month":
        return f"{start:%b}"
    return f"{start:%a %d}"


def _table(period: dict[str, Any]) -> tuple[list[str], list[list[str]], list[str]]:
    """Headers, one row per bar and the totals row, formatted through the vocabulary ('—' for no data)."""
    cost_keys = periods.COST_KEYS if period["has_costs"] else ()
    unit = period.get("currency") or ""
    headers = [{"hour": "Hour", "day": "Day", "month": "Month"}[period["resolution"]]]
    headers += [vocabulary.label_with_unit(k) for k in TABLE_KEYS]
    headers += [vocabulary.label_with_unit(k, unit=unit) for k in cost_keys]

    def cells(values: dict[str, Any]) -> list[str]:
        return [vocabulary.number(values.get(k), 2) for k in TABLE_KEYS] + \
               [vocabulary.number(values.get(k), 2) for k in cost_keys]

    rows = [[_bar_label(b, period["resolution"]), *cells(b)] for b in period["bars"]]
    return headers, rows, ["Total", *cells(period["totals"])]


@bp.get("/energy")
def energy() -> ResponseReturnValue:
    """Energy in kWh bars: hours of a day (with power lines), the last 7 days, days of a month, months of a year."""
    system_id = current_system_id()
    period_name, day = _period_arg(), _day_arg()
    if not system_id:
        return render_template("energy.html", period=None, period_name=period_name, day=day,
                               period_labels=PERIOD_LABELS)
    period = periods.period_energy(system_id, period_name, day)
    lines = None
    if period_name == "day":
        start, end = day_bounds(day, system_zone())  # type: ignore[arg-type]
        ts, columns = charts.columns(energy_history.series("system", system_id, "5m", start, end))
        lines = {"ts": ts, **columns}
    first, last = date.fromisoformat(period["first"]), date.fromisoformat(period["last"])
    today = local_today()
    later = periods.shift(period_name, day, 1)
    headers, rows, total = _table(period)
    csv_query = {"table": "period", "system_id": system_id, "period": period_name, "date": day.isoformat()}
    return render_template(
        "energy.html", period=period, period_name=period_name, day=day, period_labels=PERIOD_LABELS,
        title=period_title(period_name, first, last), charts=charts.energy_charts(period, lines),
        headers=headers, rows=rows, total=total, currency=period.get("currency"),
        earlier=url_for("energy.energy", period=period_name, date=periods.shift(period_name, day, -1).isoformat()),
        later=url_for("energy.energy", period=period_name, date=min(later, today).isoformat())
        if first <= today and last < today else None,
        csv_url=url_for("data.export_csv") + "?" + urlencode(csv_query),
        csv_people_url=url_for("data.export_csv") + "?" + urlencode({**csv_query, "headers": "labels"}),
        has_data=any(period["totals"].get(k) is not None for k in TABLE_KEYS))


class HistoryArgs(TypedDict):
    """What the history page was asked for: a level and an entity of it, a period ending on a day."""

    level: str
    choices: list[tuple[str, str]]
    entity_id: str
    period: str
    day: date


def _history_args() -> HistoryArgs:
    system_id = current_system_id()
    level = request.args.get("level", "system")
    level = level if level in LEVEL_CHOICES else "system"
    choices = LEVEL_CHOICES[level][1](system_id) if system_id else []
    wanted = request.args.get("id", "")
    # After the level changes, the old entity id is not one of the new level's: take the level's first.
    entity_id = wanted if any(wanted == value for value, _ in choices) else (choices[0][0] if choices else "")
    period = _period_arg()
    return HistoryArgs(level=level, choices=choices, entity_id=entity_id, period=period, day=_day_arg())


@bp.get("/history")
def history() -> ResponseReturnValue:
    """Power and SOC over a day, the last 7 days or a month; energy per day over a year; of any level."""
    args = _history_args()
    chart, csv_url, window = None, None, None
    zone = system_zone()
    if args["entity_id"]:
        resolution, start, end = period_window(args["period"], args["day"], zone)
        window = (start, end)
        ts, columns = charts.columns(energy_history.series(args["level"], args["entity_id"], resolution, start, end))
        kind = {"meter": "meter", "battery_pack": "battery"}.get(args["level"])
        if ts:
            chart = (charts.daily_bars_chart(ts, columns, str(zone)) if args["period"] == "year"
                     else charts.history_chart(ts, columns, str(zone), kind))
        csv_url = url_for("data.export_csv") + "?" + urlencode(
            {"level": args["level"], "id": args["entity_id"], "resolution": resolution, "from": start, "to": end})
    day, period = args["day"], args["period"]
    first = datetime.fromtimestamp(window[0] / 1000, zone).date() if window else day
    last = datetime.fromtimestamp((window[1] - 1) / 1000, zone).date() if window else day
    later = periods.shift(period, day, 1)
    return render_template(
        "history.html", levels=[(k, v[0]) for k, v in LEVEL_CHOICES.items()], periods=list(PERIODS),
        period_labels=PERIOD_LABELS, chart=chart, csv_url=csv_url, title=period_title(period, first, last),
        earlier=url_for("energy.history", level=args["level"], id=args["entity_id"], period=period,
                        date=periods.shift(period, day, -1).isoformat()),
        later=url_for("energy.history", level=args["level"], id=args["entity_id"], period=period,
                      date=later.isoformat()) if last < local_today() else None,
        system=current_system(), **args)
