"""Server-rendered pages: dashboard (with its live fragment), history charts, energy tables, system selector."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any, Callable
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request, session, url_for

from appliance.catalog import devices, registry, systems
from appliance.errors import ApplianceError
from appliance.web import services
from appliance.web.htmx import hx_redirect, hx_refresh, is_htmx
from appliance.web.templating import current_system, current_system_id, system_zone
from appliance.web.timerange import PERIODS, parse_date, period_window

bp = Blueprint("pages", __name__)

#: Levels of the history page and the entities each offers, in the selected system.
LEVEL_CHOICES: dict[str, Callable[[str | None], list[tuple[str, str]]]] = {
    "system": lambda s: [(x["system_id"], x["name"]) for x in systems.list_systems() if x["system_id"] == s],
    "array": lambda s: [(x["array_id"], x["name"]) for x in systems.list_arrays(s)],
    "inverter": lambda s: [(x["inverter_id"], x["name"]) for x in devices.list_inverters(s)],
    "meter": lambda s: [(x["meter_id"], x["name"]) for x in devices.list_meters(s)],
    "battery_pack": lambda s: [(x["pack_id"], x["name"]) for x in devices.list_battery_packs(s)],
}
TOTAL_LABELS = {"pv_energy_kwh": "PV yield", "load_energy_kwh": "Consumption", "import_kwh": "Grid import",
                "export_kwh": "Grid export", "charge_kwh": "Battery charge", "discharge_kwh": "Battery discharge",
                "self_consumption_pct": "Self-consumption", "autarky_pct": "Autarky"}


def attempt(func: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    """Call a seam; (result, None), or (None, why) when its service is not available yet or refuses."""
    try:
        return func(*args), None
    except services.NotAvailable:
        return None, "not available yet"
    except ApplianceError as exc:
        return None, exc.message


def local_today() -> date:
    """Today in the selected system's time zone."""
    return datetime.now(system_zone()).date()


def _live_context() -> dict[str, Any]:
    system_id = current_system_id()
    flow, flow_error = attempt(services.power_flow, system_id) if system_id else (None, "no system configured")
    totals, totals_error = attempt(services.today_totals, system_id) if system_id else (None, None)
    registered = registry.list_devices(system_id) if system_id else []
    health = Counter(d["health_status"] for d in registered)
    return {"flow": flow, "flow_error": flow_error, "totals": totals, "totals_error": totals_error,
            "total_labels": TOTAL_LABELS, "health": dict(sorted(health.items())),
            "attention": [d for d in registered if d["health_status"] in ("offline", "error", "degraded")],
            "refresh_s": current_app.config["DASHBOARD_REFRESH_S"]}


@bp.get("/")
def dashboard() -> Any:
    """Dashboard: live power flow, SOC, today's totals, device health; refreshes itself."""
    return render_template("dashboard.html", **_live_context())


@bp.get("/dashboard/live")
def dashboard_live() -> Any:
    """The dashboard's live fragment (htmx polls it every few seconds)."""
    return render_template("_dashboard_live.html", **_live_context())


def _history_args() -> dict[str, Any]:
    system_id = current_system_id()
    level = request.args.get("level", "system")
    level = level if level in LEVEL_CHOICES else "system"
    choices = LEVEL_CHOICES[level](system_id) if system_id else []
    entity_id = request.args.get("id") or (choices[0][0] if choices else "")
    period = request.args.get("range", "day")
    period = period if period in PERIODS else "day"
    try:
        day = parse_date(request.args["date"], "date") if request.args.get("date") else local_today()
    except ApplianceError:
        day = local_today()
    return {"level": level, "choices": choices, "entity_id": entity_id, "period": period, "day": day}


@bp.get("/history")
def history() -> Any:
    """History chart of a system, array, inverter, meter or battery pack for a day, week, month or year."""
    args = _history_args()
    chart, error, csv_url = None, None, None
    if not args["entity_id"]:
        error = "nothing to show: configure a system first"
    else:
        resolution, start, end = period_window(args["period"], args["day"], system_zone())
        result, error = attempt(services.series, args["level"], args["entity_id"], resolution, start, end)
        if result is not None:
            ts, columns = services.columns(result)
            # Powers (W) and SOC (%) are charted; energies go to the CSV, they would need a third axis.
            # The axis is labelled in the system's time zone (a homeowner's day), not the browser's.
            chart = {"ts": [t / 1000 for t in ts], "timezone": str(system_zone()),
                     "series": [{"label": k, "values": v} for k, v in columns.items() if k.endswith(("_w", "_pct"))]}
        csv_url = url_for("data.export_csv") + "?" + urlencode(
            {"level": args["level"], "id": args["entity_id"], "resolution": resolution, "from": start, "to": end})
    steps = {"day": 1, "week": 7, "month": 31, "year": 366}
    return render_template("history.html", levels=list(LEVEL_CHOICES), periods=list(PERIODS), chart=chart,
                           error=error, csv_url=csv_url, prev_day=args["day"] - timedelta(days=steps[args["period"]]),
                           next_day=args["day"] + timedelta(days=steps[args["period"]]), **args)


@bp.get("/energy")
def energy() -> Any:
    """Energy tables: days of a month, or months of a year, from the daily summaries."""
    system_id = current_system_id()
    view = request.args.get("view", "daily")
    today = local_today()
    rows, error, month, year = None, None, request.args.get("month", today.strftime("%Y-%m")), today.year
    if not system_id:
        error = "nothing to show: configure a system first"
    elif view == "monthly":
        year = int(request.args["year"]) if request.args.get("year", "").isdigit() else today.year
        rows, error = attempt(services.monthly_energy, system_id, year)
    else:
        view = "daily"
        try:
            first = parse_date(f"{month}-01", "month")
        except ApplianceError:
            first = today.replace(day=1)
        month = first.strftime("%Y-%m")
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        rows, error = attempt(services.daily_energy, system_id, first.isoformat(), last.isoformat())
    rows = list(rows or [])
    header = list(dict.fromkeys(k for r in rows if isinstance(r, dict) for k in r))
    labels = _cost_labels(rows, header)
    csv_url = (url_for("data.export_csv") + "?" + urlencode({"table": "daily", "system_id": system_id,
               "from": f"{month}-01", "to": rows[-1].get("date", f"{month}-28") if rows else f"{month}-28"})
               if view == "daily" and system_id and rows else None)
    return render_template("energy.html", view=view, rows=rows, header=header, error=error, month=month, year=year,
                           csv_url=csv_url, labels=labels)


def _cost_labels(rows: list[Any], header: list[str]) -> dict[str, str]:
    """Column titles of the cost columns with their currency, which then needs no column of its own."""
    if "currency" not in header:
        return {}
    header.remove("currency")
    currencies = {r.get("currency") for r in rows if isinstance(r, dict) and r.get("currency")}
    unit = f" ({currencies.pop()})" if len(currencies) == 1 else ""
    return {key: key.replace("_", " ") + unit for key in ("import_cost", "export_revenue", "saving")}


@bp.post("/system")
def select_system() -> Any:
    """Choose the system that scopes every page (kept in the session)."""
    chosen = request.form.get("system_id", "")
    if any(s["system_id"] == chosen for s in systems.list_systems()):
        session["system_id"] = chosen
    if is_htmx():
        return hx_refresh()
    return hx_redirect(_back())


def _back() -> str:
    target = request.form.get("back", "")
    return target if target.startswith("/") and not target.startswith("//") else url_for("pages.dashboard")


def current_system_name() -> str:
    """The selected system's name, for page titles."""
    system = current_system()
    return system["name"] if system else "no system"
