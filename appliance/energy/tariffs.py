"""A homeowner's tariff plan (import and export, flat or time-of-use) turned into market-data points.

Costs are computed from the import and export tariff series of `market` (step functions). A plan is the
owner's way to fill them: a flat price is one point; a time-of-use price is a base price with up to six
daily periods ("17:00-21:00 at 0.45"), expanded into one point per change, day by day in the system's zone
(so DST days are right), from the plan's first day to a horizon that `extend` moves forward daily. Saving a
plan replaces the system's own points of that tariff from its first day on and re-costs those days.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from appliance import clock
from appliance.energy import market
from appliance.energy.localtime import parse_date, zone
from appliance.errors import NotFoundError, ValidationError
from appliance.store import energy_catalog, settings
from appliance.store import market as market_store
from appliance.store.models import database

KEY = "tariff.plan.{system_id}"
KINDS = ("none", "flat", "tou")
MAX_PERIODS = 6
HORIZON_DAYS = 400
#: `extend` adds days when fewer than this many are left before the horizon.
EXTEND_WHEN_DAYS = 200
TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
TYPES = {"import": market.IMPORT_TARIFF, "export": market.EXPORT_TARIFF}


def _price(value: object, field: str) -> float:
    try:
        number = float(str(value).strip().replace(",", "."))
    except (TypeError, ValueError):
        raise ValidationError(f"{field} must be a price per kWh such as 0.30", field=field) from None
    if not math.isfinite(number) or not -100 <= number <= 1000:
        raise ValidationError(f"{field} must be between -100 and 1000 per kWh", field=field)
    return number


def _minutes(value: object, field: str) -> int:
    text = str(value or "").strip()
    if not TIME.match(text):
        raise ValidationError(f"{field} must be a time HH:MM such as 17:00", field=field)
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def check_side(side: str, spec: Any) -> dict[str, Any]:
    """One side of a plan (import or export) checked: {kind: none|flat|tou, price?, base?, periods?}."""
    if not isinstance(spec, dict) or spec.get("kind") not in KINDS or (side == "import" and spec["kind"] == "none"):
        allowed = "flat or tou" if side == "import" else "none, flat or tou"
        raise ValidationError(f"{side}.kind must be {allowed}", field=f"{side}.kind")
    if spec["kind"] == "none":
        return {"kind": "none"}
    if spec["kind"] == "flat":
        return {"kind": "flat", "price": _price(spec.get("price"), f"{side}.price")}
    periods = spec.get("periods") or []
    if not isinstance(periods, list) or not 1 <= len(periods) <= MAX_PERIODS:
        raise ValidationError(f"{side}.periods: give 1 to {MAX_PERIODS} periods", field=f"{side}.periods")
    checked = []
    for i, p in enumerate(periods):
        where = f"{side}.periods[{i}]"
        if not isinstance(p, dict):
            raise ValidationError(f"{where} must be {{start, end, price}}", field=where)
        start, end = _minutes(p.get("start"), f"{where}.start"), _minutes(p.get("end"), f"{where}.end")
        if start == end:
            raise ValidationError(f"{where}: start and end are the same time", field=f"{where}.end")
        checked.append({"start": f"{start // 60:02d}:{start % 60:02d}", "end": f"{end // 60:02d}:{end % 60:02d}",
                        "price": _price(p.get("price"), f"{where}.price")})
    return {"kind": "tou", "base": _price(spec.get("base"), f"{side}.base"), "periods": checked}


def _changes(spec: dict[str, Any]) -> list[tuple[int, float]]:
    """(minute of day, price from then on) for one day of a time-of-use or flat side, merged and sorted."""
    if spec["kind"] == "flat":
        return [(0, spec["price"])]
    cuts = {0}
    for p in spec["periods"]:
        cuts |= {_minutes(p["start"], "start"), _minutes(p["end"], "end") % 1440}

    def price_at(minute: int) -> float:
        found: float = spec["base"]
        for p in spec["periods"]:  # a later period wins where periods overlap
            start, end = _minutes(p["start"], "start"), _minutes(p["end"], "end")
            inside = start <= minute < end if start < end else (minute >= start or minute < end)
            if inside:
                found = p["price"]
        return found

    out: list[tuple[int, float]] = []
    for minute in sorted(cuts):
        price = price_at(minute)
        if not out or out[-1][1] != price:
            out.append((minute, price))
    return out


def _points(system_id: str, side: str, spec: dict[str, Any], first: date, last: date,
            tz: ZoneInfo) -> list[dict[str, Any]]:
    """Market-data points of one side from `first` to `last` (local dates, inclusive)."""
    kind = {"kind": "flat", "price": 0.0} if spec["kind"] == "none" else spec
    changes = _changes(kind)
    points = []
    day = first
    while day <= last:
        for minute, price in changes:
            if kind["kind"] == "flat" and day != first:
                break  # a flat price is one point: it holds until the next
            local = datetime.combine(day, time(minute // 60, minute % 60), tz)
            points.append({"type": TYPES[side], "system_id": system_id, "ts": int(local.timestamp() * 1000),
                           "value": price, "metadata": {"source": "plan"}})
        day += timedelta(days=1)
    return points


def _system_zone(system_id: str) -> Any:
    found = energy_catalog.system_locale(system_id)
    if found is None:
        raise NotFoundError(f"no system {system_id!r}", field="system_id")
    return zone(found.timezone)


def get_plan(system_id: str) -> dict[str, Any] | None:
    """The saved plan of a system, or None."""
    plan: dict[str, Any] | None = settings.get_json(KEY.format(system_id=system_id))
    return plan


def set_plan(system_id: str, plan: dict[str, Any], now_ms: int | None = None) -> dict[str, Any]:
    """Check and save a plan {import, export, from: YYYY-MM-DD}; replace the system's tariff points from `from`."""
    tz = _system_zone(system_id)
    checked = {side: check_side(side, plan.get(side)) for side in ("import", "export")}
    first = parse_date(plan.get("from") or datetime.fromtimestamp((now_ms or clock.now_ms()) / 1000, tz).date(), "from")
    last = first + timedelta(days=HORIZON_DAYS)
    saved = {**checked, "from": first.isoformat(), "until": last.isoformat()}
    start = int(datetime.combine(first, time(), tz).timestamp() * 1000)
    with database.atomic():
        for side in ("import", "export"):
            market_store.delete_points_from(TYPES[side], system_id, start)
            market.store(_points(system_id, side, checked[side], first, last, tz))
        settings.put_json(KEY.format(system_id=system_id), saved, updated_at=clock.utc_now_iso())
    return saved


