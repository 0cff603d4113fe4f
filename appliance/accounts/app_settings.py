"""Settings the web UI edits: the session secret, retention, upstream sync."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlparse

from appliance.accounts.store import get_setting, set_setting
from appliance.errors import ValidationError
from appliance.validation import ID_PATTERN

SECRET_KEY = "web.secret_key"
#: Retention per table family in days; 0 keeps rows forever. Defaults are the domain document's:
#: raw 90 days, 5-minute 1 year, 30-minute 5 years, hourly and daily forever; alerts that ended, 1 year.
RETENTION_DEFAULTS = {"retention.raw_days": 90, "retention.five_minute_days": 365,
                      "retention.thirty_minute_days": 5 * 365, "retention.hourly_days": 0, "retention.daily_days": 0,
                      "retention.alerts_days": 365}
SYNC_KEYS = ("sync.url", "sync.token", "sync.appliance_id")
TOKEN_PATTERN = re.compile(r"^[\x21-\x7e]{8,512}$")


def secret_key() -> str:
    """The Flask session secret: generated once, then kept so sessions survive a restart."""
    key = get_setting(SECRET_KEY)
    if not isinstance(key, str) or len(key) < 32:
        key = secrets.token_hex(32)
        set_setting(SECRET_KEY, key)
    return key


def retention() -> dict[str, int]:
    """Retention days per table family, defaults filled in."""
    return {key: int(get_setting(key, default)) for key, default in RETENTION_DEFAULTS.items()}


def set_retention(values: dict[str, Any]) -> dict[str, int]:
    """Store retention days (whole numbers 0..36500; raw samples at least 1 day)."""
    for key in values:
        if key not in RETENTION_DEFAULTS:
            raise ValidationError(f"unknown retention setting {key!r}", field=key)
    checked = {}
    for key, value in values.items():
        try:
            days = int(value)
        except (TypeError, ValueError):
            raise ValidationError(f"{key} must be a whole number of days", field=key) from None
        low = 1 if key == "retention.raw_days" else 0
        if not low <= days <= 36500:
            raise ValidationError(f"{key} must be between {low} and 36500", field=key)
        checked[key] = days
    for key, days in checked.items():
        set_setting(key, days)
    return retention()


def sync_settings(*, reveal: bool = False) -> dict[str, Any]:
    """The upstream sync settings; the token is masked unless `reveal`."""
    out = {key: get_setting(key) for key in SYNC_KEYS}
    if out["sync.token"] and not reveal:
        out["sync.token"] = "•" * 8 + str(out["sync.token"])[-4:]
    return out


def set_sync_settings(url: Any, appliance_id: Any, token: Any = None) -> dict[str, Any]:
    """Store the headend URL (http/https), this appliance's id there and, when given, the token."""
    url = (url or "").strip() if isinstance(url, str) or url is None else url
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValidationError("sync.url must be an http:// or https:// URL", field="sync.url")
    appliance_id = (appliance_id or "").strip() if isinstance(appliance_id, str) or appliance_id is None else None
    if appliance_id is None or (appliance_id and not ID_PATTERN.match(appliance_id)):
        raise ValidationError("sync.appliance_id must be 1-64 letters, digits, '_', '.', ':' or '-'",
                              field="sync.appliance_id")
    if token not in (None, "") and (not isinstance(token, str) or not TOKEN_PATTERN.match(token)):
        raise ValidationError("sync.token must be 8-512 printable characters without spaces", field="sync.token")
    set_setting("sync.url", url or None)
    set_setting("sync.appliance_id", appliance_id or None)
    if token:
        set_setting("sync.token", token)
    return sync_settings()
