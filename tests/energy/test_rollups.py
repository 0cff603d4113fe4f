"""Incremental rollups: late samples, gaps, future samples, and incremental runs equal a rebuild."""

from __future__ import annotations

import pytest

from appliance.energy.rollups import rebuild, roll_up
from appliance.store.models import database
from tests.energy.site import (
    energy_rows, insert_energy, local_ms, make_site,
)

SPRING = (local_ms(2026, 3, 28), local_ms(2026, 3, 30))  # 2026-03-29 has 23 hours in Berlin
AUTUMN = (local_ms(2026, 10, 24), local_ms(2026, 10, 26))  # 2026-10-25 has 25 hours
ENERGIES = ("solar_energy_kwh", "load_energy_kwh", "battery_charge_energy_kwh", "battery_discharge_energy_kwh",
            "grid_import_energy_kwh", "grid_export_energy_kwh")
DAILY = {"solar_energy_kwh": "pv_energy_kwh", "load_energy_kwh": "load_energy_kwh",
         "grid_import_energy_kwh": "grid_energy_imported_kwh", "grid_export_energy_kwh": "grid_energy_exported_kwh"}


def q(sql: str, *params):
    return database.connection().execute(sql, params).fetchall()


def test_incremental_runs_equal_a_rebuild(db):
    make_site()
    start = local_ms(2026, 10, 25)
    rows = energy_rows(start, start + 6 * 3_600_000, pv_counter={"i1": ()})
    # The writer flushes every few minutes; a rollup runs after each flush; i3 arrives late, out of order.
    for cut in range(start, start + 6 * 3_600_000, 1_200_000):
        insert_energy([r for r in rows if cut <= r[0] < cut + 1_200_000 and r[1] != "i3"])
        roll_up(now_ms=cut + 1_200_000)
    insert_energy([r for r in rows if r[1] == "i3"][::-1])
    assert q("SELECT COUNT(*) FROM rollup_dirty")[0][0] > 0
    late = roll_up(now_ms=start + 7 * 3_600_000)
    assert late["energy_samples"]["samples"] == 0 and late["energy_samples"]["buckets"] > 0
    assert q("SELECT COUNT(*) FROM rollup_dirty") == [(0,)]
    tables = ("energy_5m", "array_5m", "system_5m", "hourly_energy", "system_hourly_energy", "daily_summary",
              "system_daily_summary")
    before = {t: _rounded(t) for t in tables}
    for table in tables:
        database.connection().execute(f"DELETE FROM {table}")
    rebuild()
    assert {t: _rounded(t) for t in tables} == before


def _rounded(table: str) -> list[tuple]:
    cursor = database.connection().execute(f"SELECT * FROM {table}")
    names = [d[0] for d in cursor.description]
    keep = [i for i, n in enumerate(names) if n not in ("created_at", "updated_at", "seq")]  # seq: feed bookkeeping
    return sorted((tuple(round(r[i], 9) if isinstance(r[i], float) else r[i] for i in keep) for r in cursor),
                  key=repr)


def test_a_late_sample_rerolls_its_bucket(db):
    make_site()
    start = local_ms(2026, 10, 24, 12)
    rows = energy_rows(start, start + 3_600_000, inverters=("i2",))
    missing = [r for r in rows if start + 600_000 <= r[0] < start + 1_200_000]
    insert_energy([r for r in rows if r not in missing])
    roll_up(now_ms=start + 3_600_000)
    bucket = start + 600_000
    gapped = q("SELECT solar_energy_kwh, sample_count FROM energy_5m WHERE inverter_id = 'i2' AND bucket_start = ?",
               bucket)
    assert gapped == []  # the 11-minute hole is a gap: nothing integrated, no samples
    insert_energy(missing)
    assert q("SELECT COUNT(*) FROM rollup_dirty WHERE source_table = 'energy_samples'") == [(2,)]
    roll_up(now_ms=start + 3_600_000)
    filled = q("SELECT solar_energy_kwh, sample_count FROM energy_5m WHERE inverter_id = 'i2' AND bucket_start = ?",
               bucket)
    assert filled[0][1] == 5 and filled[0][0] > 0.1
    assert q("SELECT SUM(sample_count) FROM hourly_energy WHERE inverter_id = 'i2'") == [(60,)]


def test_gaps_are_not_integrated_and_are_counted(db):
    make_site()
    start = local_ms(2026, 10, 24, 0)
    rows = [(ts, "i3", "a2", "home", 0.0, 1000.0, 1000.0, 0.0, 50.0, None, None, None)
            for ts in range(start, start + 6 * 3_600_000, 60_000) if not start + 3_600_000 < ts < start + 3 * 3_600_000]
    insert_energy(rows)
    result = roll_up(now_ms=start + 7 * 3_600_000)
    assert result["energy_samples"]["gaps"] == 1
    assert result["energy_samples"]["gap_ms"] == 2 * 3_600_000
    load = q("SELECT load_energy_kwh, grid_energy_imported_kwh FROM daily_summary WHERE inverter_id = 'i3'")[0]
    assert load[0] == pytest.approx(1.0 * (6 - 2 - 1 / 60)) and load[1] == pytest.approx(load[0])


def test_future_samples_wait_for_their_time(db):
    make_site()
    start = local_ms(2026, 10, 24, 12)
    insert_energy(energy_rows(start, start + 3_600_000, inverters=("i1",)))
    roll_up(now_ms=start + 1_800_000)
    assert q("SELECT MAX(bucket_start), SUM(sample_count) FROM energy_5m") == [(start + 1_800_000, 31)]
    roll_up(now_ms=start + 3_600_000)
    assert q("SELECT SUM(sample_count) FROM hourly_energy") == [(60,)]


def test_rebuild_of_an_unknown_system_is_not_found(db):
    from appliance.errors import NotFoundError

    with pytest.raises(NotFoundError):
        rebuild("nope")
