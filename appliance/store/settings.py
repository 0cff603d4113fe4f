"""Key-value rows: `app_settings` (what an owner or installer set) and `sync_state` (the headend link's own).

Values are stored as JSON text. Reading hands back the text (or its decoded value), because callers
differ in what an undecodable value means: its default, nothing, or the raw text.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable

from appliance.store.models import AppSetting, SyncState, database


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False)


def get_text(key: str) -> str | None:
    """The stored text of an app setting, or None when unset."""
    row = AppSetting.get_or_none(AppSetting.key == key)
    return str(row.value) if row is not None else None


def decoded(text: str | None, default: object = None) -> Any:
    """A stored JSON text decoded; `default` when there is none or it is not JSON."""
    if text is None:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def get_json(key: str, default: object = None) -> Any:
    """The decoded value of an app setting; `default` when unset or not JSON."""
    return decoded(get_text(key), default)


def get_texts(keys: Iterable[str]) -> dict[str, str]:
    """The stored texts of those of `keys` that are set."""
    return {str(row.key): str(row.value) for row in AppSetting.select().where(AppSetting.key.in_(list(keys)))}


def keys_with_prefix(prefix: str) -> list[str]:
    """The keys of the app settings that start with `prefix`."""
    return [str(row.key) for row in AppSetting.select(AppSetting.key).where(AppSetting.key.startswith(prefix))]


def put_json(key: str, value: object, *, updated_at: str | None = None) -> None:
    """Store an app setting as JSON, replacing what it was (updated_at: the database's clock when not given)."""
    values = {"key": key, "value": _json(value)}
    if updated_at is not None:
        values["updated_at"] = updated_at
    with database.atomic():
        AppSetting.insert(**values).on_conflict_replace().execute()


def put_json_on(conn: sqlite3.Connection, key: str, value: object) -> None:
    """Store an app setting as JSON on `conn`, inside the transaction its caller holds (the writer's flush)."""
    conn.execute("INSERT OR REPLACE INTO app_settings (key, value) VALUES (?, ?)", (key, _json(value)))


def update_json(key: str, value: object) -> None:
    """Change the value of an app setting that exists (its updated_at stays)."""
    with database.atomic():
        AppSetting.update(value=_json(value)).where(AppSetting.key == key).execute()


def delete(key: str) -> bool:
    """Remove an app setting; True when it existed."""
    with database.atomic():
        return bool(AppSetting.delete().where(AppSetting.key == key).execute())


def get_state_text(key: str) -> str | None:
    """The stored text of a sync_state value, or None when unset."""
    row = SyncState.get_or_none(SyncState.key == key)
    return str(row.value) if row is not None else None


def put_state_json(key: str, value: object, *, updated_at: str) -> None:
    """Store a sync_state value as JSON (its own short transaction)."""
    with database.atomic():
        SyncState.insert(key=key, value=_json(value), updated_at=updated_at).on_conflict_replace().execute()
