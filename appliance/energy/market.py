"""Market data: price and signal series (tariffs, prices, NIV, dispatch) and what a day's grid exchange cost.

A series is a step function: a value holds from its `ts` until the next point of the same type and
scope. A system's own points (system_id set) apply to it from its first one on; before that, and
for systems without their own, the points for all systems (system_id NULL) apply. Costs are computed
per local hour of the hourly rollups, at the hour's time-weighted mean tariff, in the system's currency.
"""

from __future__ import annotations

import json
import math
import sqlite3
from bisect import bisect_right
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from appliance.clock import parse_instant
from appliance.energy.localtime import HOUR_MS, local_date, parse_date, zone
from appliance.errors import NotFoundError, ValidationError
from appliance.store import energy_catalog
from appliance.store import market as sql
from appliance.store.models import database

IMPORT_TARIFF, EXPORT_TARIFF = 5, 6
TARIFFS = (IMPORT_TARIFF, EXPORT_TARIFF)
MAX_POINTS = 10_000
MAX_METADATA_BYTES = 4096
POINT_FIELDS = ("type", "system_id", "ts", "value", "metadata")
COST_KEYS = ("import_cost", "export_revenue", "saving", "currency")

Steps = list[tuple[int, float]]


def _conn() -> sqlite3.Connection:
    conn: sqlite3.Connection = database.connection()
    return conn


def types(conn: sqlite3.Connection | None = None) -> dict[str, int]:
    """The market data types by name (type ids of the domain document, plus 5 and 6 for tariffs)."""
    return sql.type_ids(conn)


def _system_ids(conn: sqlite3.Connection) -> set[str]:
    return energy_catalog.system_ids(conn)


def check_type(value: Any, known: dict[str, int], field: str = "type") -> int:
    """A market data type id from its id or its name."""
    if isinstance(value, int) and not isinstance(value, bool) and value in known.values():
        return value
    if isinstance(value, str) and value in known:
        return known[value]
    raise ValidationError(f"{field} must be a market data type id or name ({', '.join(known)}), not {value!r}",
                          field=field)


