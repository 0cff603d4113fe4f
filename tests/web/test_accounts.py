"""The accounts service: passwords, setup code, tokens, stored settings; and the new catalog services."""

from __future__ import annotations

import pytest

from appliance.accounts import app_settings, passwords, tokens
from appliance.catalog import groups, registry
from appliance.errors import ConflictError, NotFoundError, ValidationError
from appliance.store.models import DeviceHealth, User


def test_password_is_stored_as_salted_scrypt(db):
    passwords.set_password("a long password", "a long password")
    stored = User.get().password_hash
    assert stored.startswith("scrypt$") and "a long password" not in stored
    assert passwords.hash_password("same password") != passwords.hash_password("same password")
    assert passwords.verify_password("a long password") and not passwords.verify_password("a long passwore")


def test_password_rules(db):
    with pytest.raises(ValidationError) as short:
        passwords.set_password("short", "short")
    assert short.value.field == "password"
    with pytest.raises(ValidationError) as differ:
        passwords.set_password("long enough 1", "long enough 2")
    assert differ.value.field == "confirmation"


def test_first_run_ends_when_the_password_is_set_and_cannot_be_repeated(db):
    assert passwords.is_first_run()
    passwords.set_initial_password("first password", "first password")
    assert not passwords.is_first_run()
    with pytest.raises(ConflictError):
        passwords.set_initial_password("second password", "second password")


def test_setup_code_is_required_once_issued_and_works_once(db):
    code = passwords.issue_setup_code()
    assert code and passwords.setup_code_pending()
    with pytest.raises(ValidationError) as wrong:
        passwords.set_initial_password("first password", "first password", "WRONG-CODE")
    assert wrong.value.field == "setup_code"
    passwords.set_initial_password("first password", "first password", code.lower())
    assert not passwords.setup_code_pending() and passwords.issue_setup_code() is None


def test_change_password_needs_the_current_one(db):
    passwords.set_password("first password", "first password")
    before = passwords.password_fingerprint()
    with pytest.raises(ValidationError) as wrong:
        passwords.change_password("nope", "second password", "second password")
    assert wrong.value.field == "current_password"
    passwords.change_password("first password", "second password", "second password")
    assert passwords.verify_password("second password") and passwords.password_fingerprint() != before


def test_tokens_are_shown_once_stored_hashed_and_revocable(db):
    token, row = tokens.create_token("headend", "read")
    assert token.startswith("apl_") and "token_hash" not in row and row["prefix"] == token[:10]
    assert tokens.authenticate(token)["name"] == "headend"
    assert tokens.list_tokens()[0]["last_used_at"] is not None
    assert tokens.authenticate(token + "x") is None
    with pytest.raises(ConflictError):
        tokens.create_token("headend", "write")
    tokens.revoke_token("headend")
    assert tokens.authenticate(token) is None and tokens.list_tokens() == []
    assert len(tokens.list_tokens(include_revoked=True)) == 1
    tokens.create_token("headend", "write")  # a revoked token's name can be used again
    with pytest.raises(NotFoundError):
        tokens.revoke_token("nobody")


@pytest.mark.parametrize("name,scope,field", [("", "read", "name"), ("a b", "read", "name"),
                                              ("ok", "admin", "scope")])
def test_token_validation(db, name, scope, field):
    with pytest.raises(ValidationError) as exc:
        tokens.create_token(name, scope)
    assert exc.value.field == field


def test_scopes():
    assert tokens.scope_allows("read", False) and not tokens.scope_allows("read", True)
    assert tokens.scope_allows("write", True) and not tokens.scope_allows("sync", False)


def test_secret_key_is_made_once(db):
    assert app_settings.secret_key() == app_settings.secret_key()


def test_retention_and_sync_settings(db):
    assert app_settings.retention()["retention.raw_days"] == 90  # the domain document's default
    assert app_settings.set_retention({"retention.raw_days": "14"})["retention.raw_days"] == 14
    with pytest.raises(ValidationError) as bad:
        app_settings.set_retention({"retention.raw_days": "0"})
    assert bad.value.field == "retention.raw_days"
    saved = app_settings.set_sync_settings("https://headend.example/api", "pi-1", "secret-token-1234")
    assert saved["sync.url"] == "https://headend.example/api" and saved["sync.token"].endswith("1234")
    assert "secret-token" not in saved["sync.token"]
    assert app_settings.sync_settings(reveal=True)["sync.token"] == "secret-token-1234"
    with pytest.raises(ValidationError) as url:
        app_settings.set_sync_settings("ftp://x", "pi-1")
    assert url.value.field == "sync.url"


def test_maintenance_mode_is_recorded(db, site):
    device = registry.set_maintenance("inverter:inv1", True, "firmware update", None)
    assert device["lifecycle_state"] == "maintenance" and device["health_status"] == "maintenance"
    assert device["maintenance_reason"] == "firmware update"
    with pytest.raises(ValidationError) as no_reason:
        registry.set_maintenance("meter:grid", True, " ")
    assert no_reason.value.field == "reason"
    device = registry.set_maintenance("inverter:inv1", False)
    assert (device["lifecycle_state"], device["health_status"], device["maintenance_reason"]) == \
        ("active", "online", None)
    assert [h.status for h in DeviceHealth.select().order_by(DeviceHealth.ts)] == ["maintenance", "online"]
    with pytest.raises(NotFoundError):
        registry.set_maintenance("inverter:nope", True, "x")


def test_device_groups(db, site):
    group = groups.create_group("g1", "Batteries", "control", system_id="home")
    assert group["members"] == []
    groups.set_member("g1", "battery_pack:pack1", role="primary", priority=1)
    groups.set_member("g1", "inverter:inv1", role="backup", priority=2)
    assert [m["device_id"] for m in groups.get_group("g1")["members"]] == ["battery_pack:pack1", "inverter:inv1"]
    with pytest.raises(ValidationError) as role:
        groups.set_member("g1", "meter:grid", role="boss")
    assert role.value.field == "role"
    with pytest.raises(ValidationError) as unknown:
        groups.set_member("g1", "meter:nope")
    assert unknown.value.field == "device_id"
    with pytest.raises(ConflictError):
        groups.create_group("g1", "Again", "control")
    with pytest.raises(ValidationError):
        groups.create_group("g2", "Bad", "party")
    groups.remove_member("g1", "inverter:inv1")
    assert groups.update_group("g1", name="Renamed")["name"] == "Renamed"
    groups.delete_group("g1")
    assert groups.list_groups() == []
