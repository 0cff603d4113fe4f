"""The disk budget deletes the oldest raw samples before the disk fills; rollups stay; the status says how long."""

from __future__ import annotations

import json

from appliance.acquisition.writer import SampleWriter
from appliance.catalog import devices, systems
from appliance.energy import storage
from appliance.energy.rollups import roll_up
from appliance.store import space
from appliance.store.models import AppSetting, database
from tests.sync.conftest import energy_row, meter_row

START = 1_780_000_000_000
MINUTE = 60_000


def _home() -> None:
    systems.create_system("home", "Home", timezone="UTC")
    systems.create_array("roof", "home", "Roof")
    devices.create_inverter("inv1", "roof", "Inverter")
    devices.create_meter("m1", "home", "Meter")


def _pages() -> int:
    return database.execute_sql("PRAGMA page_count").fetchone()[0]


def test_the_budget_deletes_raw_samples_before_a_size_limited_database_fills(db):
    _home()
    # A small "disk": SQLite's max_page_count on the writer's connection and this one (it is per connection).
    writer = SampleWriter(flush_interval_s=3600)
    page = database.execute_sql("PRAGMA page_size").fetchone()[0]
    limit_pages = _pages() + 2_400_000 // page  # about 2.4 MB of room
    original = writer._write

    def capped(batch):
        database.connection().execute(f"PRAGMA max_page_count = {limit_pages}")
        return original(batch)

    writer._write = capped
    writer.start()
    database.execute_sql(f"PRAGMA max_page_count = {limit_pages}")
    watch = storage.StorageWatch()
    daily_rows_seen = 0
    for hour in range(24 * 8):  # eight days of 20-second samples, an hour per flush
        base = START + hour * 60 * MINUTE
        rows = {"energy_samples": [energy_row("inv1", base + i * 20_000, pv=i) for i in range(180)],
                "meter_samples": [meter_row("m1", base + i * 20_000) for i in range(180)]}
        writer.submit(rows)
        writer.flush_now(after=False)
        assert writer.stats.last_error is None, f"hour {hour}: {writer.stats.last_error}"
        roll_up(now_ms=base + 60 * MINUTE)
        watch.enforce(base + 60 * MINUTE)
        daily_rows_seen = max(daily_rows_seen, database.execute_sql(
            "SELECT COUNT(*) FROM system_daily_summary").fetchone()[0])
    writer.stop()
    assert writer.stats.dropped == 0, "no sample was refused for want of space"
    oldest = space.oldest_raw(database.connection())
    assert oldest is not None and oldest > START + 24 * 60 * MINUTE, "the oldest raw samples went first"
    newest = database.execute_sql("SELECT MAX(ts) FROM energy_samples").fetchone()[0]
    assert newest >= START + (24 * 8 - 1) * 60 * MINUTE, "the newest samples are all there"
    # Rollups are never deleted for space: every day rolled up is still there, from the first one.
    days = database.execute_sql("SELECT COUNT(*), MIN(date) FROM system_daily_summary").fetchone()
    assert days[0] == daily_rows_seen >= 8 and days[1] == "2026-05-28"
    used = space.space(database.connection()).used_bytes
    assert used <= storage.limit_bytes(space.space(database.connection()), 10**15, 10**15, storage.budget())


def test_the_budget_can_be_set_and_reports_the_room_left(db):
    _home()
    database.execute_sql("INSERT INTO app_settings (key, value) VALUES ('storage.max_db_mb', '64'), "
                         "('storage.min_free_pct', '20')")
    policy = storage.budget()
    assert policy.max_db_bytes == 64 * 1024 * 1024 and policy.min_free_pct == 20
    sp = space.space(database.connection())
    # The disk decides when it is the tighter limit: 20 % of a 100 MB disk stays free.
    assert storage.limit_bytes(sp, 100 * 10**6, 30 * 10**6, policy) == sp.file_bytes + sp.wal_bytes + 10 * 10**6
    assert storage.limit_bytes(sp, 10**12, 5 * 10**11, policy) == 64 * 1024 * 1024
    assert storage.limit_bytes(sp, 10**12, 10**11, policy) == 0  # already less than 20 % free: no room


def test_status_measures_growth_and_writes_and_days_left(db):
    _home()
    clock = {"ms": START}
    io = {"bytes": 1_000_000}
    watch = storage.StorageWatch(io_bytes=lambda: io["bytes"], wall_ms=lambda: clock["ms"])
    first = watch.status()
    assert first.growth_bytes_per_day is None and first.writes_bytes_per_day is None  # still measuring
    writer = SampleWriter(flush_interval_s=3600).start()
    writer.submit({"energy_samples": [energy_row("inv1", START + i * 5000) for i in range(2000)]})
    writer.stop()
    clock["ms"] += 3_600_000
    io["bytes"] += 5_000_000
    status = watch.status()
    grown = status.used_bytes - first.used_bytes
    assert grown > 0 and status.growth_bytes_per_day == grown * 24
    assert status.writes_bytes_per_day == 5_000_000 * 24
    assert status.days_left == (status.limit_bytes - status.used_bytes) / status.growth_bytes_per_day
    # Deleting rows is not negative growth: freed bytes are counted back in.
    watch.note_freed(10_000, 4_000)
    assert json.loads(AppSetting.get_by_id("storage.freed_bytes").value) == 6_000

