"""Print sync feed figures on 127.0.0.1: the feed's bookkeeping per sample row, pull and push throughput
(rows per second, with and without gzip) and bytes per row on the wire, against the reference headend.

Since migration 13 a sample row carries its place in the feed and a flush logs one feed_spans entry per
run of a device's rows; before it, a trigger copied every row's key into sync_feed (136 bytes a row).

Run: .venv/bin/python benchmarks/sync.py [POLLS]
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from appliance.acquisition.rows import ENERGY_COLUMNS, METER_COLUMNS
from appliance.acquisition.writer import SampleWriter
from appliance.catalog import devices, systems
from appliance.catalog.adapters import sync_adapter_types
from appliance.store.db import open_database
from appliance.store.models import database
from appliance.sync import state
from appliance.headend.app import create_app
from appliance.headend.context import store_of
from appliance.headend.pull import pull
from appliance.headend.server import HeadendServer
from appliance.headend.store import HeadendStore
from appliance.sync.push import PushClient

START_MS = 1_780_000_000_000
PAGE = 1000


def _row(columns: tuple[str, ...], **values: Any) -> tuple[Any, ...]:
    full = dict.fromkeys(columns)
    full.update(values)
    return tuple(full[c] for c in columns)


def _home(path: Path) -> None:
    open_database(path)
    sync_adapter_types()
    systems.create_system("home", "Home", timezone="UTC")
    systems.create_array("roof", "home", "Roof")
    for n in range(4):
        devices.create_inverter(f"inv{n}", "roof", f"Inverter {n}")
    devices.create_meter("m1", "home", "Grid meter")


def _pages_of(*names: str) -> int:
    """Bytes in the pages of these tables (dbstat)."""
    marks = ", ".join("?" * len(names))
    return int(database.execute_sql(f"SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ({marks})",
                                    names).fetchone()[0])


def write_samples(count: int) -> float:
    """Write `count` polls (4 inverters + 1 meter each) through the SampleWriter; return rows per second."""
    rng = random.Random(1)  # noisy values like a real device's: gzip must not look better than it is
    polls = []
    for i in range(count):
        ts = START_MS + i * 5000
        polls.append({
            "energy_samples": [_row(ENERGY_COLUMNS, ts=ts, inverter_id=f"inv{n}", array_id="roof", system_id="home",
                                    pv_power_w=rng.randint(0, 5000), load_power_w=rng.randint(200, 3000),
                                    grid_power_w=rng.randint(-4000, 4000), battery_power_w=rng.randint(-3000, 3000),
                                    battery_soc=round(rng.uniform(10, 100), 1),
                                    battery_voltage_v=round(rng.uniform(48, 56), 2),
                                    battery_current_a=round(rng.uniform(-60, 60), 1),
                                    inverter_temp_c=round(rng.uniform(20, 60), 1),
                                    grid_voltage_v=round(rng.uniform(225, 245), 1),
                                    grid_frequency_hz=round(rng.uniform(49.9, 50.1), 2),
                                    pv_energy_total_kwh=round(10_000 + i * 0.01, 2), details='{"mode":"normal"}')
                               for n in range(4)],
            "meter_samples": [_row(METER_COLUMNS, ts=ts, meter_id="m1", system_id="home",
                                   grid_power_w=rng.randint(-4000, 4000),
                                   grid_voltage_v=round(rng.uniform(225, 245), 1),
                                   grid_frequency_hz=round(rng.uniform(49.9, 50.1), 2),
                                   power_factor=round(rng.uniform(0.8, 1), 3), details="{}")]})
    writer = SampleWriter(flush_interval_s=0.05, max_rows=5000).start()
    start = time.perf_counter()
    for rows in polls:
        writer.submit(rows)
    writer.flush_now(60)
    elapsed = time.perf_counter() - start
    written = writer.stats.rows_written
    writer.stop()
    return written / elapsed


class CountingSession(requests.Session):
    """A requests session that counts request body bytes (what a push puts on the wire)."""

    sent = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent += len(request.body or b"")
        return super().send(request, **kwargs)


def bench_pull(app_url: str, token: str, folder: Path, use_gzip: bool) -> tuple[int, float, float]:
    """Pull the whole feed into a fresh headend database; rows, rows per second, bytes per row."""
    store = HeadendStore(folder / f"pull-{use_gzip}.db")
    start = time.perf_counter()
    totals = pull(app_url, token, store=store, appliance_id="home", limit=PAGE, use_gzip=use_gzip)
    elapsed = time.perf_counter() - start
    store.close()
    return totals["rows"], totals["rows"] / elapsed, totals["bytes"] / max(1, totals["rows"])


def bench_push(folder: Path, use_gzip: bool) -> tuple[int, float, float]:
    """Push the whole feed to a fresh reference headend; rows, rows per second, bytes per row."""
    app = create_app(folder / f"push-{use_gzip}.db")
    server = HeadendServer(app).start()
    for key in ("push.cursor", "push.registration"):
        database.execute_sql("DELETE FROM sync_state WHERE key = ?", (key,))
    session = CountingSession()
    client = PushClient({"sync.url": server.url, "sync.appliance_id": "home"}, session=session,
                        hardware_id=f"bench-{use_gzip}", page_limit=PAGE, max_pages_per_run=1_000_000,
                        gzip_body=use_gzip, dispatcher=lambda p: {"outcome": "applied"})
    client.register()
    start = time.perf_counter()
    pushed = 0
    while True:
        count, more = client.push_once()
        pushed += count
        if not more:
            break
    elapsed = time.perf_counter() - start
    server.stop()
    store_of(app).close()
    return pushed, pushed / elapsed, session.sent / max(1, pushed)


def main(polls: int) -> None:
    """Run every measurement and print the figures."""
    from appliance.accounts import tokens
    from appliance.web import api_sync, create_app as create_web_app

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rates = []
        for run in range(3):  # fresh databases, and the median: the machine may be busy
            _home(folder / f"writer-{run}.db")
            rates.append(write_samples(polls))
            database.close()
        _home(folder / "appliance.db")
        write_samples(polls)
        samples = sum(database.execute_sql(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
                      for t in ("energy_samples", "array_samples", "meter_samples"))
        spans = database.execute_sql("SELECT count(*) FROM feed_spans").fetchone()[0]
        print(f"sample writer with the feed's positions: {statistics.median(rates):,.0f} rows/s (median of 3); "
              f"{samples:,} sample rows logged by {spans:,} feed_spans entries, "
              f"{_pages_of('feed_spans') / samples:.1f} bytes of feed bookkeeping per row (was 136 with triggers)")
        token = tokens.create_token("bench", "sync")[0]
        web = create_web_app({"SECRET_KEY": "bench-secret-key-0123456789abcdef0123"})
        api_sync.register_blueprint(web)
        appliance = HeadendServer(web, threads=4).start()
        try:
            for use_gzip in (False, True):
                rows, rate, per_row = bench_pull(appliance.url, token, folder, use_gzip)
                print(f"pull {'gzip ' if use_gzip else 'plain'}: {rows:,} rows, {rate:,.0f} rows/s, "
                      f"{per_row:,.1f} bytes/row on the wire (pages of {PAGE})")
        finally:
            appliance.stop()
        for use_gzip in (False, True):
            rows, rate, per_row = bench_push(folder, use_gzip)
            print(f"push {'gzip ' if use_gzip else 'plain'}: {rows:,} rows, {rate:,.0f} rows/s, "
                  f"{per_row:,.1f} bytes/row on the wire (pages of {PAGE})")
        state.put("bench.done", True)
        database.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4000)
