"""The control service's app settings (write budget, lease length), read from the store."""

from __future__ import annotations

import json
from typing import Any, TypeGuard

from appliance.store.models import AppSetting


def app_setting(key: str, default: Any) -> Any:
    """An app setting's JSON value, `default` when unset or unreadable."""
    row = AppSetting.get_or_none(AppSetting.key == key)
    if row is None:
        return default
    try:
        return json.loads(row.value)
    except ValueError:
        return default


def whole(value: object, low: int, high: int) -> TypeGuard[int]:
    """Whether a value is a whole number (not a bool) within [low, high]."""
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high
