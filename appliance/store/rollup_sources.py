"""SQL of what each sample table rolls up into: its 5-minute table, statistics, energies and their counters.

The rollups read a device's samples two ways: per 5-minute bucket statistics (one GROUP BY), and the
samples themselves in time order, whose consecutive pairs energy.pairs integrates. Both walk the
primary key (ts, device) of the sample table (tests/store/test_query_plans.py).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from appliance.store import rollup_writes
from appliance.store.sqltypes import SqlRow

BUCKET_MS = 300_000
HOUR_MS = 3_600_000
HOUR_QUEUE_PREFIX = "hour:"
#: Samples taken while the clock was not synchronised (flags bit 1, migration 7) wait for their re-stamp.
TRUSTED = "IFNULL(flags, 0) & 1 = 0"

#: Where each quantity of a pair row sits: (power index, sign, counter index or None).
Layout = list[tuple[int, int, int | None]]


@dataclass(frozen=True)
class Quantity:
    """One energy of a 5-minute row: the power it integrates (and which sign of it), its counter."""

    column: str  # the energy column of the 5-minute table
    power: str  # SQL expression of the power in W over the sample table
    sign: int  # +1 integrates the positive part, -1 the negative part (as a positive energy)
    counter: str | None = None  # SQL expression of the cumulative counter in kWh


@dataclass(frozen=True)
class Source:
    """A sample table and its 5-minute table: statistics and energies."""

    table: str
    device: str
    target: str
    parents: tuple[str, ...]  # columns of the 5-minute row that come from the catalog
    stats: tuple[tuple[str, str], ...]  # (5-minute column, SQL aggregate over the samples)
    quantities: tuple[Quantity, ...]

    @property
    def hour_queue(self) -> str:
        """The rollup_dirty name of this source's hour markers."""
        return HOUR_QUEUE_PREFIX + self.table


BATTERY_POWER = "COALESCE(battery_power_w, battery_voltage_v * battery_current_a)"
SOC = "COALESCE(battery_soc, soc)"
PACK_POWER = "COALESCE(power_w, voltage * current)"

ENERGY = Source(
    table="energy_samples", device="inverter_id", target="energy_5m", parents=("array_id", "system_id"),
    stats=(("avg_solar_power_w", "AVG(pv_power_w)"), ("avg_load_power_w", "AVG(load_power_w)"),
           ("avg_battery_power_w", f"AVG({BATTERY_POWER})"), ("avg_grid_power_w", "AVG(grid_power_w)"),
           ("avg_soc_pct", f"AVG({SOC})"), ("min_soc_pct", f"MIN({SOC})"), ("max_soc_pct", f"MAX({SOC})"),
           ("max_solar_power_w", "MAX(pv_power_w)"), ("max_load_power_w", "MAX(load_power_w)"),
           ("max_grid_power_w", "MAX(grid_power_w)"), ("min_grid_power_w", "MIN(grid_power_w)")),
    quantities=(Quantity("solar_energy_kwh", "pv_power_w", 1, "pv_energy_total_kwh"),
                Quantity("load_energy_kwh", "load_power_w", 1, "load_energy_total_kwh"),
                Quantity("battery_charge_energy_kwh", BATTERY_POWER, -1, "battery_charge_total_kwh"),
                Quantity("battery_discharge_energy_kwh", BATTERY_POWER, 1, "battery_discharge_total_kwh"),
                Quantity("grid_import_energy_kwh", "grid_power_w", 1, "grid_import_wh / 1000.0"),
                Quantity("grid_export_energy_kwh", "grid_power_w", -1, "grid_export_wh / 1000.0")),
)

METER = Source(
    table="meter_samples", device="meter_id", target="meter_5m", parents=("system_id", "array_id"),
    stats=(("avg_power_w", "AVG(grid_power_w)"), ("max_power_w", "MAX(grid_power_w)"),
           ("min_power_w", "MIN(grid_power_w)"), ("avg_voltage_v", "AVG(grid_voltage_v)"),
           ("avg_current_a", "AVG(grid_current_a)"), ("avg_frequency_hz", "AVG(grid_frequency_hz)"),
           ("avg_power_factor", "AVG(power_factor)"), ("min_power_factor", "MIN(power_factor)")),
    quantities=(Quantity("import_energy_kwh", "grid_power_w", 1, "grid_import_wh / 1000.0"),
                Quantity("export_energy_kwh", "grid_power_w", -1, "grid_export_wh / 1000.0")),
)

