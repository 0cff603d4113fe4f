"""Opening an older database migrates it forward and keeps its data."""

from __future__ import annotations

import pytest

from appliance.errors import StoreError
from appliance.store.db import latest_version, open_database, schema_version


def test_version_1_database_is_migrated_and_keeps_its_rows(db_path):
    old = open_database(db_path, migrate_to=1)
    assert schema_version(old) == 1
    old.execute_sql("INSERT INTO systems (system_id, name) VALUES ('home', 'Home')")
    old.execute_sql("INSERT INTO arrays (array_id, system_id, name) VALUES ('a1', 'home', 'Roof')")
    old.execute_sql("INSERT INTO inverters (inverter_id, array_id, system_id, name) VALUES ('i1', 'a1', 'home', 'Inv')")
    old.execute_sql("INSERT INTO energy_samples (ts, inverter_id, array_id, system_id, pv_power_w) "
                    "VALUES (1700000000000, 'i1', 'a1', 'home', 1234)")
    old.close()

    new = open_database(db_path)
    assert schema_version(new) == latest_version() >= 2
    assert new.execute_sql("SELECT pv_power_w, battery_power_w FROM energy_samples").fetchall() == [(1234, None)]
    assert new.execute_sql("SELECT name FROM inverters").fetchall() == [("Inv",)]
    columns = {r[1] for r in new.execute_sql("PRAGMA table_info(energy_samples)")}
    assert {"battery_power_w", "pv_energy_total_kwh", "details"} <= columns
    new.close()


def test_reopening_a_current_database_changes_nothing(db_path):
    first = open_database(db_path)
    first.execute_sql("INSERT INTO systems (system_id, name) VALUES ('home', 'Home')")
    first.close()
    again = open_database(db_path)
    assert again.execute_sql("SELECT count(*) FROM systems").fetchone()[0] == 1
    again.close()


def test_a_database_from_a_newer_appliance_is_refused(db_path):
    handle = open_database(db_path)
    handle.execute_sql(f"PRAGMA user_version = {latest_version() + 1}")
    handle.close()
    with pytest.raises(StoreError, match="newer than this appliance"):
        open_database(db_path)
