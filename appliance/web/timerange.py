"""Time windows of charts and tables: parsing `from`/`to`, day/week/month/year ranges in a system's zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Callable, Mapping, TypedDict
from zoneinfo import ZoneInfo

from appliance.catalog import devices, systems
from appliance.clock import parse_instant
from appliance.errors import ValidationError


class SystemScoped(TypedDict):
    """What every history level's row has: the system it belongs to."""

    system_id: str


#: History levels and how to find the entity (404 when unknown).
LEVELS: dict[str, Callable[[str], SystemScoped]] = {
    "system": systems.get_system, "array": systems.get_array, "inverter": devices.get_inverter,
    "meter": devices.get_meter, "battery_pack": devices.get_battery_pack,
}
#: Resolution -> the longest window it may be asked for (keeps every answer small and fast).
RESOLUTIONS = {"5m": timedelta(days=31), "1h": timedelta(days=400), "1d": timedelta(days=366 * 20)}
PERIODS = {"day": "5m", "week": "1h", "month": "1h", "year": "1d"}
DAY_MS = 86_400_000


def entity_zone(level: str, entity_id: str) -> tuple[SystemScoped, ZoneInfo]:
    """The entity at a history level and its system's time zone."""
    if level not in LEVELS:
        raise ValidationError(f"level must be one of {', '.join(LEVELS)}", field="level")
    entity = LEVELS[level](entity_id)
    system = systems.get_system(entity["system_id"])
    return entity, ZoneInfo(system["timezone"] or "UTC")  # a system without a zone keeps UTC (energy.localtime)


def parse_date(value: object, field: str) -> date:
    """A YYYY-MM-DD date."""
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"{field} must be a date YYYY-MM-DD", field=field) from None


def window(args: Mapping[str, str], zone: ZoneInfo) -> tuple[str, int, int]:
    """(resolution, start ms, end ms) from `resolution`, `from`, `to` query arguments, checked."""
    resolution = args.get("resolution", "1h")
    if resolution not in RESOLUTIONS:
        raise ValidationError(f"resolution must be one of {', '.join(RESOLUTIONS)}", field="resolution")
    if not args.get("from"):
        raise ValidationError("from is required", field="from")
    start = parse_instant(args["from"], "from", zone=zone)
    end = parse_instant(args["to"], "to", zone=zone) if args.get("to") else start + DAY_MS
    if end <= start:
        raise ValidationError("to must be after from", field="to")
    if end - start > RESOLUTIONS[resolution].total_seconds() * 1000:
        raise ValidationError(f"a {resolution} series may span at most {RESOLUTIONS[resolution].days} days",
                              field="to")
    return resolution, start, end


def period_window(period: str, day: date, zone: tzinfo) -> tuple[str, int, int]:
    """(resolution, start ms, end ms) of the day, the 7 days ending on `day`, the month or the year, local time."""
    if period not in PERIODS:
        raise ValidationError(f"range must be one of {', '.join(PERIODS)}", field="range")
    if period == "day":
        first, last = day, day + timedelta(days=1)
    elif period == "week":
        # The last 7 days, not the calendar week: on a Monday a calendar week would show one day.
        first, last = day - timedelta(days=6), day + timedelta(days=1)
    elif period == "month":
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
    else:
        first, last = day.replace(month=1, day=1), day.replace(year=day.year + 1, month=1, day=1)
    start = int(datetime.combine(first, time(), zone).timestamp() * 1000)
    end = int(datetime.combine(last, time(), zone).timestamp() * 1000)
    return PERIODS[period], start, end
