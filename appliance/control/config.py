"""The control service's app settings (write budget, lease length), read from the store."""

from __future__ import annotations

from typing import Any, TypeGuard

from appliance.store import settings as settings_store


def app_setting(key: str, default: Any) -> Any:
    """An app setting's JSON value, `default` when unset or unreadable."""
    return settings_store.get_json(key, default)


def whole(value: object, low: int, high: int) -> TypeGuard[int]:
    """Whether a value is a whole number (not a bool) within [low, high]."""
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high