def extend(now_ms: int | None = None) -> int:
    """Move every time-of-use plan's horizon forward when it is near (a daily job); returns points written."""
    written = 0
    for key in settings.keys_with_prefix("tariff.plan."):
        system_id = key.removeprefix("tariff.plan.")
        plan = get_plan(system_id)
        if not plan or "until" not in plan:
            continue
        try:
            tz = _system_zone(system_id)
        except NotFoundError:
            continue
        today = datetime.fromtimestamp((now_ms or clock.now_ms()) / 1000, tz).date()
        until = date.fromisoformat(plan["until"])
        if (until - today).days >= EXTEND_WHEN_DAYS:
            continue
        new_until = today + timedelta(days=HORIZON_DAYS)
        with database.atomic():
            for side in ("import", "export"):
                if plan[side]["kind"] == "tou":
                    points = _points(system_id, side, plan[side], until + timedelta(days=1), new_until, tz)
                    market.store(points)
                    written += len(points)
            plan["until"] = new_until.isoformat()
            settings.update_json(key, plan)
    return written


def current_prices(system_id: str, now_ms: int | None = None) -> dict[str, float | None]:
    """The import and export price in force now (from any source: a plan or POST /api/market-data)."""
    at = now_ms or clock.now_ms()
    return {side: market.price_at(type_id, system_id, at) for side, type_id in TYPES.items()}
