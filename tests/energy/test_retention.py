"""Retention deletes only what is older than its keep time, in batches."""

from __future__ import annotations

import pytest

from appliance.energy.retention import apply_retention
from appliance.energy.rollups import roll_up
from appliance.errors import ValidationError
from appliance.store.models import database
from tests.energy.site import METER_COLUMNS, energy_rows, insert, insert_energy, local_ms, make_site, meter_rows

DAY = 86_400_000


def count(table: str, where: str = "1", *params) -> int:
    return database.connection().execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", params).fetchone()[0]


@pytest.fixture
def aged(db):
    """Samples of two hours 400 days ago and of two hours yesterday, all rolled up."""
    make_site()
    now = local_ms(2026, 10, 25, 12)
    for start in (now - 400 * DAY, now - DAY):
        insert_energy(energy_rows(start, start + 2 * 3_600_000, inverters=("i1",)))
        insert("meter_samples", METER_COLUMNS, meter_rows(start, start + 2 * 3_600_000))
    roll_up(now_ms=now)
    return now


def test_old_rows_go_and_recent_rows_stay(aged):
    old = aged - 300 * DAY
    before = {t: count(t) for t in ("energy_samples", "energy_5m", "system_5m", "meter_30m", "hourly_energy",
                                    "daily_summary", "meter_daily")}
    counts = apply_retention(aged, batch=7)
    assert counts["energy_samples"] == 120 and counts["meter_samples"] == 120
    assert count("energy_samples", "ts < ?", old) == 0 and count("energy_samples") == 120
    assert counts["energy_5m"] == before["energy_5m"] // 2 and count("energy_5m", "bucket_start < ?", old) == 0
    assert count("system_5m", "bucket_start >= ?", old) == 24
    # 30-minute periods are kept 5 years, hours and days forever
    assert count("meter_30m") == before["meter_30m"]
    for table in ("hourly_energy", "daily_summary", "meter_daily"):
        assert count(table) == before[table]
    assert "hourly_energy" not in counts


def test_policy_is_configurable(aged):
    counts = apply_retention(aged, {"raw_days": 400 + 1, "hourly_days": 30, "thirty_minute_days": 30})
    assert counts["energy_samples"] == 0
    assert counts["hourly_energy"] == 2 and count("hourly_energy") == 2
    assert counts["meter_30m"] == 4
    assert count("daily_summary") == 2  # daily forever by default


def test_a_late_sample_is_not_kept_dirty_once_its_samples_are_gone(aged):
    insert_energy(energy_rows(aged - 399 * DAY, aged - 399 * DAY + 60_000, inverters=("i2",)))
    assert count("rollup_dirty") > 0
    apply_retention(aged)
    assert count("rollup_dirty") == 0


@pytest.mark.parametrize("policy,field", [({"raw": 3}, "raw"), ({"raw_days": 0}, "raw_days"),
                                          ({"daily_days": "x"}, "daily_days")])
def test_bad_policies_are_refused(db, policy, field):
    with pytest.raises(ValidationError) as err:
        apply_retention(0, policy)
    assert err.value.field == field
