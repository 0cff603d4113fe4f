"""A simulated site for the energy tests: samples written straight into the sample tables."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from appliance.catalog import devices, systems
from appliance.store.models import database
from appliance.store.samples import write_batch

BERLIN = ZoneInfo("Europe/Berlin")
INVERTERS = {"i1": "a1", "i2": "a1", "i3": "a2"}
ENERGY_COLUMNS = ("ts", "inverter_id", "array_id", "system_id", "pv_power_w", "load_power_w", "grid_power_w",
                  "battery_power_w", "battery_soc", "pv_energy_total_kwh", "grid_import_wh", "grid_export_wh")


def local_ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    """Epoch ms of a Berlin wall-clock time."""
    return int(datetime(year, month, day, hour, minute, tzinfo=BERLIN).timestamp() * 1000)


def make_site() -> None:
    """System 'home' (Europe/Berlin): arrays a1 (i1, i2) and a2 (i3), pack p1 (10 kWh) on a1, grid meter m1."""
    systems.create_system("home", "Home", timezone="Europe/Berlin", currency="PKR")
    systems.create_array("a1", "home", "Roof")
    systems.create_array("a2", "home", "Garage")
    for inverter, array in INVERTERS.items():
        devices.create_inverter(inverter, array, f"Inverter {inverter}")
    systems.create_battery_array("ba", "home", "Bank")
    devices.create_battery_pack("p1", "ba", "Pack", nominal_kwh=10.0)
    systems.attach("ba", "a1")
    devices.create_meter("m1", "home", "Grid meter", type="grid")


def powers(inverter: str, ts: int) -> tuple[float, float, float, float]:
    """(pv, load, battery, grid) in W at an instant; pv + grid + battery = load exactly."""
    scale = {"i1": 1.0, "i2": 0.6, "i3": 0.8}[inverter]
    hour = datetime.fromtimestamp(ts / 1000, BERLIN).hour + (ts % 3_600_000) / 3_600_000
    pv = max(0.0, 4000.0 * scale * math.sin(math.pi * (hour - 6) / 13)) if 6 < hour < 19 else 0.0
    load = 500.0 * scale + 300.0 * math.sin(ts / 5_000_000.0)
    battery = 700.0 * scale * math.sin(ts / 7_000_000.0)  # + = discharge
    return pv, load, battery, load - pv - battery


def energy_rows(start: int, end: int, step_ms: int = 60_000, inverters=tuple(INVERTERS),
                pv_counter: dict | None = None) -> list[tuple]:
    """Inverter samples every step in [start, end). pv_counter={'i1': (reset_ts,)} adds a pv counter that resets."""
    rows = []
    for inverter in inverters:
        counter, last_pv, resets = 100.0, None, (pv_counter or {}).get(inverter)
        for ts in range(start, end, step_ms):
            pv, load, battery, grid = powers(inverter, ts)
            total = None
            if resets is not None:
                if last_pv is not None:
                    counter += (last_pv + pv) * 0.5 * step_ms / 3.6e9
                if any(ts == r for r in resets):
                    counter = 0.0
                total = counter
            last_pv = pv
            rows.append((ts, inverter, INVERTERS[inverter], "home", pv, load, grid, battery, 50.0 + 30.0 *
                         math.sin(ts / 9_000_000.0), total, None, None))
    return rows


def insert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Write sample rows in one transaction through the store's write path, as the sample writer does (it also
    queues the rollup work of late samples)."""
    conn = database.connection()
    conn.execute("BEGIN")
    write_batch(conn, {table: rows}, {table: columns}, 1_780_000_000_000)
    conn.execute("COMMIT")


def insert_energy(rows: list[tuple]) -> None:
    """Write inverter samples."""
    insert("energy_samples", ENERGY_COLUMNS, rows)


def meter_rows(start: int, end: int, step_ms: int = 60_000, power_w: float = 800.0) -> list[tuple]:
    """Grid meter samples at a constant import, with a Wh import counter."""
    return [(ts, "m1", "home", power_w, 230.0, power_w / 230.0, 50.0, 0.98,
             round(1_000_000 + (ts - start) * power_w / 3_600_000, 3), 500_000) for ts in range(start, end, step_ms)]


METER_COLUMNS = ("ts", "meter_id", "system_id", "grid_power_w", "grid_voltage_v", "grid_current_a",
                 "grid_frequency_hz", "power_factor", "grid_import_wh", "grid_export_wh")
PACK_COLUMNS = ("ts", "pack_id", "battery_array_id", "system_id", "voltage", "current", "power_w", "soc",
                "temperature")


def pack_rows(start: int, end: int, step_ms: int = 60_000) -> list[tuple]:
    """Battery pack samples: charging at 1 kW for the first half of every hour, discharging 2 kW after."""
    rows = []
    for ts in range(start, end, step_ms):
        power = -1000.0 if ts % 3_600_000 < 1_800_000 else 2000.0
        rows.append((ts, "p1", "ba", "home", 52.0, power / 52.0, power, 60.0, 25.0))
    return rows


def all_rows(table: str) -> list[tuple]:
    """Every row of a table, sorted."""
    return sorted(database.connection().execute(f"SELECT * FROM {table}").fetchall(), key=repr)
