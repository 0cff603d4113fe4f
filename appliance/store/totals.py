"""Energy totals over a system's whole history (the lifetime counters MQTT publishes)."""

from __future__ import annotations

from appliance.store.models import database

#: Column of system_hourly_energy -> the counter name of READINGS.md it adds up to.
COLUMNS = {"solar_energy_kwh": "pv_energy", "load_energy_kwh": "load_energy", "grid_import_energy_kwh": "grid_import",
           "grid_export_energy_kwh": "grid_export", "battery_charge_energy_kwh": "battery_charge",
           "battery_discharge_energy_kwh": "battery_discharge"}
_SUMS = ", ".join(f"TOTAL({column})" for column in COLUMNS)
# The primary key (system_id, date, hour_start) makes this one range scan of the system's hours.
_BEFORE = f"SELECT {_SUMS} FROM system_hourly_energy WHERE system_id = ? AND date < ?"  # noqa: S608 - fixed columns


def hourly_sums_before(system_id: str, date: str) -> dict[str, float]:
    """kWh of every rolled-up hour of a system before a local date, by counter name (0 when none)."""
    row = database.connection().execute(_BEFORE, (system_id, date)).fetchone()
    return {name: float(value or 0.0) for name, value in zip(COLUMNS.values(), row)}
