"""SQL of the 30-minute, hourly and daily rollups of one local day of a meter or a battery pack."""

from __future__ import annotations

import sqlite3
from datetime import date

from appliance.store import rollup_writes as writes
from appliance.store.rollup_levels import weighted

HALF_HOUR_MS = 1_800_000


def _slot(width_ms: int) -> str:
    """SQL: the start of the local period (counted from the local midnight ?1) of a 5-minute bucket."""
    return f"?1 + ((bucket_start - ?1) / {width_ms}) * {width_ms}"


def roll_meter_day(conn: sqlite3.Connection, meter: str, hours: tuple[int, int], day_bounds: tuple[int, int],
                   day: date) -> None:
    """Recompute a meter's settlement periods and hours [lo, hi) of one local day, and its daily row."""
    iso = day.isoformat()
    (lo, hi), (day_start, day_end) = hours, day_bounds
    window = (day_start, day_end, iso, meter, lo, hi)
    writes.put_select(
        conn, "meter_30m", ("meter_id", "bucket_start"),
        ("meter_id", "bucket_start", "system_id", "array_id", "avg_power_w", "max_power_w", "min_power_w",
         "avg_voltage_v", "avg_current_a", "avg_frequency_hz", "avg_power_factor", "min_power_factor",
         "import_energy_kwh", "export_energy_kwh", "sample_count"),
        f"SELECT meter_id, {_slot(HALF_HOUR_MS)} AS p, system_id, array_id, "  # noqa: S608
        f"{weighted('avg_power_w')}, MAX(max_power_w), MIN(min_power_w), {weighted('avg_voltage_v')}, "
        f"{weighted('avg_current_a')}, {weighted('avg_frequency_hz')}, {weighted('avg_power_factor')}, "
        "MIN(min_power_factor), SUM(import_energy_kwh), SUM(export_energy_kwh), SUM(sample_count) FROM meter_5m "
        "WHERE meter_id = ?4 AND bucket_start >= ?5 AND bucket_start < ?6 GROUP BY p", window,
        parents=("system_id", "array_id"))
    writes.drop_periods_without_source(conn, "meter_30m", "meter_5m", "meter_id", meter, lo, hi, HALF_HOUR_MS)
    writes.put_select(
        conn, "meter_hourly_energy", ("meter_id", "date", "hour_start"),
        ("meter_id", "system_id", "array_id", "date", "hour_start", "import_energy_kwh", "export_energy_kwh",
         "avg_power_w", "sample_count"),
        f"SELECT meter_id, system_id, array_id, ?3, {_slot(3_600_000)} "  # noqa: S608
        "AS h, COALESCE(SUM(import_energy_kwh), 0.0), COALESCE(SUM(export_energy_kwh), 0.0), "
        f"{weighted('avg_power_w')}, SUM(sample_count) FROM meter_5m "
        "WHERE meter_id = ?4 AND bucket_start >= ?5 AND bucket_start < ?6 GROUP BY h", window,
        parents=("system_id", "array_id"))
    writes.drop_hours_without_source(conn, "meter_hourly_energy", "meter_5m", "meter_id", meter, iso, lo, hi)
    writes.put_select(
        conn, "meter_daily", ("day", "meter_id"),
        ("day", "meter_id", "system_id", "array_id", "import_energy_kwh", "export_energy_kwh", "net_energy_kwh",
         "max_import_power_w", "max_export_power_w", "avg_voltage_v", "avg_current_a", "avg_frequency_hz",
         "sample_count"),
        "SELECT ?3, h.meter_id, h.system_id, h.array_id, h.imp, h.exp, h.imp - h.exp, "  # noqa: S608
        "CAST(ROUND(MAX(f.max_power_w, 0)) AS INTEGER), CAST(ROUND(MAX(-f.min_power_w, 0)) AS INTEGER), "
        "f.v, f.a, f.hz, h.n FROM "
        "(SELECT meter_id, system_id, array_id, SUM(import_energy_kwh) AS imp, SUM(export_energy_kwh) AS exp, "
        " SUM(sample_count) AS n FROM meter_hourly_energy WHERE meter_id = ?4 AND date = ?3 GROUP BY meter_id) h, "
        f"(SELECT MAX(max_power_w) AS max_power_w, MIN(min_power_w) AS min_power_w, {weighted('avg_voltage_v')} AS v,"
        f" {weighted('avg_current_a')} AS a, {weighted('avg_frequency_hz')} AS hz FROM meter_5m "
        " WHERE meter_id = ?4 AND bucket_start >= ?1 AND bucket_start < ?2) f WHERE true", window[:4],
        parents=("system_id", "array_id"))
    writes.drop_day_without_hours(conn, "meter_daily", "meter_hourly_energy", "meter_id", meter, "day", iso)


