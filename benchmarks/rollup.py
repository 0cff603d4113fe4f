"""Print the time to roll up one new hour of 5-second samples of 10 devices, and to rebuild every rollup
from 30 days of them, with rows per second; medians of several runs.

10 devices: 6 inverters (PV and grid counters, battery by power), 2 grid meters (import/export counters)
and 2 battery packs, in one system in Europe/Berlin. Run: .venv/bin/python benchmarks/rollup.py [--days N]
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

from appliance.catalog import devices, systems
from appliance.catalog.adapters import sync_adapter_types
from appliance.energy.rollups import rebuild, roll_up
from appliance.store.db import open_database

STEP_MS = 5_000
HOUR_MS = 3_600_000
START = 1_790_000_000_000 - 1_790_000_000_000 % HOUR_MS
INVERTERS = [f"inv{i}" for i in range(6)]


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


def write(conn, start: int, end: int) -> int:
    """Write 5-second samples of every device in [start, end) in one transaction; return the row count."""
    energy, meters, packs = [], [], []
    for ts in range(start, end, STEP_MS):
        t = (ts - START) / 1000.0
        pv = max(0.0, 3000.0 * math.sin(t / 43_200.0 * math.pi))
        load = 600.0 + 200.0 * math.sin(t / 900.0)
        battery = 500.0 * math.sin(t / 3_000.0)
        grid = load - pv - battery
        for i, inverter in enumerate(INVERTERS):
            # Monotonic counters, as devices report them (their rate need not match the power here).
            energy.append((ts, inverter, "a1" if i < 3 else "a2", "home", pv, load, grid, battery, 50.0,
                           t * 0.0008, 1_000_000 + t * 0.15, 500_000 + t * 0.1))
        for meter in ("m1", "m2"):
            meters.append((ts, meter, "home", grid, 230.0, 50.0, 1_000_000 + t * 0.2, 500_000 + t * 0.1))
        for pack in ("p1", "p2"):
            packs.append((ts, pack, "ba", "home", 52.0, battery / 52.0, battery, 60.0, 25.0))
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


def main() -> None:
    """Run both benchmarks and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=30, help="days of samples for the rebuild (default 30)")
    parser.add_argument("--runs", type=int, default=3, help="rebuild runs (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "bench.db")
        sync_adapter_types()
        make_site()
        conn = db.connection()

        # One new hour at a time, as the scheduler sees it: history of a day rolled up first.
        now = START + 24 * HOUR_MS
        write(conn, START, now)
        roll_up(now_ms=now)
        times, cpu, rows = [], [], 0
        for _ in range(9):
            rows = write(conn, now, now + HOUR_MS)
            now += HOUR_MS
            began, began_cpu = time.perf_counter(), time.process_time()
            roll_up(now_ms=now)
            times.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
        hour = statistics.median(times)
        print(f"one new hour, 10 devices ({rows} samples): median {hour * 1000:.1f} ms wall, "
              f"{statistics.median(cpu) * 1000:.1f} ms CPU over {len(times)} runs, {rows / hour:,.0f} samples/s")

        end = START + args.days * 24 * HOUR_MS
        began = time.perf_counter()
        for day in range(now, end, 24 * HOUR_MS):
            write(conn, day, min(day + 24 * HOUR_MS, end))
        total = conn.execute("SELECT (SELECT COUNT(*) FROM energy_samples) + (SELECT COUNT(*) FROM meter_samples) "
                             "+ (SELECT COUNT(*) FROM battery_bank_samples)").fetchone()[0]
        print(f"wrote {total:,} samples ({args.days} days) in {time.perf_counter() - began:.1f} s")
        times, cpu = [], []
        for _ in range(args.runs):
            began, began_cpu = time.perf_counter(), time.process_time()
            rebuild(now_ms=end)
            times.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
        full = statistics.median(times)
        print(f"full rebuild, {args.days} days x 10 devices ({total:,} samples): median {full:.1f} s wall, "
              f"{statistics.median(cpu):.1f} s CPU over {len(times)} runs (wall min {min(times):.1f}, "
              f"max {max(times):.1f}), {total / full:,.0f} samples/s")
        db.close()


if __name__ == "__main__":
    main()