def _point(index: int, item: Any, known: dict[str, int], systems: set[str]) -> tuple[int, str | None, int, float, str]:
    """One validated point as (type_id, system_id, ts, value, metadata JSON)."""
    where = f"series[{index}]"
    if not isinstance(item, dict):
        raise ValidationError(f"{where} must be an object {{type, system_id?, ts, value, metadata?}}", field=where)
    for key in item:
        if key not in POINT_FIELDS:
            raise ValidationError(f"{where} has an unknown field {key!r}", field=f"{where}.{key}")
    for key in ("type", "ts", "value"):
        if item.get(key) is None:
            raise ValidationError(f"{where}.{key} is required", field=f"{where}.{key}")
    type_id = check_type(item["type"], known, f"{where}.type")
    system_id = item.get("system_id")
    if system_id is not None and (not isinstance(system_id, str) or system_id not in systems):
        raise ValidationError(f"{where}.system_id: no system {system_id!r}", field=f"{where}.system_id")
    ts = parse_instant(item["ts"], f"{where}.ts")
    value = item["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(f"{where}.value must be a finite number", field=f"{where}.value")
    metadata = item.get("metadata", {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise ValidationError(f"{where}.metadata must be an object", field=f"{where}.metadata")
    try:
        text = json.dumps(metadata, allow_nan=False, separators=(",", ":"), sort_keys=True)
    except (TypeError, ValueError):
        raise ValidationError(f"{where}.metadata must hold only finite JSON values",
                              field=f"{where}.metadata") from None
    if len(text) > MAX_METADATA_BYTES:
        raise ValidationError(f"{where}.metadata is larger than {MAX_METADATA_BYTES} bytes", field=f"{where}.metadata")
    return type_id, system_id, ts, float(value), text


def validate(series: Any, conn: sqlite3.Connection | None = None) -> list[tuple[int, str | None, int, float, str]]:
    """Every point of a series (a list of points, or one point) checked; raises at the first bad one."""
    conn = conn or _conn()
    points = [series] if isinstance(series, dict) else series
    if not isinstance(points, list) or not points:
        raise ValidationError("series must be a non-empty list of points {type, system_id?, ts, value, metadata?}",
                              field="series")
    if len(points) > MAX_POINTS:
        raise ValidationError(f"at most {MAX_POINTS} points per request, not {len(points)}", field="series")
    known, systems = types(conn), _system_ids(conn)
    return [_point(i, item, known, systems) for i, item in enumerate(points)]


def store(series: Any) -> dict[str, Any]:
    """Upsert points by (type, system, ts) in one transaction, all or nothing; re-cost the days tariffs touch."""
    with database.atomic():
        conn = _conn()
        rows = validate(series, conn)
        sql.upsert_points(conn, rows)
        days = _refill_tariff_days(conn, rows)
    return {"stored": len(rows), "days_recosted": days}


def _refill_tariff_days(conn: sqlite3.Connection, rows: list[tuple[int, str | None, int, float, str]]) -> int:
    """Re-cost the daily rows from each tariff's first new point to the next stored point after its last."""
    spans: dict[tuple[int, str | None], tuple[int, int]] = {}
    for type_id, system_id, ts, _, _ in rows:
        if type_id in TARIFFS:
            lo, hi = spans.get((type_id, system_id), (ts, ts))
            spans[(type_id, system_id)] = (min(lo, ts), max(hi, ts))
    ranges: dict[str, tuple[int, int | None]] = {}
    every = sorted(_system_ids(conn))
    for (type_id, system_id), (lo, hi) in spans.items():
        following = sql.next_point_after(conn, type_id, system_id or "", hi)
        for system in ([system_id] if system_id is not None else every):
            old_lo, old_hi = ranges.get(system, (lo, following))
            end = None if old_hi is None or following is None else max(old_hi, following)
            ranges[system] = (min(old_lo, lo), end)
    count = 0
    for system, (start, stop) in sorted(ranges.items()):
        tz = _zone(conn, system)
        first = local_date(start, tz).isoformat()
        last = local_date(stop, tz).isoformat() if stop is not None else "9999-12-31"
        for day in sql.summary_dates(conn, system, first, last):
            fill_day(conn, system, day)
            count += 1
    return count


def _zone(conn: sqlite3.Connection, system_id: str) -> ZoneInfo:
    found = energy_catalog.system_locale(system_id, conn)
    if found is None:
        raise NotFoundError(f"no system {system_id!r}", field="system_id")
    return zone(found.timezone)


def _steps(conn: sqlite3.Connection, type_id: int, scope: str, lo: int, hi: int) -> Steps:
    """The points of one type and scope ('' = all systems) that decide its value in [lo, hi)."""
    return sql.steps(conn, type_id, scope, lo, hi)


def _value(steps: Steps, ts: int) -> float | None:
    index = bisect_right([s[0] for s in steps], ts)
    return steps[index - 1][1] if index else None


class Tariff:
    """The effective step function of one type for one system over a span: its own points, else the global ones."""

    def __init__(self, conn: sqlite3.Connection, type_id: int, system_id: str, lo: int, hi: int) -> None:
        self.own = _steps(conn, type_id, system_id, lo, hi)
        self.common = _steps(conn, type_id, "", lo, hi)

    def at(self, ts: int) -> float | None:
        """The value in force at `ts`."""
        own = _value(self.own, ts)
        return own if own is not None else _value(self.common, ts)

    def mean(self, lo: int, hi: int) -> float | None:
        """The time-weighted mean over [lo, hi); None when no value is in force at `lo`."""
        if self.at(lo) is None:
            return None
        cuts = sorted({lo, *(t for t, _ in self.own + self.common if lo < t < hi), hi})
        return sum((self.at(a) or 0.0) * (b - a) for a, b in zip(cuts, cuts[1:])) / (hi - lo)


def price_at(type_: Any, system_id: str | None, ts: Any) -> float | None:
    """The value of a series in force at `ts` for a system (None: the all-systems series): a step function."""
    conn = _conn()
    type_id = check_type(type_, types(conn))
    at = parse_instant(ts, "ts")
    if system_id is not None:
        _zone(conn, system_id)
        return Tariff(conn, type_id, system_id, at, at + 1).at(at)
    return _value(_steps(conn, type_id, "", at, at + 1), at)


def _hour_costs(conn: sqlite3.Connection, level: str, key: str, system_id: str, day: str) -> dict[str, Any]:
    """Per hour of a day of a system or array: energies, mean tariffs, cost, revenue; and the day's totals."""
    rows = sql.hour_energies(conn, level, key, day)
    locale = energy_catalog.system_locale(system_id, conn)
    out: dict[str, Any] = {"import_cost": None, "export_revenue": None, "saving": None,
                           "currency": locale.currency if locale else None, "hours": []}
    if not rows:
        return out
    lo, hi = rows[0][0], rows[-1][0] + HOUR_MS
    tariffs = [Tariff(conn, t, system_id, lo, hi) for t in TARIFFS]
    sums: list[float | None] = [0.0, 0.0, 0.0]  # import cost, export revenue, load at the import tariff
    for start, imported, exported, load in rows:
        buy, sell = (t.mean(start, start + HOUR_MS) for t in tariffs)
        hour: dict[str, Any] = {"hour_start": start, "import_kwh": imported or 0.0, "export_kwh": exported or 0.0,
                "load_kwh": load or 0.0, "import_price": buy, "export_price": sell}
        parts = [(hour["import_kwh"], buy), (hour["export_kwh"], sell), (hour["load_kwh"], buy)]
        amounts = [kwh * price if price is not None else (0.0 if kwh == 0 else None) for kwh, price in parts]
        hour.update(import_cost=amounts[0], export_revenue=amounts[1], no_pv_cost=amounts[2])
        out["hours"].append(hour)
        sums = [None if s is None or a is None else s + a for s, a in zip(sums, amounts)]
    out["import_cost"], out["export_revenue"], no_pv = sums
    if None not in sums:
        out["saving"] = no_pv - sums[0] + sums[1]  # type: ignore[operator]
    return out


def fill_day(conn: sqlite3.Connection, system_id: str, day: str) -> None:
    """Write the cost columns of a system's daily row of `day` and of its arrays' rows (the rollup's hook)."""
    arrays = sql.arrays_of_day(conn, system_id, day)
    for level, key in [("array", a) for a in arrays] + [("system", system_id)]:
        costs = _hour_costs(conn, level, key, system_id, day)
        sql.set_day_costs(conn, level, key, day, *(costs[k] for k in COST_KEYS))


def costs_for_day(system_id: str, day: date | str) -> dict[str, Any]:
    """A system's import cost, export revenue and saving of one local day, with every hour's figures."""
    conn = _conn()
    _zone(conn, system_id)
    iso = parse_date(day, "date").isoformat()
    return {"system_id": system_id, "date": iso, **_hour_costs(conn, "system", system_id, system_id, iso)}


def points(type_: Any = None, system_id: str | None = None, start: Any = None, end: Any = None,
           limit: int = MAX_POINTS) -> list[dict[str, Any]]:
    """Stored points oldest first; a system's own and the all-systems points when `system_id` is given."""
    conn = _conn()
    known = types(conn)
    names = {tid: name for name, tid in known.items()}
    type_id = check_type(type_, known) if type_ is not None else None
    if system_id is not None:
        _zone(conn, system_id)
    start_ms = parse_instant(start, "from") if start is not None else None
    end_ms = parse_instant(end, "to") if end is not None else None
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_POINTS:
        raise ValidationError(f"limit must be from 1 to {MAX_POINTS}", field="limit")
    return [{"id": i, "type": names.get(t), "type_id": t, "system_id": s, "ts": ts,
             "time": datetime.fromtimestamp(ts / 1000, timezone.utc).isoformat().replace("+00:00", "Z"),
             "value": v, "metadata": json.loads(m or "{}")}
            for i, t, s, ts, v, m in sql.select_points(conn, type_id, system_id, start_ms, end_ms, limit)]

