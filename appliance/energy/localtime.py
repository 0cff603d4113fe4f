"""A system's local days and hours as epoch milliseconds (DST days have 23 or 25 hours)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from appliance.errors import ValidationError

HOUR_MS = 3_600_000


@lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo:
    """The IANA zone of a system (UTC when the system has none)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"unknown time zone {name!r}", field="timezone") from exc


def local(ts_ms: int, tz: ZoneInfo) -> datetime:
    """The local time of an instant."""
    return datetime.fromtimestamp(ts_ms / 1000, tz)


def midnight(day: date, tz: ZoneInfo) -> int:
    """Epoch ms of the first instant of a local date."""
    # fold=0 on a midnight skipped by DST gives the transition instant: the day's first instant.
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp() * 1000)


def day_start(ts_ms: int, tz: ZoneInfo) -> int:
    """Epoch ms of the local midnight that starts the day of an instant."""
    return midnight(local(ts_ms, tz).date(), tz)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[int, int]:
    """[start, end) of a local date in epoch ms."""
    return midnight(day, tz), midnight(day + timedelta(days=1), tz)


def local_date(ts_ms: int, tz: ZoneInfo) -> date:
    """The local date of an instant."""
    return local(ts_ms, tz).date()


def local_hour(ts_ms: int, tz: ZoneInfo) -> int:
    """The local hour of day (0-23) of an instant; the repeated hour of a 25-hour day counts twice."""
    return local(ts_ms, tz).hour


def days_between(lo_ms: int, hi_ms: int, tz: ZoneInfo) -> list[int]:
    """Local midnights of every day that overlaps [lo_ms, hi_ms)."""
    days: list[int] = []
    day = local_date(lo_ms, tz)
    while True:
        start, end = day_bounds(day, tz)
        if start >= hi_ms:
            return days
        days.append(start)
        day += timedelta(days=1)
        if end >= hi_ms:
            return days


def hours_between(lo_ms: int, hi_ms: int, tz: ZoneInfo) -> list[int]:
    """Starts of the local hours that overlap [lo_ms, hi_ms), counted from each local midnight."""
    hours: list[int] = []
    for start in days_between(lo_ms, hi_ms, tz):
        end = day_bounds(local_date(start, tz), tz)[1]
        first = max(start, start + (lo_ms - start) // HOUR_MS * HOUR_MS)
        hours.extend(range(first, min(end, hi_ms), HOUR_MS))
    return hours


def parse_date(value: date | str, field: str) -> date:
    """A date from a date or an ISO `YYYY-MM-DD` string."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationError(f"{field} must be a date YYYY-MM-DD, not {value!r}", field=field) from exc
