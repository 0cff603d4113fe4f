"""A broken database is moved aside and the configuration restored from a snapshot or config.yaml."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from appliance.catalog import config_yaml, devices, events, snapshots, systems
from appliance.catalog.recovery import prepare
from appliance.settings import Settings
from appliance.store.models import database


def _settings(tmp_path: Path, config: Path | None = None) -> Settings:
    return Settings(data_dir=tmp_path, db_path=tmp_path / "appliance.db",
                    config_file=config or tmp_path / "missing-config.yaml")


def _real_database(settings: Settings, example_config: Path) -> None:
    """A database with the example catalog and enough samples to make the file large."""
    handle, _ = prepare(settings)
    config_yaml.import_file(example_config)
    rows = [(ts, "powdrive1", "array2", "system", ts % 5000) for ts in range(0, 20000)]
    handle.connection().executemany("INSERT INTO energy_samples (ts, inverter_id, array_id, system_id, pv_power_w) "
                                    "VALUES (?, ?, ?, ?, ?)", rows)
    handle.connection().commit()
    handle.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    handle.close()


def _truncate_to_half(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.truncate(size // 2)


def _garbage_header(path: Path) -> None:
    with path.open("r+b") as fh:
        fh.write(b"this is not an sqlite header!!!" * 4)


@pytest.mark.parametrize("damage", [_truncate_to_half, _garbage_header])
def test_broken_database_is_moved_aside_and_restored_from_the_newest_snapshot(tmp_path, example_config, damage):
    settings = _settings(tmp_path)
    _real_database(settings, example_config)
    prepare(settings)
    snapshots.write_snapshot(settings.snapshot_dir, now=datetime(2026, 1, 2, tzinfo=timezone.utc))
    devices.update_inverter("powdrive1", name="Renamed after snapshot")
    database.obj.close()
    damage(settings.db_path)

    _, report = prepare(settings)
    moved = list(tmp_path.glob("appliance.db.corrupt-*"))
    assert moved and report.moved_to == moved[0]
    assert report.recovered_from.endswith("config-20260102.yaml")
    assert devices.get_inverter("powdrive1")["name"] == "Powdrive"
    recovery = events.recent("recovery")
    assert len(recovery) == 1 and recovery[0]["severity"] == "error"
    assert "moved to appliance.db.corrupt-" in recovery[0]["message"]
    assert database.execute_sql("PRAGMA quick_check").fetchone()[0] == "ok"
    database.obj.close()


def test_without_snapshots_config_yaml_restores(tmp_path, example_config):
    settings = _settings(tmp_path, config=example_config)
    _real_database(settings, example_config)
    _garbage_header(settings.db_path)
    _, report = prepare(settings)
    assert report.recovered_from == str(example_config)
    assert len(devices.list_inverters()) == 3
    database.obj.close()


def test_without_anything_to_restore_defaults_are_created_and_the_event_says_so(tmp_path, example_config):
    settings = _settings(tmp_path)
    _real_database(settings, example_config)
    _garbage_header(settings.db_path)
    _, report = prepare(settings)
    assert report.recovered_from is None and report.defaults_created
    assert [s["system_id"] for s in systems.list_systems()] == ["system"]
    assert "defaults created" in events.recent("recovery")[0]["message"]
    database.obj.close()


def test_empty_database_is_seeded_from_config_yaml_once(tmp_path, example_config):
    settings = _settings(tmp_path, config=example_config)
    _, report = prepare(settings)
    assert report.imported == example_config and not report.defaults_created
    devices.update_inverter("powdrive1", name="Owner's name")
    database.obj.close()
    _, again = prepare(settings)
    assert again.imported is None
    assert devices.get_inverter("powdrive1")["name"] == "Owner's name"
    database.obj.close()


def test_snapshots_keep_the_newest_seven(db, tmp_path):
    systems.create_system("s", "S")
    folder = tmp_path / "snaps"
    for day in range(1, 11):
        snapshots.write_snapshot(folder, now=datetime(2026, 3, day, tzinfo=timezone.utc))
    names = [p.name for p in snapshots.list_snapshots(folder)]
    assert names == [f"config-202603{d:02d}.yaml" for d in range(10, 3, -1)]


def test_a_snapshot_is_never_overwritten_by_a_catalog_that_holds_less(db, tmp_path, example_config):
    config_yaml.import_file(example_config)
    folder, day = tmp_path / "snaps", datetime(2026, 3, 1, 8, tzinfo=timezone.utc)
    full = snapshots.write_snapshot(folder, now=day)
    held = full.read_text()
    config_yaml.clear_catalog()
    systems.create_system("system", "Defaults only")
    snapshots.write_snapshot(folder, now=datetime(2026, 3, 1, 9, tzinfo=timezone.utc))
    names = [p.name for p in snapshots.list_snapshots(folder)]
    assert names == ["config-20260301.yaml", "config-20260301-090000.yaml"]
    assert (folder / "config-20260301-090000.yaml").read_text() == held, "the fuller snapshot is kept as it was"
    assert "Defaults only" in full.read_text()


def test_snapshots_are_readable_by_the_service_user_alone(db, tmp_path):
    systems.create_system("s", "S")
    path = snapshots.write_snapshot(tmp_path / "snaps")
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_a_missing_or_empty_database_after_a_good_start_is_restored_not_reset(tmp_path, example_config):
    settings = _settings(tmp_path)
    _real_database(settings, example_config)
    prepare(settings)
    snapshots.write_snapshot(settings.snapshot_dir)
    database.obj.close()
    for damage, word in ((lambda p: p.write_bytes(b""), "empty"), (lambda p: p.unlink(), "missing")):
        for suffix in ("-wal", "-shm"):
            Path(f"{settings.db_path}{suffix}").unlink(missing_ok=True)
        damage(settings.db_path)
        _, report = prepare(settings)
        assert report.recovered_from and not report.defaults_created
        assert len(devices.list_inverters()) == 3
        assert word in events.recent("recovery")[0]["message"]
        database.obj.close()


def test_a_new_box_with_an_empty_file_starts_fresh(tmp_path, example_config):
    settings = _settings(tmp_path, config=example_config)
    settings.db_path.write_bytes(b"")
    _, report = prepare(settings)
    assert report.imported == example_config and report.recovered_from is None
    assert events.recent("recovery") == []
    database.obj.close()


def test_a_full_disk_or_io_error_raises_and_moves_nothing(tmp_path, example_config, monkeypatch):
    import sqlite3

    from appliance.errors import StoreError
    from appliance.store import db as store_db

    settings = _settings(tmp_path)
    _real_database(settings, example_config)
    before = settings.db_path.read_bytes()
    real_connect = sqlite3.connect

    def full_disk(*args, **kwargs):
        error = sqlite3.OperationalError("database or disk is full")
        error.sqlite_errorcode, error.sqlite_errorname = 13, "SQLITE_FULL"
        raise error

    monkeypatch.setattr(store_db.sqlite3, "connect", full_disk)
    with pytest.raises(StoreError, match="the disk is full"):
        prepare(settings)
    monkeypatch.setattr(store_db.sqlite3, "connect", real_connect)
    assert settings.db_path.read_bytes() == before and not list(tmp_path.glob("*.corrupt-*"))
