"""Energy bars of a period from the rollups, totals, costs, and tariff plans that fill the price series."""

from __future__ import annotations

from datetime import date

import pytest

from appliance.energy import market, periods, tariffs
from appliance.errors import ValidationError
from appliance.store.models import database
from tests.energy.site import make_site

DAY_MS = 1749506400000  # 2025-06-10 00:00 Europe/Berlin


@pytest.fixture
def home(db):
    make_site()
    conn = database.connection()
    conn.execute("BEGIN")
    for h in range(24):
        conn.execute("INSERT INTO system_hourly_energy (system_id, date, hour_start, solar_energy_kwh, "
                     "load_energy_kwh, grid_import_energy_kwh, grid_export_energy_kwh) "
                     "VALUES ('home', '2025-06-10', ?, ?, 1.0, ?, ?)",
                     (DAY_MS + h * 3_600_000, 2.0 if 8 <= h < 16 else 0.0, 0.0 if 8 <= h < 16 else 1.0,
                      1.0 if 8 <= h < 16 else 0.0))
    conn.execute("INSERT INTO system_daily_summary (date, system_id, day_of_year, year, pv_energy_kwh, "
                 "load_energy_kwh, grid_energy_imported_kwh, grid_energy_exported_kwh) "
                 "VALUES ('2025-06-10', 'home', 161, 2025, 16.0, 24.0, 16.0, 8.0)")
    conn.execute("COMMIT")
    return "home"


def test_a_day_has_24_hourly_bars_and_totals(home):
    found = periods.period_energy(home, "day", "2025-06-10")
    assert found["resolution"] == "hour" and len(found["bars"]) == 24
    assert found["totals"]["pv_energy_kwh"] == 16.0 and found["totals"]["import_kwh"] == 16.0
    assert found["totals"]["self_consumption_pct"] == pytest.approx(50.0)
    assert found["totals"]["autarky_pct"] == pytest.approx(100 * 8 / 24)
    assert found["has_costs"] is False and found["totals"]["import_cost"] is None


def test_week_is_the_last_seven_days_with_empty_days_as_none(home):
    found = periods.period_energy(home, "week", date(2025, 6, 12))
    assert (found["first"], found["last"]) == ("2025-06-06", "2025-06-12") and len(found["bars"]) == 7
    assert [b["pv_energy_kwh"] for b in found["bars"]] == [None, None, None, None, 16.0, None, None]


def test_month_and_year(home):
    assert len(periods.period_energy(home, "month", "2025-06-10")["bars"]) == 30
    year = periods.period_energy(home, "year", "2025-06-10")
    assert len(year["bars"]) == 12 and year["bars"][5]["pv_energy_kwh"] == 16.0
    assert year["bars"][0]["pv_energy_kwh"] is None


def test_costs_per_hour_with_a_time_of_use_plan(home):
    tariffs.set_plan(home, {"from": "2025-06-01", "import": {"kind": "tou", "base": 0.2, "periods": [
        {"start": "00:00", "end": "08:00", "price": 0.1}]}, "export": {"kind": "flat", "price": 0.05}})
    found = periods.period_energy(home, "day", "2025-06-10")
    assert found["has_costs"] is True
    # Night hours 0-7 import 1 kWh at 0.1, 16-23 at 0.2; export 8 kWh at 0.05.
    assert found["totals"]["import_cost"] == pytest.approx(8 * 0.1 + 8 * 0.2)
    assert found["totals"]["export_revenue"] == pytest.approx(0.4)
    assert found["bars"][3]["import_cost"] == pytest.approx(0.1)
    # The daily row was re-costed in the same step, so the month agrees with the hours.
    month = periods.period_energy(home, "month", "2025-06-10")
    assert month["totals"]["import_cost"] == pytest.approx(2.4)


def test_plan_validation_and_extension(home):
    with pytest.raises(ValidationError) as err:
        tariffs.set_plan(home, {"import": {"kind": "tou", "base": 0.2, "periods": []}, "export": {"kind": "none"}})
    assert err.value.field == "import.periods"
    with pytest.raises(ValidationError) as err:
        tariffs.set_plan(home, {"import": {"kind": "none"}, "export": {"kind": "none"}})
    assert err.value.field == "import.kind"
    saved = tariffs.set_plan(home, {"from": "2025-06-01", "import": {"kind": "tou", "base": 0.2, "periods": [
        {"start": "17:00", "end": "21:00", "price": 0.4}]}, "export": {"kind": "none"}}, now_ms=DAY_MS)
    assert saved["until"] == "2026-07-06"
    later = DAY_MS + 300 * 86_400_000  # 2026-04-06: fewer than 200 days left
    assert tariffs.extend(later) > 0 and tariffs.get_plan(home)["until"] == "2027-05-11"
    assert market.price_at("import_tariff", home, later + 399 * 86_400_000 + 18 * 3_600_000) == 0.4  # 18:00
    assert tariffs.extend(later) == 0, "nothing to do until the horizon is near again"
