"""app_settings access for the accounts service: JSON values under dotted keys."""

from __future__ import annotations

import json
from typing import Any

from appliance.clock import utc_now_iso
from appliance.store.models import AppSetting, database


def get_setting(key: str, default: Any = None) -> Any:
    """The decoded value of an app setting, or `default` when unset."""
    setting = AppSetting.get_or_none(AppSetting.key == key)
    if setting is None:
        return default
    try:
        return json.loads(setting.value)
    except ValueError:
        return setting.value


def set_setting(key: str, value: Any) -> None:
    """Store an app setting as JSON (insert or replace)."""
    with database.atomic():
        (AppSetting.insert(key=key, value=json.dumps(value, sort_keys=True, allow_nan=False), updated_at=utc_now_iso())
         .on_conflict_replace().execute())


def delete_setting(key: str) -> bool:
    """Remove an app setting; True when it existed."""
    return bool(AppSetting.delete().where(AppSetting.key == key).execute())
