"""Latency of the web UI's data requests on a large database: the dashboard fragment, a day chart and a year chart.

Builds a database with DAYS (30) days of 5-second samples for 10 devices (6 inverters in 2 arrays, 2 grid meters,
2 battery packs, one system in Europe/Berlin), written with executemany into the schema of
appliance.store.db.open_database, the catalog made through appliance.catalog. The rollups of those days are
computed by appliance.energy.rollups.rebuild(); the rest of a year of rollups is those rows again, shifted back by
whole blocks of DAYS days (same columns, same row counts per day), so a year chart reads a year of daily rows.

Then it measures, with the Flask test client in a logged-in session, the median and p95 latency of
GET /dashboard/live, a day chart (/api/history/system/home?resolution=5m over 24 h) and a year chart
(/api/history/system/home?resolution=1d over 365 days), the two HTML history pages that embed them, and
the energy page of each period (its bars and, for a day, the power lines are embedded in the page).
Target: p95 under 50 ms.

    .venv/bin/python benchmarks/web.py [--days 30] [--requests 200] [--budget 300]

--budget bounds the sample writing (seconds): when it runs out, fewer days are written and the output says so.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from appliance.accounts import passwords
from appliance.catalog import devices, systems
from appliance.catalog.adapters import sync_adapter_types
from appliance.store.db import open_database

STEP_MS = 5_000
DAY_MS = 86_400_000
YEAR_DAYS = 365
TARGET_P95_MS = 50.0
PASSWORD = "benchmark password"
INVERTERS = [f"inv{i}" for i in range(6)]
ROLLUP_MS_KEYS = ("bucket_start", "hour_start")
ROLLUP_DATE_KEYS = ("date", "day")
ROLLUP_TABLES = ("energy_5m", "array_5m", "system_5m", "meter_5m", "battery_bank_5m", "hourly_energy",
                 "array_hourly_energy", "system_hourly_energy", "meter_hourly_energy", "battery_bank_hourly",
                 "daily_summary", "array_daily_summary", "system_daily_summary", "meter_daily", "battery_bank_daily")


def make_site() -> None:
    """System 'home': 6 inverters in 2 arrays, 2 packs of 10 kWh attached to a1, 2 grid meters."""
    systems.create_system("home", "Home", timezone="Europe/Berlin")
    for array in ("a1", "a2"):
        systems.create_array(array, "home", array)
    for i, inverter in enumerate(INVERTERS):
        devices.create_inverter(inverter, "a1" if i < 3 else "a2", inverter)
    systems.create_battery_array("ba", "home", "Bank")
    for pack in ("p1", "p2"):
        devices.create_battery_pack(pack, "ba", pack, nominal_kwh=10.0)
    systems.attach("ba", "a1")
    for meter in ("m1", "m2"):
        devices.create_meter(meter, "home", meter, type="grid")


def write_samples(conn: Any, start: int, end: int, origin: int) -> int:
    """5-second samples of every device in [start, end), one transaction; returns the row count."""
    energy, meters, packs = [], [], []
    for ts in range(start, end, STEP_MS):
        t = (ts - origin) / 1000.0
        pv = max(0.0, 3000.0 * math.sin(((ts % DAY_MS) / DAY_MS - 0.25) * 2 * math.pi))
        load = 600.0 + 200.0 * math.sin(t / 900.0)
        battery = 500.0 * math.sin(t / 3_000.0)
        grid = load - pv - battery
        soc = 50.0 + 30.0 * math.sin(t / 20_000.0)
        for i, inverter in enumerate(INVERTERS):
            energy.append((ts, inverter, "a1" if i < 3 else "a2", "home", pv, load, grid, battery, soc,
                           t * 0.0008, 1_000_000 + t * 0.15, 500_000 + t * 0.1))
        for meter in ("m1", "m2"):
            meters.append((ts, meter, "home", grid, 230.0, 50.0, 1_000_000 + t * 0.2, 500_000 + t * 0.1))
        for pack in ("p1", "p2"):
            packs.append((ts, pack, "ba", "home", 52.0, battery / 52.0, battery, soc, 25.0))
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO energy_samples (ts, inverter_id, array_id, system_id, pv_power_w, load_power_w, "
                     "grid_power_w, battery_power_w, battery_soc, pv_energy_total_kwh, grid_import_wh, grid_export_wh) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", energy)
    conn.executemany("INSERT INTO meter_samples (ts, meter_id, system_id, grid_power_w, grid_voltage_v, "
                     "grid_frequency_hz, grid_import_wh, grid_export_wh) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", meters)
    conn.executemany("INSERT INTO battery_bank_samples (ts, pack_id, battery_array_id, system_id, voltage, current, "
                     "power_w, soc, temperature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", packs)
    conn.execute("COMMIT")
    return len(energy) + len(meters) + len(packs)


def copy_rollups_back(conn: Any, block_days: int, blocks: int) -> int:
    """Insert the rollup rows again, shifted back by k * block_days days (k = 1..blocks); returns rows added."""
    added = 0
    conn.execute("BEGIN")
    for table in ROLLUP_TABLES:
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]  # noqa: S608 - fixed names
        columns = [c for c in columns if c not in ("created_at", "updated_at")]
        date_key = next((c for c in ROLLUP_DATE_KEYS if c in columns), None)
        for k in range(1, blocks + 1):
            days = k * block_days
            shifted = []
            for c in columns:
                if c in ROLLUP_MS_KEYS:
                    shifted.append(f"{c} - {days * DAY_MS}")
                elif c == date_key:
                    shifted.append(f"date({c}, '-{days} days')")
                elif c == "day_of_year" and date_key:
                    shifted.append(f"CAST(strftime('%j', date({date_key}, '-{days} days')) AS INTEGER)")
                elif c == "year" and date_key:
                    shifted.append(f"CAST(strftime('%Y', date({date_key}, '-{days} days')) AS INTEGER)")
                else:
                    shifted.append(c)
            cursor = conn.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) "  # noqa: S608
                                  f"SELECT {', '.join(shifted)} FROM {table} WHERE "
                                  f"{_original(columns, date_key, block_days)}")
            added += cursor.rowcount
    conn.execute("COMMIT")
    return added


_BLOCK_START: dict[str, Any] = {}


def _original(columns: list[str], date_key: str | None, block_days: int) -> str:
    """Only the rows of the rebuilt block (not earlier copies)."""
    ms_key = next((c for c in ROLLUP_MS_KEYS if c in columns), None)
    if ms_key:
        return f"{ms_key} >= {_BLOCK_START['ms']}"
    return f"{date_key} >= '{_BLOCK_START['date']}'"


def count(conn: Any, tables: tuple[str, ...]) -> int:
    return sum(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables)  # noqa: S608


def log_in(client: Any) -> None:
    """Log in through the login form, as the pages do."""
    page = client.get("/login").data
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page) or re.search(
        rb'<meta name="csrf-token" content="([^"]+)"', page)
    response = client.post("/login", data={"csrf_token": csrf.group(1).decode(), "password": PASSWORD})
    if response.status_code != 303:
        raise RuntimeError(f"login failed: {response.status_code}")


def measure(client: Any, url: str, requests: int) -> tuple[float, float, int]:
    """(median ms, p95 ms, response bytes) of GET url, after a few warm-up requests."""
    size = 0
    for _ in range(5):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code} {response.data[:300]!r}")
        size = len(response.data)
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)], size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="days of 5-second samples (default 30)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per URL (default 200)")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds allowed for writing samples (300)")
    parser.add_argument("--history-days", type=int, default=YEAR_DAYS,
                        help="days of rollups the year charts cover (default 365; smaller for a quick check)")
    args = parser.parse_args()
    from appliance.energy.rollups import rebuild
    from appliance.web import create_app

    with tempfile.TemporaryDirectory(prefix="appliance-web-bench-") as folder:
        db = open_database(Path(folder) / "bench.db")
        sync_adapter_types()
        make_site()
        passwords.set_password(PASSWORD, PASSWORD)
        conn = db.connection()

        now = int(time.time() * 1000)
        end = now - now % STEP_MS
        start = end - args.days * DAY_MS
        began, rows, written_to = time.perf_counter(), 0, start
        for day in range(start, end, DAY_MS):
            rows += write_samples(conn, day, min(day + DAY_MS, end), start)
            written_to = min(day + DAY_MS, end)
            if time.perf_counter() - began > args.budget and written_to < end:
                break
        write_s = time.perf_counter() - began
        days_written = (written_to - start) / DAY_MS
        print(f"samples: {rows:,} rows, {days_written:.1f} days x 10 devices at 5 s, written in {write_s:.1f} s "
              f"({rows / write_s:,.0f} rows/s)")
        if written_to < end:
            print(f"  the {args.budget:.0f} s budget ran out: only {days_written:.1f} of {args.days} days were written")
            end = written_to  # charts end where the samples end

        began = time.perf_counter()
        rebuild(now_ms=end)
        rollup_rows = count(conn, ROLLUP_TABLES)
        print(f"rollups: rebuild() of the sampled days: {rollup_rows:,} rows in {time.perf_counter() - began:.1f} s")
        block_days = max(1, int(days_written))
        blocks = max(0, math.ceil(args.history_days / block_days) - 1)
        _BLOCK_START["ms"] = start - DAY_MS  # the block's first local day may start before `start` in UTC
        _BLOCK_START["date"] = datetime.fromtimestamp((start - DAY_MS) / 1000, timezone.utc).date().isoformat()
        began = time.perf_counter()
        added = copy_rollups_back(conn, block_days, blocks)
        first_day = conn.execute("SELECT MIN(date), MAX(date), COUNT(*) FROM system_daily_summary").fetchone()
        print(f"rollups: {added:,} rows more by {blocks} copies shifted back {block_days} days each, in "
              f"{time.perf_counter() - began:.1f} s; system daily rows {first_day[0]} .. {first_day[1]} "
              f"({first_day[2]} days)")
        conn.execute("ANALYZE")
        size_mb = (Path(folder) / "bench.db").stat().st_size / 1e6
        print(f"database: {size_mb:,.0f} MB")

        app = create_app({"SECRET_KEY": "benchmark-secret-key-0123456789abcdef"})
        client = app.test_client()
        log_in(client)
        day_from, year_from = end - DAY_MS, end - YEAR_DAYS * DAY_MS
        today = datetime.fromtimestamp(end / 1000, timezone.utc).date().isoformat()
        urls = [
            ("dashboard fragment", "/dashboard/live"),
            ("day chart, 5m, 24 h (API)", f"/api/history/system/home?resolution=5m&from={day_from}&to={end}"),
            ("year chart, 1d, 365 days (API)", f"/api/history/system/home?resolution=1d&from={year_from}&to={end}"),
            ("history page, day", f"/history?level=system&id=home&period=day&date={today}"),
            ("history page, year", f"/history?level=system&id=home&period=year&date={today}"),
            ("energy page, day (24 bars + lines)", f"/energy?period=day&date={today}"),
            ("energy page, 7 days", f"/energy?period=week&date={today}"),
            ("energy page, month", f"/energy?period=month&date={today}"),
            ("energy page, year (12 bars)", f"/energy?period=year&date={today}"),
            ("energy bars of a year (API)", f"/api/energy/period?system_id=home&period=year&date={today}"),
            ("day chart of an inverter, 5m (API)", f"/api/history/inverter/inv0?resolution=5m&from={day_from}&to={end}"),
            ("year chart of a pack, 1d (API)", f"/api/history/battery_pack/p1?resolution=1d&from={year_from}&to={end}"),
        ]
        print(f"\n{args.requests} requests each (Flask test client, logged-in session); target p95 < "
              f"{TARGET_P95_MS:.0f} ms")
        # Baseline in the same run: /health (one database ping), so a loaded machine shows as a slow baseline.
        base_median, base_p95, _ = measure(client, "/health", args.requests)
        print(f"baseline GET /health: median {base_median:.2f} ms, p95 {base_p95:.2f} ms")
        print(f"{'request':<38} {'median ms':>10} {'p95 ms':>8} {'x base':>7} {'bytes':>9}  target")
        for label, url in urls:
            median, p95, size = measure(client, url, args.requests)
            verdict = "ok" if p95 < TARGET_P95_MS else "MISSED"
            print(f"{label:<38} {median:>10.1f} {p95:>8.1f} {median / base_median:>7.1f} {size:>9,}  {verdict}")
        db.close()


if __name__ == "__main__":
    main()
