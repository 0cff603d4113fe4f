"""The read side: series at every level and resolution, daily and monthly energy, today's totals."""

from __future__ import annotations

import pytest

from appliance.energy import history
from appliance.energy.rollups import roll_up
from appliance.errors import NotFoundError, ValidationError
from appliance.store.models import database
from tests.energy.site import (
    METER_COLUMNS, PACK_COLUMNS, energy_rows, insert, insert_energy, local_ms, make_site, meter_rows, pack_rows,
)

START, END = local_ms(2026, 10, 24), local_ms(2026, 10, 26)  # the second day has 25 hours
ENTITIES = {"system": "home", "array": "a1", "inverter": "i2", "meter": "m1", "battery_pack": "p1"}


@pytest.fixture(scope="module")
def site_db(tmp_path_factory):
    from appliance.catalog.adapters import sync_adapter_types
    from appliance.store.db import open_database

    handle = open_database(tmp_path_factory.mktemp("history") / "appliance.db")
    sync_adapter_types()
    make_site()
    insert_energy(energy_rows(START, END, step_ms=120_000))
    insert("meter_samples", METER_COLUMNS, meter_rows(START, END, step_ms=120_000))
    insert("battery_bank_samples", PACK_COLUMNS, pack_rows(START, END, step_ms=120_000))
    roll_up(now_ms=END)
    yield handle
    handle.close()


@pytest.fixture
def site(site_db):
    database.initialize(site_db)


@pytest.mark.parametrize("level", ENTITIES)
@pytest.mark.parametrize("resolution,points", [("5m", 2 * 24 * 12 + 12), ("1h", 49), ("1d", 2)])
def test_series_at_every_level_and_resolution(site, level, resolution, points):
    rows = history.series(level, ENTITIES[level], resolution, START, END)
    assert len(rows) == points
    assert set(rows[0]) == set(history.KEYS)
    assert [r["ts"] for r in rows] == sorted(r["ts"] for r in rows) and rows[0]["ts"] == START
    if level in ("system", "array", "inverter"):
        assert all(r["pv_energy_kwh"] is not None and r["soc_pct"] is not None for r in rows)
        assert rows[0]["import_kwh"] is not None and rows[0]["charge_kwh"] is not None
    if level == "meter":
        assert all(r["import_kwh"] is not None and r["pv_energy_kwh"] is None for r in rows)
        assert rows[0]["grid_power_w"] == pytest.approx(800.0, rel=1e-3)
    if level == "battery_pack":
        assert all(r["discharge_kwh"] is not None and r["import_kwh"] is None for r in rows)


@pytest.mark.parametrize("level", ENTITIES)
def test_every_resolution_gives_the_same_energy(site, level):
    column = {"meter": "import_kwh", "battery_pack": "discharge_kwh"}.get(level, "pv_energy_kwh")
    totals = [sum(r[column] for r in history.series(level, ENTITIES[level], res, START, END))
              for res in ("5m", "1h", "1d")]
    assert totals[0] == pytest.approx(totals[1]) == pytest.approx(totals[2])


def test_daily_energy_and_months(site):
    days = history.daily_energy("home", "2026-10-23", "2026-10-25")
    assert [d["date"] for d in days] == ["2026-10-23", "2026-10-24", "2026-10-25"]
    assert days[0]["pv_energy_kwh"] is None
    second = days[2]
    assert second["pv_energy_kwh"] > 10 and 10 <= second["pv_peak_hour"] <= 13
    assert second["cycles"] == pytest.approx(second["discharge_kwh"] / 10.0)
    assert second["min_soc_pct"] < second["max_soc_pct"]
    months = history.monthly_energy("home", 2026)
    assert len(months) == 12 and months[9]["days"] == 2 and months[0]["pv_energy_kwh"] is None
    assert months[9]["pv_energy_kwh"] == pytest.approx(days[1]["pv_energy_kwh"] + days[2]["pv_energy_kwh"])


def test_today_totals_add_the_tail_that_is_not_rolled_up_yet(db):
    make_site()
    day = local_ms(2026, 10, 25)
    now = local_ms(2026, 10, 25, 15)
    rows = energy_rows(day - 3_600_000, now + 1, step_ms=60_000)
    insert_energy([r for r in rows if r[0] <= local_ms(2026, 10, 25, 11, 3)])
    roll_up(now_ms=local_ms(2026, 10, 25, 11, 3))
    insert_energy([r for r in rows if r[0] > local_ms(2026, 10, 25, 11, 3)])
    live = history.today_totals("home", now_ms=now)
    roll_up(now_ms=now)
    rolled = history.today_totals("home", now_ms=now)
    daily = history.daily_energy("home", "2026-10-25", "2026-10-25")[0]
    for key in ("pv_energy_kwh", "load_energy_kwh", "import_kwh", "export_kwh", "charge_kwh", "discharge_kwh"):
        assert live[key] == pytest.approx(rolled[key], abs=1e-9) == pytest.approx(daily[key] or 0.0, abs=1e-9)
    assert live["pv_energy_kwh"] > 5
    assert 0 <= live["self_consumption_pct"] <= 100 and 0 <= live["autarky_pct"] <= 100
    balance = live["pv_energy_kwh"] + live["import_kwh"] + live["discharge_kwh"]
    assert balance == pytest.approx(live["load_energy_kwh"] + live["export_kwh"] + live["charge_kwh"], abs=1e-6)


def test_today_totals_without_any_rollup_reads_today_only(db):
    make_site()
    insert_energy(energy_rows(local_ms(2026, 10, 24, 22), local_ms(2026, 10, 25, 2) + 1, inverters=("i3",)))
    totals = history.today_totals("home", now_ms=local_ms(2026, 10, 25, 2))
    roll_up(now_ms=local_ms(2026, 10, 25, 2))
    day = history.daily_energy("home", "2026-10-25", "2026-10-25")[0]
    assert totals["load_energy_kwh"] == pytest.approx(day["load_energy_kwh"], abs=1e-9)
    assert totals["self_consumption_pct"] is None  # no sun at night


@pytest.mark.parametrize("args,field", [
    (("house", "home", "1h", 0, 1), "level"),
    (("system", "home", "1w", 0, 1), "resolution"),
    (("system", "home", "1h", 10, 5), "end_ms"),
    (("system", "home", "1h", "0", 5), "start_ms"),
    (("system", "home", "5m", 0, 365 * 86_400_000), "resolution")])
def test_bad_series_requests_are_validation_errors(site, args, field):
    with pytest.raises(ValidationError) as err:
        history.series(*args)
    assert err.value.field == field


def test_unknown_ids_are_not_found(site):
    with pytest.raises(NotFoundError):
        history.series("inverter", "nope", "1h", START, END)
    with pytest.raises(NotFoundError):
        history.today_totals("nope", now_ms=END)
    with pytest.raises(NotFoundError):
        history.monthly_energy("nope", 2026)
    with pytest.raises(ValidationError) as err:
        history.daily_energy("home", "2026-10-25", "2026-10-01")
    assert err.value.field == "end_date"
    with pytest.raises(ValidationError) as err:
        history.daily_energy("home", "25.10.2026", "2026-10-26")
    assert err.value.field == "start_date"
