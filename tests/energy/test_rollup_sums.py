"""Rollups of two simulated days around each DST change: hours, sums across levels, energy balance."""

from __future__ import annotations

import pytest

from appliance.catalog.adapters import sync_adapter_types
from appliance.energy.rollups import roll_up
from appliance.store.db import open_database
from appliance.store.models import database
from tests.energy.site import (
    INVERTERS, METER_COLUMNS, PACK_COLUMNS, energy_rows, insert, insert_energy, local_ms, make_site, meter_rows,
    pack_rows,
)

SPRING = (local_ms(2026, 3, 28), local_ms(2026, 3, 30))  # 2026-03-29 has 23 hours in Berlin
AUTUMN = (local_ms(2026, 10, 24), local_ms(2026, 10, 26))  # 2026-10-25 has 25 hours
ENERGIES = ("solar_energy_kwh", "load_energy_kwh", "battery_charge_energy_kwh", "battery_discharge_energy_kwh",
            "grid_import_energy_kwh", "grid_export_energy_kwh")
DAILY = {"solar_energy_kwh": "pv_energy_kwh", "load_energy_kwh": "load_energy_kwh",
         "grid_import_energy_kwh": "grid_energy_imported_kwh", "grid_export_energy_kwh": "grid_energy_exported_kwh"}


def q(sql: str, *params):
    return database.connection().execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def site_db(tmp_path_factory):
    """One rolled-up site shared by this module's tests, which only read it."""
    handle = open_database(tmp_path_factory.mktemp("site") / "appliance.db")
    sync_adapter_types()
    make_site()
    for start, end in (SPRING, AUTUMN):
        insert_energy(energy_rows(start, end, pv_counter={"i1": (start + 20 * 3_600_000,)}))
        insert("meter_samples", METER_COLUMNS, meter_rows(start, end))
        insert("battery_bank_samples", PACK_COLUMNS, pack_rows(start, end))
    result = roll_up(now_ms=AUTUMN[1] + 3_600_000)
    yield handle, result
    handle.close()


@pytest.fixture
def site(site_db):
    handle, result = site_db
    database.initialize(handle)
    return result


def test_dst_days_have_23_and_25_hours(site):
    hours = dict(q("SELECT date, COUNT(*) FROM system_hourly_energy GROUP BY date"))
    assert hours["2026-03-28"] == 24 and hours["2026-03-29"] == 23
    assert hours["2026-10-24"] == 24 and hours["2026-10-25"] == 25
    starts = [r[0] for r in q("SELECT hour_start FROM hourly_energy WHERE inverter_id = 'i1' AND date = '2026-10-25' "
                              "ORDER BY hour_start")]
    assert all(b - a == 3_600_000 for a, b in zip(starts, starts[1:]))
    assert starts[0] == local_ms(2026, 10, 25)
    assert q("SELECT COUNT(*) FROM meter_hourly_energy WHERE date = '2026-03-29'") == [(23,)]
    assert q("SELECT COUNT(*) FROM battery_bank_hourly WHERE date = '2026-10-25'") == [(25,)]
    assert q("SELECT COUNT(*) FROM meter_30m WHERE bucket_start >= ? AND bucket_start < ?",
             local_ms(2026, 10, 25), local_ms(2026, 10, 26)) == [(50,)]
    # 48 buckets of 5 minutes a day less (or more) one hour, per inverter
    assert q("SELECT COUNT(*) FROM energy_5m WHERE inverter_id = 'i2' AND bucket_start >= ? AND bucket_start < ?",
             local_ms(2026, 3, 29), local_ms(2026, 3, 30)) == [(23 * 12,)]


def test_a_counter_reset_is_not_counted_as_energy(site):
    assert site["energy_samples"]["counter_resets"] == 2
    counted = dict(q("SELECT date, pv_energy_kwh FROM daily_summary WHERE inverter_id = 'i1'"))
    # i3 has the same sun at 0.8 of i1's size and no counter: i1 must be 1/0.8 of it, reset or not
    scaled = dict(q("SELECT date, pv_energy_kwh / 0.8 FROM daily_summary WHERE inverter_id = 'i3'"))
    for day, value in counted.items():
        assert value == pytest.approx(scaled[day], rel=1e-6)
    assert max(r[0] for r in q("SELECT solar_energy_kwh FROM energy_5m WHERE inverter_id = 'i1'")) < 0.5


@pytest.mark.parametrize("level,key,hourly,daily", [
    ("inverter", "inverter_id", "hourly_energy", "daily_summary"),
    ("array", "array_id", "array_hourly_energy", "array_daily_summary"),
    ("system", "system_id", "system_hourly_energy", "system_daily_summary")])
