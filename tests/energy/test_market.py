"""Market data: validation (nothing stored on a bad point), step-function tariffs, a day's costs and saving, refills."""

from __future__ import annotations

import math

import pytest

from appliance.catalog import systems
from appliance.energy import history, market
from appliance.energy.rollups import roll_up
from appliance.errors import NotFoundError, ValidationError
from appliance.store.models import database
from appliance.sync import feed
from tests.conftest import table_rows
from tests.energy.site import energy_rows, insert_energy, local_ms, make_site

DAY = "2025-06-10"
JUNE_1 = local_ms(2025, 6, 1)
# Hand-made hours of DAY: (import kWh, export kWh, load kWh).
HOURS = [(1.0, 0.0, 1.0)] * 6 + [(0.0, 2.0, 0.5)] * 12 + [(1.5, 0.0, 1.5)] * 6


def _hand_made_day(system: str = "home", array: str = "a1") -> None:
    """The system's and one array's hours of DAY and their daily rows, costs still empty."""
    conn = database.connection()
    conn.execute("BEGIN")
    for h, (imported, exported, load) in enumerate(HOURS):
        start = local_ms(2025, 6, 10, h)
        conn.execute("INSERT INTO system_hourly_energy (system_id, date, hour_start, grid_import_energy_kwh, "
                     "grid_export_energy_kwh, load_energy_kwh) VALUES (?, ?, ?, ?, ?, ?)",
                     (system, DAY, start, imported, exported, load))
        conn.execute("INSERT INTO array_hourly_energy (array_id, system_id, date, hour_start, grid_import_energy_kwh, "
                     "grid_export_energy_kwh, load_energy_kwh) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (array, system, DAY, start, imported, exported, load))
    conn.execute("INSERT INTO system_daily_summary (date, system_id, day_of_year, year) VALUES (?, ?, 161, 2025)",
                 (DAY, system))
    conn.execute("INSERT INTO array_daily_summary (date, array_id, system_id, day_of_year, year) "
                 "VALUES (?, ?, ?, 161, 2025)", (DAY, array, system))
    conn.execute("COMMIT")


def _daily(table: str = "system_daily_summary") -> tuple:
    return database.connection().execute(f"SELECT import_cost, export_revenue, saving, currency FROM {table} "
                                         "WHERE date = ?", (DAY,)).fetchone()


@pytest.fixture
def home(db):
    make_site()
    return "home"


def test_store_accepts_ids_names_iso_and_epoch_and_upserts(home):
    result = market.store([{"type": "import_tariff", "ts": "2025-06-01T00:00:00Z", "value": 40},
                           {"type": 6, "system_id": "home", "ts": JUNE_1, "value": 10.5, "metadata": {"src": "t"}}])
    assert result["stored"] == 2
    market.store({"type": 5, "ts": 1748736000000, "value": 41.0})  # the same (type, all systems, ts): replaced
    points = market.points()
    assert [(p["type"], p["system_id"], p["value"]) for p in points] == [
        ("export_tariff", "home", 10.5), ("import_tariff", None, 41.0)]
    assert points[0]["metadata"] == {"src": "t"} and points[1]["time"] == "2025-06-01T00:00:00Z"
    assert [p["type"] for p in market.points("export_tariff", "home")] == ["export_tariff"]


@pytest.mark.parametrize("bad,field", [
    ({"type": 5, "ts": JUNE_1, "value": math.nan}, "series[1].value"),
    ({"type": 5, "ts": JUNE_1, "value": math.inf}, "series[1].value"),
    ({"type": 5, "ts": JUNE_1, "value": "12"}, "series[1].value"),
    ({"type": "spot_price", "ts": JUNE_1, "value": 1}, "series[1].type"),
    ({"type": 99, "ts": JUNE_1, "value": 1}, "series[1].type"),
    ({"type": 5, "system_id": "nowhere", "ts": JUNE_1, "value": 1}, "series[1].system_id"),
    ({"type": 5, "ts": "yesterday", "value": 1}, "series[1].ts"),
    ({"type": 5, "ts": -5, "value": 1}, "series[1].ts"),
    ({"type": 5, "value": 1}, "series[1].ts"),
    ({"type": 5, "ts": JUNE_1, "value": 1, "metadata": [1]}, "series[1].metadata"),
    ({"type": 5, "ts": JUNE_1, "value": 1, "price": 2}, "series[1].price"),
])
def test_a_bad_point_changes_nothing(home, bad, field):
    _hand_made_day()
    before = (table_rows("market_data"), table_rows("sync_feed"), _daily())
    with pytest.raises(ValidationError) as caught:
        market.store([{"type": 5, "ts": JUNE_1, "value": 40}, bad])
    assert caught.value.field == field
    assert (table_rows("market_data"), table_rows("sync_feed"), _daily()) == before


def test_oversized_and_empty_series_are_refused(home):
    with pytest.raises(ValidationError, match="at most 10000"):
        market.store([{"type": 5, "ts": JUNE_1 + i, "value": 1} for i in range(market.MAX_POINTS + 1)])
    with pytest.raises(ValidationError):
        market.store([])
    assert table_rows("market_data") == []
    assert market.store([{"type": 5, "ts": JUNE_1 + i, "value": 1} for i in range(market.MAX_POINTS)])["stored"] \
        == market.MAX_POINTS


def test_price_at_is_a_step_function_and_a_systems_own_series_wins(home):
    market.store([{"type": 5, "ts": 1000, "value": 40}, {"type": 5, "ts": 2000, "value": 60},
                  {"type": 5, "system_id": "home", "ts": 3000, "value": 7}])
    assert market.price_at(5, None, 999) is None
    assert [market.price_at("import_tariff", None, t) for t in (1000, 1999, 2000, 10 ** 9)] == [40, 40, 60, 60]
    assert [market.price_at(5, "home", t) for t in (1500, 2999, 3000, 10 ** 9)] == [40, 60, 7, 7]
    with pytest.raises(NotFoundError):
        market.price_at(5, "nowhere", 1000)


def test_a_days_costs_and_saving_by_hand(home):
    _hand_made_day()
    market.store([{"type": "import_tariff", "ts": JUNE_1, "value": 40.0},
                  {"type": "import_tariff", "ts": local_ms(2025, 6, 10, 18), "value": 60.0},
                  {"type": "export_tariff", "system_id": "home", "ts": JUNE_1, "value": 10.0}])
    costs = market.costs_for_day("home", DAY)
    # Import: 6 h x 1 kWh x 40 + 6 h x 1.5 kWh x 60 (the tariff steps up at 18:00).
    assert costs["import_cost"] == pytest.approx(6 * 40 + 6 * 1.5 * 60)  # 780
    assert costs["export_revenue"] == pytest.approx(12 * 2.0 * 10)  # 240
    # Without PV and battery all the load is imported: 6 x 1 x 40 + 12 x 0.5 x 40 + 6 x 1.5 x 60 = 1020.
    assert costs["saving"] == pytest.approx(1020 - 780 + 240)  # 480
    assert costs["currency"] == "PKR" and len(costs["hours"]) == 24
    assert [h["import_price"] for h in costs["hours"]][17:19] == [40.0, 60.0]
    # The stored tariffs arrived after the day was rolled up: its daily rows were re-costed at once.
    assert _daily() == pytest.approx((780.0, 240.0, 480.0, "PKR"))
    assert _daily("array_daily_summary") == _daily()
    day = history.daily_energy("home", DAY, DAY)[0]
    assert (day["import_cost"], day["export_revenue"], day["saving"], day["currency"]) == _daily()
    june = history.monthly_energy("home", 2025)[5]
    assert (june["import_cost"], june["saving"], june["currency"]) == (780.0, 480.0, "PKR")


def test_a_tariff_change_within_an_hour_is_time_weighted(home):
    _hand_made_day()
    market.store([{"type": 5, "ts": JUNE_1, "value": 40.0}, {"type": 6, "ts": JUNE_1, "value": 0.0},
                  {"type": 5, "ts": local_ms(2025, 6, 10, 18, 30), "value": 60.0}])
    hours = market.costs_for_day("home", DAY)["hours"]
    assert [h["import_price"] for h in hours][17:20] == [40.0, 50.0, 60.0]
    assert _daily()[0] == pytest.approx(6 * 40 + 1.5 * 50 + 5 * 1.5 * 60)


def test_late_and_corrected_tariffs_refill_the_day(home):
    _hand_made_day()
    market.store([{"type": 6, "ts": JUNE_1, "value": 10.0}])
    assert _daily() == (None, 240.0, None, "PKR")  # import tariff unknown: no import cost, no saving
    market.store([{"type": 5, "ts": JUNE_1, "value": 40.0}])
    # 15 kWh imported, 21 kWh of load: 600 paid, 840 without PV, 240 earned.
    assert _daily() == pytest.approx((15 * 40.0, 240.0, 21 * 40.0 - 15 * 40.0 + 240.0, "PKR"))
    result = market.store([{"type": 5, "ts": local_ms(2025, 6, 10, 18), "value": 70.0}])
    assert result["days_recosted"] == 1
    assert _daily()[0] == pytest.approx(6 * 40 + 6 * 1.5 * 70)
    # A price signal that is no tariff leaves the costs alone.
    assert market.store([{"type": "wholesale_price", "ts": JUNE_1, "value": 90000}])["days_recosted"] == 0


def test_a_system_currency_and_a_day_before_any_tariff(home):
    database.execute_sql("UPDATE systems SET currency = 'EUR' WHERE system_id = 'home'")
    _hand_made_day()
    market.store([{"type": 5, "ts": local_ms(2025, 6, 11), "value": 0.3}])  # only from the next day on
    assert _daily() == (None, None, None, None)  # not re-costed: the tariff starts after the day
    market.fill_day(database.connection(), "home", DAY)
    assert _daily() == (None, None, None, "EUR")


def test_the_rollup_fills_the_costs_of_the_days_it_writes(home):
    start, end = local_ms(2025, 6, 10), local_ms(2025, 6, 10, 12)
    market.store([{"type": 5, "ts": JUNE_1, "value": 40.0}, {"type": 6, "ts": JUNE_1, "value": 10.0}])
    insert_energy(energy_rows(start, end, step_ms=120_000))
    roll_up(now_ms=end)
    imported, exported, load = database.connection().execute(
        "SELECT SUM(grid_import_energy_kwh), SUM(grid_export_energy_kwh), SUM(load_energy_kwh) "
        "FROM system_hourly_energy WHERE date = ?", (DAY,)).fetchone()
    cost, revenue, saving, currency = _daily()
    assert cost == pytest.approx(imported * 40) and revenue == pytest.approx(exported * 10)
    assert saving == pytest.approx(load * 40 - imported * 40 + exported * 10) and currency == "PKR"
    arrays = database.connection().execute("SELECT COUNT(*) FROM array_daily_summary WHERE date = ? "
                                           "AND currency = 'PKR' AND import_cost IS NOT NULL", (DAY,)).fetchone()
    assert arrays[0] == 2
    # A later run that extends the day keeps its costs in step.
    insert_energy(energy_rows(end, end + 3_600_000, step_ms=120_000))
    roll_up(now_ms=end + 3_600_000)
    again = market.costs_for_day("home", DAY)
    assert _daily() == pytest.approx((again["import_cost"], again["export_revenue"], again["saving"], "PKR"))
    assert again["saving"] > saving and len(again["hours"]) == 13


def test_the_feed_carries_market_data_and_costed_days(home):
    _hand_made_day()
    cursor = feed.read_page(None, feed.MAX_LIMIT).cursor
    market.store([{"type": 5, "ts": JUNE_1, "value": 40.0}, {"type": 6, "ts": JUNE_1, "value": 10.0}])
    rows = feed.read_page(cursor, feed.MAX_LIMIT).rows
    by_table = {(r["table"], r["op"]): r["row"] for r in rows}
    assert [r["row"]["value"] for r in rows if r["table"] == "market_data"] == [40.0, 10.0]
    day = by_table[("system_daily_summary", "upsert")]
    assert (day["import_cost"], day["export_revenue"], day["saving"], day["currency"]) == (600.0, 240.0, 480.0, "PKR")
    assert by_table[("array_daily_summary", "upsert")]["saving"] == day["saving"]


def test_the_migration_gives_systems_a_currency(home):
    assert systems.get_system("home")["currency"] == "PKR"
    page = feed.read_page(None, feed.MAX_LIMIT)
    assert any(r["table"] == "systems" and r["row"]["currency"] == "PKR" for r in page.rows)
