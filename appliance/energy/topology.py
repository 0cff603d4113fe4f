"""Who belongs to whom, read once per rollup run: devices' parents, time zones, battery capacity."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from appliance.energy.localtime import zone
from appliance.store.sqltypes import SqlRow


@dataclass
class Topology:
    """The catalog as the rollups need it."""

    zones: dict[str, ZoneInfo] = field(default_factory=dict)  # system_id -> zone
    parents: dict[str, dict[str, SqlRow]] = field(default_factory=dict)  # sample table -> device -> parent ids
    array_kwh: dict[str, float] = field(default_factory=dict)  # inverter array -> attached packs' nominal kWh
    system_kwh: dict[str, float] = field(default_factory=dict)  # system -> all its packs' nominal kWh
    pack_kwh: dict[str, float] = field(default_factory=dict)

    def system_of(self, table: str, device: str) -> str | None:
        """The system of a device of a sample table (None for an unknown device)."""
        ids = self.parents.get(table, {}).get(device)
        if ids is None:
            return None
        system: str | None = ids[1] if table != "meter_samples" else ids[0]
        return system


def load(conn: sqlite3.Connection) -> Topology:
    """Read the topology from the catalog tables."""
    topo = Topology()
    topo.zones = {sid: zone(tz) for sid, tz in conn.execute("SELECT system_id, timezone FROM systems")}
    topo.parents["energy_samples"] = {
        i: (a, s) for i, a, s in conn.execute("SELECT inverter_id, array_id, system_id FROM inverters")}
    topo.parents["meter_samples"] = {
        m: (s, a) for m, s, a in conn.execute("SELECT meter_id, system_id, array_id FROM meters")}
    topo.parents["battery_bank_samples"] = {
        p: (b, s) for p, b, s in conn.execute("SELECT pack_id, battery_array_id, system_id FROM battery_packs")}
    for pack, system, kwh in conn.execute("SELECT pack_id, system_id, nominal_kwh FROM battery_packs "
                                          "WHERE nominal_kwh > 0"):
        topo.pack_kwh[pack] = kwh
        topo.system_kwh[system] = topo.system_kwh.get(system, 0.0) + kwh
    for array, kwh in conn.execute(
            "SELECT a.inverter_array_id, SUM(p.nominal_kwh) FROM battery_array_attachments a "
            "JOIN battery_packs p ON p.battery_array_id = a.battery_array_id "
            "WHERE a.detached_at IS NULL AND p.nominal_kwh > 0 GROUP BY a.inverter_array_id"):
        topo.array_kwh[array] = kwh
    return topo
