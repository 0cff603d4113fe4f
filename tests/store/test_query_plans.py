"""Every query on a sample table walks its primary key; the only secondary indexes are the ones a query uses.

Each index on a sample table costs the writer a page per flush and bytes per row, so migration 13
dropped the document's (system_id, ts DESC, array_id): this test records the plan of every query the
appliance runs on them, by running the real code paths with SQLite's statement trace on.
"""

from __future__ import annotations

import re

import pytest

from appliance.acquisition.live import _from_database
from appliance.acquisition.writer import SampleWriter
from appliance.catalog import devices, systems
from appliance.energy import history
from appliance.energy.retention import apply_retention
from appliance.energy.rollups import roll_up
from appliance.store import cells, space
from appliance.store.models import database
from appliance.store.samples import SAMPLE_TABLES
from appliance.sync import feed
from tests.sync.conftest import START_MS, energy_row, meter_row

ALLOWED_INDEXES = {f"idx_{t}_flagged" for t in SAMPLE_TABLES}


def _plan(sql: str) -> str:
    rows = database.connection().execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
    return "\n".join(r[3] for r in rows)


def _statements(run) -> list[str]:
    """The SQL the code under `run` sends that reads or changes a sample table (bound values inlined)."""
    seen: list[str] = []
    conn = database.connection()
    conn.set_trace_callback(seen.append)
    try:
        run()
    finally:
        conn.set_trace_callback(None)
    names = "|".join(SAMPLE_TABLES)
    return [s for s in seen if re.search(rf"\b({names})\b", s) and not s.lstrip().upper().startswith("INSERT")]


@pytest.fixture
def stored(db):
    systems.create_system("home", "Home", timezone="UTC")
    systems.create_array("roof", "home", "Roof")
    devices.create_inverter("inv1", "roof", "Inverter")
    devices.create_meter("m1", "home", "Meter")
    writer = SampleWriter(flush_interval_s=60).start()
    for i in range(60):
        writer.submit({"energy_samples": [energy_row("inv1", START_MS + i * 5000)],
                       "meter_samples": [meter_row("m1", START_MS + i * 5000)]})
    writer.stop()
    return db


def test_the_sample_tables_keep_only_indexes_a_query_uses(stored):
    indexes = {name for name, table in database.execute_sql(
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
        if table in SAMPLE_TABLES}
    assert indexes == ALLOWED_INDEXES
    # The partial index is what the clock re-stamp reads (and it stays empty while the clock is good).
    plan = _plan("SELECT DISTINCT flags >> 1 FROM energy_samples WHERE flags <> 0 AND flags & 1")
    assert "INDEX idx_energy_samples_flagged" in plan, plan


def test_every_read_of_a_sample_table_is_a_primary_key_search(stored):
    def everything() -> None:
        roll_up(now_ms=START_MS + 3_600_000)
        rows, cursor = [], None
        while True:
            page = feed.read_page(cursor, 7)
            rows += page.rows
            cursor = page.cursor
            if not page.has_more:
                break
        assert len([r for r in rows if r["table"] == "energy_samples"]) == 60
        _from_database("inverter:inv1", START_MS)
        history.today_totals("home", START_MS + 3_600_000)  # the dashboard: today's tail of raw samples
        cells.read_cells("p1", 0, START_MS)
        cells.latest_cells("p1")
        space.oldest_raw(database.connection())
        apply_retention(START_MS + 100 * 86_400_000, {"raw_days": 90})

    statements = _statements(everything)
    assert len(statements) > 20
    plans = {sql: _plan(sql) for sql in statements}
    report = "\n\n".join(f"{sql}\n{plan}" for sql, plan in plans.items())
    print(report)  # the plans, for a reader of `pytest -s`
    for sql, plan in plans.items():
        # "The newest (or oldest) row" walks the primary key from its end and stops at the first match: a
        # scan in key order with no sort, reading only the rows in front of that one.
        newest = re.search(r"ORDER BY \S*ts\S*( DESC)? LIMIT 1\b", sql) and "TEMP B-TREE" not in plan
        for line in plan.splitlines():
            for table in SAMPLE_TABLES:
                if not re.search(rf"\b(SCAN|SEARCH) {table}\b", line):
                    continue
                # A search on the primary key, or a walk of the partial index of marked rows (empty while the
                # clock is good); never a scan of the table.
                assert (line.startswith("SEARCH") and "PRIMARY KEY" in line) or f"idx_{table}_flagged" in line \
                    or (newest and line.startswith("SCAN")), f"{sql}\n{plan}"
