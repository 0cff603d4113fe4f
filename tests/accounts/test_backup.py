"""Recovery keeps the owner's access: the snapshot holds the password and token hashes and the settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from appliance.accounts import app_settings, passwords, tokens
from appliance.accounts.backup import restore_state
from appliance.catalog import config_yaml, snapshots
from appliance.discovery import settings as discovery_settings
from appliance.errors import ValidationError
from appliance.runtime import Runtime, open_store
from appliance.settings import Settings
from appliance.store.models import database

PASSWORD = "the owner's password"


def _box(tmp_path: Path, example_config: Path) -> tuple[Settings, str]:
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "appliance.db", config_file=example_config)
    open_store(settings)
    passwords.set_password(PASSWORD, PASSWORD)
    headend, _ = tokens.create_token("headend", "sync")
    old, _ = tokens.create_token("old", "read")
    tokens.revoke_token("old")
    app_settings.set_sync_settings("https://headend.example/api", "home-1", "upstream-token-123")
    app_settings.set_retention({"retention.raw_days": 30})
    discovery_settings.set_value(discovery_settings.UNIT_IDS, [1, 2, 3])
    Runtime(settings).snapshot()
    return settings, headend


def test_the_snapshot_holds_hashes_never_the_password_or_tokens(tmp_path, example_config):
    settings, headend = _box(tmp_path, example_config)
    text = snapshots.newest_snapshot(settings.snapshot_dir).read_text()
    database.obj.close()
    assert PASSWORD not in text and headend not in text
    state = yaml.safe_load(text)["state"]
    assert state["users"][0]["password_hash"].startswith("scrypt$")
    assert [(t["name"], bool(t["revoked_at"])) for t in state["api_tokens"]] == [("headend", False), ("old", True)]
    assert state["settings"]["retention.raw_days"] == 30 and state["settings"]["discovery.unit_ids"] == [1, 2, 3]
    assert snapshots.newest_snapshot(settings.snapshot_dir).stat().st_mode & 0o777 == 0o600


def test_after_recovery_the_owner_the_headend_and_the_settings_are_back(tmp_path, example_config):
    settings, headend = _box(tmp_path, example_config)
    database.obj.close()
    with settings.db_path.open("r+b") as fh:
        fh.write(b"garbage, not a database header" * 4)
    _, report = open_store(settings)
    try:
        assert report.recovered_from and report.moved_to
        assert passwords.verify_password(PASSWORD) and not passwords.is_first_run()
        assert tokens.authenticate(headend)["name"] == "headend"
        assert {t["name"] for t in tokens.list_tokens(include_revoked=True)} == {"old", "headend"}
        assert [t["name"] for t in tokens.list_tokens()] == ["headend"]
        assert app_settings.sync_settings(reveal=True) == {"sync.url": "https://headend.example/api",
                                                           "sync.appliance_id": "home-1",
                                                           "sync.token": "upstream-token-123"}
        assert app_settings.retention()["retention.raw_days"] == 30
        assert discovery_settings.load().unit_ids == (1, 2, 3)
    finally:
        database.obj.close()


@pytest.mark.parametrize("state, field", [
    ({"users": [{"username": "root", "password_hash": "scrypt$1$1$1$AAAA$AAAA"}]}, "users[0].username"),
    ({"users": [{"username": "admin", "password_hash": "plain-text"}]}, "users[0].password_hash"),
    ({"api_tokens": [{"name": "h", "scope": "root", "token_hash": "0" * 64, "prefix": "apl_"}]}, "api_tokens[0].scope"),
    ({"api_tokens": [{"name": "h", "scope": "read", "token_hash": "apl_plain", "prefix": "apl_"}]},
     "api_tokens[0].token_hash"),
    ({"settings": {"web.secret_key": "x"}}, "settings.web.secret_key"),
    ({"settings": {"retention.raw_days": -1}}, "retention.raw_days"),
    ({"settings": {"discovery.max_failures": "many"}}, "discovery.max_failures"),
])
def test_a_bad_state_section_is_refused_naming_the_field(db, state, field):
    with pytest.raises(ValidationError) as caught:
        restore_state(state, {"discovery.": discovery_settings.check})
    assert caught.value.field == field


def test_import_config_of_a_snapshot_copies_the_catalog_only(tmp_path, example_config):
    settings, _ = _box(tmp_path, example_config)
    snapshot = snapshots.newest_snapshot(settings.snapshot_dir)
    database.obj.close()
    other = Settings(data_dir=tmp_path / "other", db_path=tmp_path / "other" / "a.db", config_file=tmp_path / "x")
    open_store(other)
    try:
        config_yaml.import_file(snapshot, replace=True)
        assert passwords.is_first_run() and tokens.list_tokens() == []
    finally:
        database.obj.close()
