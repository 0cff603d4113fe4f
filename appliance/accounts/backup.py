"""The owner's access and settings in a snapshot's `state` section, and putting them back after a recovery.

Only hashes leave the database: the admin password's scrypt hash and the API tokens' sha256 hashes,
never a password or token. The settings are the upstream sync (its token included: the appliance must
present it to the headend, so it is stored as it is, like in the database), retention, discovery and
MQTT (its password included, for the same reason).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from appliance.accounts.app_settings import set_retention, set_sync_settings
from appliance.accounts.passwords import ADMIN
from appliance.accounts.store import get_setting, set_setting
from appliance.accounts.tokens import NAME_PATTERN, SCOPES
from appliance.clock import utc_now_iso
from appliance.errors import ValidationError
from appliance.store import accounts as accounts_store
from appliance.store.models import ApiToken, AppSetting, User, database

#: app_settings kept in snapshots, by key prefix.
SETTING_PREFIXES = ("sync.", "retention.", "discovery.", "mqtt.")
HASH_PATTERN = re.compile(r"^scrypt\$\d{1,9}\$\d{1,4}\$\d{1,4}\$[A-Za-z0-9+/=]{4,200}\$[A-Za-z0-9+/=]{4,200}$")
TOKEN_HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")
#: A check per key prefix for restored settings that this service does not own (discovery's: by runtime).
SettingCheck = Callable[[str, Any], Any]


def export_state() -> dict[str, Any]:
    """Users (hash only), API tokens (hash only, revoked ones kept for the audit) and the kept settings."""
    users = [{"username": u.username, "password_hash": u.password_hash, "updated_at": u.updated_at}
             for u in User.select().order_by(User.username)]
    api_tokens = [{"name": t.name, "scope": t.scope, "token_hash": t.token_hash, "prefix": t.prefix,
                   "created_at": t.created_at, "last_used_at": t.last_used_at, "revoked_at": t.revoked_at}
                  for t in ApiToken.select().order_by(ApiToken.token_id)]
    settings = {s.key: get_setting(s.key) for s in AppSetting.select().order_by(AppSetting.key)
                if s.key.startswith(SETTING_PREFIXES)}
    return {"users": users, "api_tokens": api_tokens, "settings": settings}


def restore_state(state: Mapping[str, Any], checks: Mapping[str, SettingCheck] | None = None) -> dict[str, int]:
    """Put back what `export_state` wrote, each value checked; return how many of each were restored."""
    if not isinstance(state, Mapping):
        raise ValidationError("must be a mapping", field="state")
    with database.atomic():
        users = _users(_list(state, "users"))
        api_tokens = _tokens(_list(state, "api_tokens"))
        settings = _settings(state.get("settings") or {}, checks or {})
    return {"users": users, "api_tokens": api_tokens, "settings": settings}


def _list(state: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = state.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise ValidationError(f"{key} must be a list of mappings", field=key)
    return value


def _text(item: Mapping[str, Any], key: str, field: str, *, optional: bool = False) -> str | None:
    value = item.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise ValidationError(f"{field}.{key} must be text", field=f"{field}.{key}")
    return value


def _users(items: list[Mapping[str, Any]]) -> int:
    for index, item in enumerate(items):
        field = f"users[{index}]"
        if item.get("username") != ADMIN:
            raise ValidationError(f"{field}.username must be {ADMIN!r}", field=f"{field}.username")
        password_hash = _text(item, "password_hash", field)
        if not HASH_PATTERN.match(password_hash or ""):
            raise ValidationError(f"{field}.password_hash is not an scrypt hash", field=f"{field}.password_hash")
        now = utc_now_iso()
        accounts_store.restore_user(ADMIN, str(password_hash), now, _text(item, "updated_at", field, optional=True) or now)
    return len(items)


def _tokens(items: list[Mapping[str, Any]]) -> int:
    restored = 0
    for index, item in enumerate(items):
        field = f"api_tokens[{index}]"
        name, token_hash = _text(item, "name", field), _text(item, "token_hash", field)
        if not NAME_PATTERN.match(name or ""):
            raise ValidationError(f"{field}.name is not a token name", field=f"{field}.name")
        if item.get("scope") not in SCOPES:
            raise ValidationError(f"{field}.scope must be one of {', '.join(SCOPES)}", field=f"{field}.scope")
        if not TOKEN_HASH_PATTERN.match(token_hash or ""):
            raise ValidationError(f"{field}.token_hash is not a sha256 hash", field=f"{field}.token_hash")
        if ApiToken.get_or_none(ApiToken.token_hash == token_hash) is not None:
            continue
        revoked = _text(item, "revoked_at", field, optional=True)
        if revoked is None and ApiToken.get_or_none((ApiToken.name == name) & ApiToken.revoked_at.is_null()):
            continue  # a token of that name was made since: the newer one stays
        ApiToken.create(name=name, scope=item["scope"], token_hash=token_hash,
                        prefix=(_text(item, "prefix", field) or "")[:16],
                        created_at=_text(item, "created_at", field, optional=True) or utc_now_iso(),
                        last_used_at=_text(item, "last_used_at", field, optional=True), revoked_at=revoked)
        restored += 1
    return restored


def _settings(values: Any, checks: Mapping[str, SettingCheck]) -> int:
    if not isinstance(values, Mapping):
        raise ValidationError("settings must be a mapping", field="settings")
    unknown = [k for k in values if not isinstance(k, str) or not k.startswith(SETTING_PREFIXES)]
    if unknown:
        raise ValidationError(f"settings.{unknown[0]} is not a setting a snapshot keeps",
                              field=f"settings.{unknown[0]}")
    retention = {k: v for k, v in values.items() if k.startswith("retention.")}  # unknown keys: refused
    if retention:
        set_retention(retention)
    if any(k.startswith("sync.") for k in values):
        set_sync_settings(values.get("sync.url"), values.get("sync.appliance_id"), values.get("sync.token"))
    for key, value in values.items():
        if key.startswith(("sync.", "retention.")):
            continue
        check = next((c for prefix, c in checks.items() if key.startswith(prefix)), None)
        if check is None:
            raise ValidationError(f"settings.{key}: no check for this setting", field=f"settings.{key}")
        set_setting(key, check(key, value))
    return len(values)
