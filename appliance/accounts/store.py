"""app_settings access for the accounts service: JSON values under dotted keys."""

from __future__ import annotations

import json
from typing import Any

from appliance.clock import utc_now_iso
from appliance.store import settings


def get_setting(key: str, default: Any = None) -> Any:
    """The decoded value of an app setting, or `default` when unset (the raw text when it is not JSON)."""
    text = settings.get_text(key)
    if text is None:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return text


def set_setting(key: str, value: Any) -> None:
    """Store an app setting as JSON (insert or replace)."""
    settings.put_json(key, value, updated_at=utc_now_iso())


def delete_setting(key: str) -> bool:
    """Remove an app setting; True when it existed."""
    return settings.delete(key)
