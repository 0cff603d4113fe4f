"""A headend following the feed across migration 13 gets every row exactly once, the rewritten one in its
latest version; rollup rows come through their spans like samples."""

from __future__ import annotations

import json

from appliance.acquisition.writer import SampleWriter
from appliance.energy.rollups import roll_up
from appliance.store.db import migrate, open_database
from appliance.store.models import database
from tests.sync.conftest import START_MS, energy_row, follow, key_of


def _old_rows(handle, count: int) -> None:
    for i in range(count):
        handle.execute_sql("INSERT INTO energy_samples (ts, inverter_id, array_id, system_id, pv_power_w, details) "
                           "VALUES (?, 'inv1', 'roof', 'home', ?, '{}')", (START_MS + i * 5000, i))


def test_a_cursor_taken_before_migration_13_sees_every_row_once_after_it(tmp_path):
    handle = open_database(tmp_path / "old.db", migrate_to=12)
    handle.execute_sql("INSERT INTO systems (system_id, name, timezone) VALUES ('home', 'Home', 'UTC')")
    handle.execute_sql("INSERT INTO arrays (array_id, system_id, name) VALUES ('roof', 'home', 'Roof')")
    handle.execute_sql("INSERT INTO inverters (inverter_id, array_id, system_id, name) "
                       "VALUES ('inv1', 'roof', 'home', 'Inverter')")
    _old_rows(handle, 10)  # written by migration 6's triggers: one sync_feed entry each
    # A headend read the feed of the old appliance up to its 7th sample: what it holds, and its cursor.
    entries = handle.execute_sql("SELECT seq, key FROM sync_feed WHERE tid = 1 ORDER BY seq").fetchall()
    fid = json.loads(handle.execute_sql("SELECT value FROM sync_state WHERE key = 'feed.id'").fetchone()[0])
    held = {("energy_samples", json.dumps({"inverter_id": "inv1", "ts": json.loads(k)[1]}, sort_keys=True))
            for _, k in entries[:7]}
    cursor = f"{fid}-{entries[6][0]}"
    migrate(handle)
    writer = SampleWriter(flush_interval_s=3600).start()
    writer.submit({"energy_samples": [energy_row("inv1", START_MS + 9 * 5000, pv=999)]  # an old row rewritten
                   + [energy_row("inv1", START_MS + i * 5000) for i in range(10, 20)]})
    writer.stop()
    rest, _ = follow(cursor, limit=3)
    energy = [r for r in rest if r["table"] == "energy_samples"]
    keys = [key_of(r) for r in energy]
    assert len(keys) == len(set(keys)) and not held & set(keys), "nothing the headend held comes again"
    assert held | set(keys) == {("energy_samples", json.dumps({"inverter_id": "inv1", "ts": START_MS + i * 5000},
                                                               sort_keys=True)) for i in range(20)}
    latest = {r["key"]["ts"]: r["row"]["pv_power_w"] for r in energy}
    assert latest[START_MS + 9 * 5000] == 999, "the rewritten row in its latest version only"
    assert all("seq" not in r["row"] for r in energy)
    seqs = [r["seq"] for r in rest]
    assert seqs == sorted(seqs)
    handle.close()


def test_rollup_rows_come_once_in_their_latest_version(tmp_path):
    handle = open_database(tmp_path / "new.db")
    handle.execute_sql("INSERT INTO systems (system_id, name, timezone) VALUES ('home', 'Home', 'UTC')")
    handle.execute_sql("INSERT INTO arrays (array_id, system_id, name) VALUES ('roof', 'home', 'Roof')")
    handle.execute_sql("INSERT INTO inverters (inverter_id, array_id, system_id, name) "
                       "VALUES ('inv1', 'roof', 'home', 'Inverter')")
    writer = SampleWriter(flush_interval_s=3600).start()
    writer.submit({"energy_samples": [energy_row("inv1", START_MS + i * 5000) for i in range(120)]})
    writer.flush_now(after=False)
    roll_up(now_ms=START_MS + 600_000)
    _, cursor = follow(None)
    writer.submit({"energy_samples": [energy_row("inv1", START_MS + i * 5000, pv=5000) for i in range(120, 240)]})
    writer.stop()
    roll_up(now_ms=START_MS + 1_200_000)  # the current hour and day are recomputed: new versions
    rows, _ = follow(cursor, limit=4)
    hourly = [r for r in rows if r["table"] == "hourly_energy"]
    daily = [r for r in rows if r["table"] == "daily_summary"]
    assert len(hourly) == 1 and len(daily) == 1, "a recomputed row once, not once per write"
    stored = database.execute_sql("SELECT solar_energy_kwh FROM hourly_energy").fetchone()[0]
    assert hourly[0]["row"]["solar_energy_kwh"] == stored
    keys = [key_of(r) for r in rows]
    assert len(keys) == len(set(keys))
    handle.close()


def test_the_same_sample_twice_in_one_flush_is_stored_and_sent_once_in_its_later_version(tmp_path):
    handle = open_database(tmp_path / "dup.db")
    handle.execute_sql("INSERT INTO systems (system_id, name, timezone) VALUES ('home', 'Home', 'UTC')")
    handle.execute_sql("INSERT INTO arrays (array_id, system_id, name) VALUES ('roof', 'home', 'Roof')")
    handle.execute_sql("INSERT INTO inverters (inverter_id, array_id, system_id, name) "
                       "VALUES ('inv1', 'roof', 'home', 'Inverter')")
    writer = SampleWriter(flush_interval_s=3600).start()
    writer.submit({"energy_samples": [energy_row("inv1", START_MS, pv=1), energy_row("inv1", START_MS + 5000, pv=7),
                                      energy_row("inv1", START_MS, pv=2)]})
    writer.stop()
    assert database.execute_sql("SELECT pv_power_w FROM energy_samples ORDER BY ts").fetchall() == [(2,), (7,)]
    rows, _ = follow(None, limit=1)
    energy = [(r["key"]["ts"], r["row"]["pv_power_w"]) for r in rows if r["table"] == "energy_samples"]
    assert sorted(energy) == [(START_MS, 2), (START_MS + 5000, 7)]
    handle.close()