def test_daily_is_the_sum_of_its_hours(site, level, key, hourly, daily):
    for column, day_column in DAILY.items():
        rows = q(f"SELECT d.{key}, d.date, d.{day_column}, SUM(h.{column}), d.sample_count, SUM(h.sample_count) "
                 f"FROM {daily} d JOIN {hourly} h ON h.{key} = d.{key} AND h.date = d.date GROUP BY d.{key}, d.date")
        assert len(rows) >= 4
        for _, _, day_value, hour_sum, day_count, hour_count in rows:
            assert day_value == pytest.approx(hour_sum, abs=1e-9)
            assert day_count == hour_count


def test_hour_is_the_sum_of_its_five_minutes(site):
    rows = q("SELECT h.solar_energy_kwh, (SELECT SUM(solar_energy_kwh) FROM energy_5m f WHERE f.inverter_id = "
             "h.inverter_id AND f.bucket_start >= h.hour_start AND f.bucket_start < h.hour_start + 3600000) "
             "FROM hourly_energy h")
    assert all(a == pytest.approx(b, abs=1e-9) for a, b in rows)


def test_array_is_the_sum_of_its_inverters_and_system_of_its_arrays(site):
    for column in ENERGIES:
        arrays = q(f"SELECT a.{column}, SUM(i.{column}) FROM array_hourly_energy a JOIN hourly_energy i "
                   f"ON i.array_id = a.array_id AND i.hour_start = a.hour_start GROUP BY a.array_id, a.hour_start")
        assert all(a == pytest.approx(b, abs=1e-9) for a, b in arrays)
        system = q(f"SELECT s.{column}, SUM(a.{column}) FROM system_hourly_energy s JOIN array_hourly_energy a "
                   f"ON a.system_id = s.system_id AND a.hour_start = s.hour_start GROUP BY s.hour_start")
        assert all(a == pytest.approx(b, abs=1e-9) for a, b in system)
    five = q("SELECT s.solar_energy_kwh, SUM(i.solar_energy_kwh) FROM system_5m s JOIN energy_5m i "
             "ON i.bucket_start = s.bucket_start GROUP BY s.bucket_start")
    assert len(five) > 500 and all(a == pytest.approx(b, abs=1e-9) for a, b in five)
    days = q("SELECT s.pv_energy_kwh, SUM(a.pv_energy_kwh), s.battery_cycles FROM system_daily_summary s "
             "JOIN array_daily_summary a ON a.date = s.date GROUP BY s.date")
    assert all(a == pytest.approx(b, abs=1e-9) for a, b, _ in days)


def test_energy_in_equals_energy_out(site):
    for pv, load, charge, discharge, imported, exported in q(
            f"SELECT {', '.join(ENERGIES)} FROM system_hourly_energy"):
        assert pv + imported + discharge == pytest.approx(load + exported + charge, abs=1e-3)


def test_daily_peaks_soc_and_cycles(site):
    day = q("SELECT pv_peak_hour, pv_max_power_w, battery_min_soc_pct, battery_max_soc_pct, battery_cycles, "
            "grid_max_import_w, grid_max_export_w, year, day_of_year FROM daily_summary "
            "WHERE inverter_id = 'i1' AND date = '2026-10-25'")[0]
    assert 11 <= day[0] <= 13 and 3000 < day[1] <= 4000
    assert 20 <= day[2] < day[3] <= 80
    discharged = q("SELECT SUM(battery_discharge_energy_kwh) FROM hourly_energy WHERE inverter_id = 'i1' "
                   "AND date = '2026-10-25'")[0][0]
    assert day[4] == pytest.approx(discharged / 10.0)
    assert day[5] > 0 and day[6] > 0 and day[7:] == (2026, 298)
    pack = q("SELECT charge_energy_kwh, discharge_energy_kwh, net_energy_kwh, cycles FROM battery_bank_daily "
             "WHERE date = '2026-03-28'")[0]
    assert pack[0] == pytest.approx(12.0, rel=0.05) and pack[1] == pytest.approx(24.0, rel=0.05)
    assert pack[2] == pytest.approx(pack[1] - pack[0]) and pack[3] == pytest.approx(pack[1] / 10.0)
    meter = q("SELECT import_energy_kwh, export_energy_kwh, max_import_power_w FROM meter_daily "
              "WHERE day = '2026-10-25'")[0]
    assert meter == (pytest.approx(0.8 * 25, rel=1e-3), 0.0, 800)


def test_rollup_is_idempotent_and_a_repeat_does_nothing(site):
    again = roll_up(now_ms=AUTUMN[1] + 3_600_000)
    assert again["energy_samples"]["samples"] == 0 and again["energy_samples"]["buckets"] == 0
    assert q("SELECT rolled_to_ts FROM rollup_watermarks WHERE source_table = 'energy_samples'") == [
        (AUTUMN[1] - 60_000,)]


def test_every_inverter_has_rows(site):
    assert {r[0] for r in q("SELECT DISTINCT inverter_id FROM daily_summary")} == set(INVERTERS)