PACK = Source(
    table="battery_bank_samples", device="pack_id", target="battery_bank_5m",
    parents=("battery_array_id", "system_id"),
    stats=(("avg_power_w", f"AVG({PACK_POWER})"), ("avg_soc_pct", "AVG(soc)"), ("min_soc_pct", "MIN(soc)"),
           ("max_soc_pct", "MAX(soc)"), ("avg_voltage_v", "AVG(voltage)"), ("min_voltage_v", "MIN(voltage)"),
           ("max_voltage_v", "MAX(voltage)"), ("avg_current_a", "AVG(current)"), ("min_current_a", "MIN(current)"),
           ("max_current_a", "MAX(current)"), ("avg_temperature_c", "AVG(temperature)"),
           ("min_temperature_c", "MIN(temperature)"), ("max_temperature_c", "MAX(temperature)")),
    quantities=(Quantity("charge_energy_kwh", PACK_POWER, -1), Quantity("discharge_energy_kwh", PACK_POWER, 1)),
)

SOURCES = (ENERGY, METER, PACK)


@lru_cache(maxsize=None)
def _stats_sql(source: Source) -> str:
    aggregates = ", ".join(expr for _, expr in source.stats)
    return (f"SELECT ts - ts % {BUCKET_MS} AS bucket, COUNT(*), {aggregates} FROM {source.table} "  # noqa: S608
            f"WHERE {source.device} = ? AND ts >= ? AND ts < ? AND {TRUSTED} GROUP BY bucket")


@lru_cache(maxsize=None)
def _pairs_sql(source: Source) -> tuple[str, tuple[tuple[int, int, int | None], ...]]:
    exprs: list[str] = ["ts"]

    def slot(expr: str) -> int:
        """The row index of a selected expression, selecting it once."""
        if expr not in exprs:
            exprs.append(expr)
        return exprs.index(expr)

    layout = tuple((slot(q.power), q.sign, slot(q.counter) if q.counter else None) for q in source.quantities)
    sql = (f"SELECT {', '.join(exprs)} FROM {source.table} "  # noqa: S608 - names from the constants above
           f"WHERE {source.device} = ? AND ts >= ? AND ts <= ? AND {TRUSTED} ORDER BY ts")
    return sql, layout


def bucket_stats(conn: sqlite3.Connection, source: Source, device: str, lo: int,
                 hi: int) -> dict[int, SqlRow]:
    """Per 5-minute bucket in [lo, hi) of one device's trusted samples: (count, *the source's statistics)."""
    return {r[0]: r[1:] for r in conn.execute(_stats_sql(source), (device, lo, hi))}


def pair_layout(source: Source) -> Layout:
    """Per quantity of the source: where its power, sign and counter sit in each row of pair_rows."""
    return list(_pairs_sql(source)[1])


def pair_rows(conn: sqlite3.Connection, source: Source, device: str, lo: int, hi: int) -> list[SqlRow]:
    """One device's trusted samples in [lo, hi] by ts: (ts, the powers and counters of pair_layout)."""
    return conn.execute(_pairs_sql(source)[0], (device, lo, hi)).fetchall()


def put_five_minutes(conn: sqlite3.Connection, source: Source, device: str, lo: int, hi: int,
                     rows: Sequence[SqlRow]) -> None:
    """Make a device's 5-minute rows in [lo, hi] exactly `rows`: (device, bucket, *parents, *statistics,
    *energies, sample count) each; buckets in the range without a row are deleted."""
    columns = (source.device, "bucket_start", *source.parents, *(c for c, _ in source.stats),
               *(q.column for q in source.quantities), "sample_count")
    rollup_writes.put_rows(conn, source.target, (source.device, "bucket_start"), columns, rows, parents=source.parents)
    rollup_writes.drop_five_except(conn, source.target, source.device, device, lo, hi, [row[1] for row in rows])
