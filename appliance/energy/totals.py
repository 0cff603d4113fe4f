"""A system's energy counters: today's and lifetime kWh of solar, consumption, grid and battery.

MQTT publishes them after each rollup as `total_increasing` sensors; HA's Energy dashboard takes them
without templates. Today's figures are `history.today_totals` (the rollups plus the not-yet-rolled
tail); lifetime adds every earlier rolled-up hour.
"""

from __future__ import annotations

from typing import Any

from appliance.energy import history
from appliance.store.totals import hourly_sums_before

#: today_totals' keys -> counter names of READINGS.md (without _today_kwh / _total_kwh).
TODAY_KEYS = {"pv_energy_kwh": "pv_energy", "load_energy_kwh": "load_energy", "import_kwh": "grid_import",
              "export_kwh": "grid_export", "charge_kwh": "battery_charge", "discharge_kwh": "battery_discharge"}


def system_totals(system_id: str, now_ms: int | None = None) -> dict[str, Any]:
    """`<name>_today_kwh` and `<name>_total_kwh` for each counter, rounded to the Wh, and the local date."""
    today = history.today_totals(system_id, now_ms)
    before = hourly_sums_before(system_id, today["date"])
    out: dict[str, Any] = {"date": today["date"]}
    for key, name in TODAY_KEYS.items():
        value = float(today.get(key) or 0.0)
        out[f"{name}_today_kwh"] = round(value, 3)
        out[f"{name}_total_kwh"] = round(before[name] + value, 3)
    return out