def roll_pack_day(conn: sqlite3.Connection, pack: str, hours: tuple[int, int], day_bounds: tuple[int, int],
                  day: date, nominal_kwh: float | None) -> None:
    """Recompute a battery pack's hours [lo, hi) of one local day, and its daily row."""
    iso = day.isoformat()
    (lo, hi), (day_start, day_end) = hours, day_bounds
    window = (day_start, day_end, iso, pack)
    writes.put_select(
        conn, "battery_bank_hourly", ("pack_id", "date", "hour_start"),
        ("pack_id", "battery_array_id", "system_id", "date", "hour_start", "charge_energy_kwh", "discharge_energy_kwh",
         "net_energy_kwh", "avg_power_w", "avg_soc_pct", "min_soc_pct", "max_soc_pct", "avg_voltage_v",
         "avg_current_a", "avg_temperature_c", "sample_count"),
        f"SELECT pack_id, battery_array_id, system_id, ?3, {_slot(3_600_000)} AS h, "  # noqa: S608
        "COALESCE(SUM(charge_energy_kwh), 0.0), COALESCE(SUM(discharge_energy_kwh), 0.0), "
        "COALESCE(SUM(discharge_energy_kwh), 0.0) - COALESCE(SUM(charge_energy_kwh), 0.0), "
        f"{weighted('avg_power_w')}, {weighted('avg_soc_pct')}, MIN(min_soc_pct), MAX(max_soc_pct), "
        f"{weighted('avg_voltage_v')}, {weighted('avg_current_a')}, {weighted('avg_temperature_c')}, "
        "SUM(sample_count) FROM battery_bank_5m WHERE pack_id = ?4 AND bucket_start >= ?5 AND bucket_start < ?6 "
        "GROUP BY h", (*window, lo, hi), parents=("battery_array_id", "system_id"))
    writes.drop_hours_without_source(conn, "battery_bank_hourly", "battery_bank_5m", "pack_id", pack, iso, lo, hi)
    writes.put_select(
        conn, "battery_bank_daily", ("date", "pack_id"),
        ("date", "pack_id", "battery_array_id", "system_id", "day_of_year", "year", "charge_energy_kwh",
         "discharge_energy_kwh", "net_energy_kwh", "min_soc_pct", "max_soc_pct", "avg_soc_pct", "min_voltage_v",
         "max_voltage_v", "avg_voltage_v", "min_temperature_c", "max_temperature_c", "avg_temperature_c",
         "min_current_a", "max_current_a", "avg_current_a", "cycles", "sample_count"),
        "SELECT ?3, h.pack_id, h.battery_array_id, h.system_id, ?5, ?6, h.c, h.d, h.d - h.c, f.* , "  # noqa: S608
        "h.d / ?7, h.n FROM "
        "(SELECT pack_id, battery_array_id, system_id, SUM(charge_energy_kwh) AS c, SUM(discharge_energy_kwh) AS d,"
        " SUM(sample_count) AS n FROM battery_bank_hourly WHERE pack_id = ?4 AND date = ?3 GROUP BY pack_id) h, "
        f"(SELECT MIN(min_soc_pct), MAX(max_soc_pct), {weighted('avg_soc_pct')}, MIN(min_voltage_v), "
        f" MAX(max_voltage_v), {weighted('avg_voltage_v')}, MIN(min_temperature_c), MAX(max_temperature_c), "
        f" {weighted('avg_temperature_c')}, MIN(min_current_a), MAX(max_current_a), {weighted('avg_current_a')} "
        " FROM battery_bank_5m WHERE pack_id = ?4 AND bucket_start >= ?1 AND bucket_start < ?2) f WHERE true",
        (*window, day.timetuple().tm_yday, day.year, nominal_kwh if nominal_kwh else None),
        parents=("battery_array_id", "system_id"))
    writes.drop_day_without_hours(conn, "battery_bank_daily", "battery_bank_hourly", "pack_id", pack, "date", iso)
