"""The one way the appliance shows a date or a time to a person: in the system's time zone, 24-hour, ISO order.

Every page, the CSV for people, token dates and later edges (alerts, MQTT) format through here, so a
homeowner never sees UTC, a 12-hour clock and ISO on the same screen. Machines get epoch ms or ISO 8601.
"""

from __future__ import annotations

from datetime import date, datetime, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DATETIME = "%Y-%m-%d %H:%M"
DATETIME_SECONDS = "%Y-%m-%d %H:%M:%S"
DATE = "%Y-%m-%d"
TIME = "%H:%M"
DASH = "—"


def zone_of(name: object) -> tzinfo:
    """A time zone from its IANA name; UTC for none or an unknown name."""
    if not isinstance(name, str) or not name:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def to_local(value: object, zone: tzinfo) -> datetime | None:
    """Epoch ms, an ISO 8601 text (UTC when it has no offset) or a datetime, as an aware local datetime."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        if isinstance(value, datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        elif isinstance(value, (int, float)):
            moment = datetime.fromtimestamp(value / 1000, timezone.utc)
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            moment = datetime.fromtimestamp(int(value) / 1000, timezone.utc)
        elif isinstance(value, str):
            # SQLite's CURRENT_TIMESTAMP is "YYYY-MM-DD HH:MM:SS" in UTC.
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    return moment.astimezone(zone)


def datetime_text(value: object, zone: tzinfo, *, seconds: bool = False) -> str:
    """'2026-05-14 13:05' in `zone`; '—' when there is no time."""
    moment = to_local(value, zone)
    if moment is None:
        return DASH if value in (None, "") else str(value)
    return moment.strftime(DATETIME_SECONDS if seconds else DATETIME)


def date_text(value: object, zone: tzinfo) -> str:
    """'2026-05-14': a local date, from a date or an instant."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.strftime(DATE)
    moment = to_local(value, zone)
    return moment.strftime(DATE) if moment else DASH


def time_text(value: object, zone: tzinfo) -> str:
    """'13:05': the local time of day of an instant."""
    moment = to_local(value, zone)
    return moment.strftime(TIME) if moment else DASH


def age_text(value: object, now_ms: int) -> str:
    """How long ago an instant was, in words: 'just now', '40 s ago', '3 min ago', '2 h ago', '5 days ago'."""
    moment = to_local(value, timezone.utc)
    if moment is None:
        return "never"
    return ago_text((now_ms - moment.timestamp() * 1000) / 1000)


def ago_text(seconds: object) -> str:
    """An age in seconds in words: 'just now', '40 s ago', '3 min ago', '2 h ago', '5 days ago'."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds != seconds:
        return "never"
    if seconds < 0:
        return "in the future"
    if seconds < 5:
        return "just now"
    if seconds < 90:
        return f"{int(seconds)} s ago"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min ago"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h ago"
    return f"{round(seconds / 86400)} days ago"


def duration_text(ms: object) -> str:
    """A length of time in words: '40 s', '12 min', '2 h 5 min', '3 days 4 h'; '—' when unknown."""
    if isinstance(ms, bool) or not isinstance(ms, (int, float)) or ms != ms or ms < 0:
        return DASH
    seconds = int(ms // 1000)
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 36:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(round(seconds / 3600), 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


def utc_offset_text(moment: datetime) -> str:
    """'+05:00' for an aware datetime."""
    text = moment.strftime("%z")
    return f"{text[:3]}:{text[3:]}" if text else "+00:00"
