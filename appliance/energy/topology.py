"""Who belongs to whom, read once per rollup run: devices' parents, time zones, battery capacity."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from appliance.energy.localtime import zone
from appliance.store import energy_catalog as catalog
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
    topo.zones = {sid: zone(tz) for sid, tz in catalog.system_zones(conn).items()}
    topo.parents["energy_samples"] = catalog.inverter_parents(conn)
    topo.parents["meter_samples"] = catalog.meter_parents(conn)
    topo.parents["battery_bank_samples"] = catalog.pack_parents(conn)
    for pack, system, kwh in catalog.pack_capacities(conn):
        topo.pack_kwh[pack] = kwh
        topo.system_kwh[system] = topo.system_kwh.get(system, 0.0) + kwh
    topo.array_kwh = catalog.array_capacities(conn)
    return topo
