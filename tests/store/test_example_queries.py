"""The hierarchy document's example queries (section 12) run unchanged and answer right."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from appliance.catalog import config_yaml

ALL_DEVICES = """
SELECT 
    'inverter' as type, inverter_id as id, name, array_id
FROM inverters
WHERE system_id = 'system'
UNION ALL
SELECT 
    'battery_pack' as type, pack_id as id, name, battery_array_id
FROM battery_packs
WHERE system_id = 'system'
UNION ALL
SELECT 
    'meter' as type, meter_id as id, name, array_id
FROM meters
WHERE system_id = 'system';
"""

SYSTEM_TODAY = """
SELECT 
    hour_start,
    SUM(solar_energy_kwh) as total_solar,
    SUM(load_energy_kwh) as total_load,
    SUM(battery_charge_energy_kwh) as total_battery_charge,
    SUM(battery_discharge_energy_kwh) as total_battery_discharge,
    SUM(grid_import_energy_kwh) as total_grid_import,
    SUM(grid_export_energy_kwh) as total_grid_export
FROM system_hourly_energy
WHERE system_id = 'system' AND date = DATE('now')
GROUP BY hour_start
ORDER BY hour_start;
"""

PACK_HIERARCHY = """
SELECT 
    ba.battery_array_id,
    ba.name as array_name,
    bp.pack_id,
    bp.name as pack_name,
    b.battery_id,
    b.battery_index,
    COUNT(bc.cell_id) as cell_count
FROM battery_arrays ba
JOIN battery_packs bp ON ba.battery_array_id = bp.battery_array_id
JOIN batteries b ON bp.pack_id = b.pack_id
LEFT JOIN battery_cells bc ON b.battery_id = bc.battery_id
WHERE ba.system_id = 'system'
GROUP BY ba.battery_array_id, bp.pack_id, b.battery_id
ORDER BY ba.battery_array_id, bp.pack_id, b.battery_index;
"""

BANK_HOURLY_TODAY = """
SELECT 
    hour_start,
    pack_id,
    charge_energy_kwh,
    discharge_energy_kwh,
    avg_power_w,
    avg_soc_pct,
    avg_voltage_v,
    avg_temperature_c
FROM battery_bank_hourly
WHERE pack_id = 'battery1' AND date = DATE('now')
ORDER BY hour_start;
"""

BANK_DAILY_RANGE = """
SELECT 
    date,
    pack_id,
    charge_energy_kwh,
    discharge_energy_kwh,
    net_energy_kwh,
    min_soc_pct,
    max_soc_pct,
    avg_soc_pct,
    cycles
FROM battery_bank_daily
WHERE pack_id = 'battery1' AND date >= DATE('now', '-7 days')
ORDER BY date DESC;
"""

DEFAULTS = """
INSERT INTO systems (system_id, name, description, timezone)
SELECT 'system', 'My Solar System', 'Auto-created default system', 'Asia/Karachi'
WHERE NOT EXISTS (SELECT 1 FROM systems WHERE system_id = 'system');

INSERT INTO arrays (array_id, system_id, name)
SELECT 'array1', 'system', 'Default Inverter Array'
WHERE NOT EXISTS (SELECT 1 FROM arrays WHERE array_id = 'array1');

INSERT INTO battery_arrays (battery_array_id, system_id, name)
SELECT 'battery_array1', 'system', 'Default Battery Array'
WHERE NOT EXISTS (SELECT 1 FROM battery_arrays WHERE battery_array_id = 'battery_array1');

INSERT INTO battery_array_attachments (battery_array_id, inverter_array_id, attached_since)
SELECT 'battery_array1', 'array1', CURRENT_TIMESTAMP
WHERE NOT EXISTS (
    SELECT 1 FROM battery_array_attachments 
    WHERE battery_array_id = 'battery_array1' AND inverter_array_id = 'array1' AND detached_at IS NULL
);
"""

PENDING_DISCOVERY = """
SELECT 
    device_id,
    device_type,
    serial_number,
    port,
    status,
    is_auto_discovered,
    discovery_timestamp
FROM device_discovery
WHERE is_auto_discovered = 1 AND status = 'active'
ORDER BY discovery_timestamp DESC;
"""


@pytest.fixture
def fixture_db(db, example_config):
    """The example catalog plus a day of hourly rows for today (UTC) and yesterday."""
    config_yaml.import_file(example_config)
    today = db.execute_sql("SELECT DATE('now')").fetchone()[0]
    yesterday = db.execute_sql("SELECT DATE('now', '-1 day')").fetchone()[0]
    for date, base in ((today, 0), (yesterday, 100)):
        for hour in (10, 11):
            db.execute_sql("INSERT INTO system_hourly_energy (system_id, date, hour_start, solar_energy_kwh, "
                           "load_energy_kwh, grid_import_energy_kwh) VALUES ('system', ?, ?, ?, 1.0, 0.5)",
                           (date, hour * 3_600_000, base + hour))
            db.execute_sql("INSERT INTO battery_bank_hourly (pack_id, battery_array_id, system_id, date, hour_start, "
                           "charge_energy_kwh, avg_soc_pct) VALUES ('battery1', 'battery_array2', 'system', ?, ?, ?, 50)",
                           (date, hour * 3_600_000, base + hour / 10))
        db.execute_sql("INSERT INTO battery_bank_daily (date, pack_id, battery_array_id, system_id, day_of_year, year, "
                       "charge_energy_kwh, cycles) VALUES (?, 'battery1', 'battery_array2', 'system', 1, 2026, ?, 0.5)",
                       (date, base + 5))
    return db, today


def test_all_devices_for_a_system(fixture_db):
    db, _ = fixture_db
    rows = db.execute_sql(ALL_DEVICES).fetchall()
    assert sorted((r[0], r[1], r[3]) for r in rows) == sorted([
        ("inverter", "powdrive1", "array2"), ("inverter", "powdrive2", "array1"), ("inverter", "senergy1", "array1"),
        ("battery_pack", "battery1", "battery_array2"), ("battery_pack", "jkbms_bank_ble", "battery_array1"),
        ("meter", "grid_meter_1", None)])


def test_system_energy_today_as_printed_and_in_the_systems_time_zone(fixture_db):
    db, _ = fixture_db
    printed = db.execute_sql(SYSTEM_TODAY).fetchall()
    assert [(r[0], r[1]) for r in printed] == [(36_000_000, 10.0), (39_600_000, 11.0)]
    # Corrected form (docs/decisions.md): `date` is the system's local date, so pass it in.
    local_today = datetime.now(ZoneInfo("Asia/Karachi")).date().isoformat()
    corrected = db.execute_sql(SYSTEM_TODAY.replace("DATE('now')", "?"), (local_today,)).fetchall()
    utc_today = db.execute_sql("SELECT DATE('now')").fetchone()[0]
    expected_base = 0 if local_today == utc_today else 100 if local_today < utc_today else None
    if expected_base is not None:
        assert [r[1] for r in corrected] == [expected_base + 10.0, expected_base + 11.0]


def test_battery_pack_hierarchy(fixture_db):
    db, _ = fixture_db
    rows = db.execute_sql(PACK_HIERARCHY).fetchall()
    assert [(r[2], r[5], r[6]) for r in rows] == [
        ("jkbms_bank_ble", 0, 16), ("battery1", 0, 15), ("battery1", 1, 15), ("battery1", 2, 15), ("battery1", 3, 15)]


def test_battery_bank_hourly_today_and_daily_range(fixture_db):
    db, _ = fixture_db
    hourly = db.execute_sql(BANK_HOURLY_TODAY).fetchall()
    assert [(r[0], r[2]) for r in hourly] == [(36_000_000, 1.0), (39_600_000, 1.1)]
    daily = db.execute_sql(BANK_DAILY_RANGE).fetchall()
    assert [r[2] for r in daily] == [5.0, 105.0]
    assert all(r[8] == 0.5 for r in daily)


def test_default_creation_sql_matches_ensure_defaults(db):
    db.connection().executescript(DEFAULTS)
    assert db.execute_sql("SELECT system_id, name, description, timezone FROM systems").fetchall() == [
        ("system", "My Solar System", "Auto-created default system", "Asia/Karachi")]
    db.connection().executescript(DEFAULTS)
    assert db.execute_sql("SELECT count(*) FROM battery_array_attachments").fetchone()[0] == 1


def test_pending_discovered_devices(db):
    db.execute_sql("INSERT INTO device_discovery (device_id, device_type, serial_number, port, status, "
                   "discovery_timestamp) VALUES ('d1', 'battery', 'SN1', '/dev/ttyUSB0', 'active', '2026-01-01 10:00:00')")
    db.execute_sql("INSERT INTO device_discovery (device_id, device_type, serial_number, port, status, "
                   "discovery_timestamp) VALUES ('d2', 'meter', 'SN2', '/dev/ttyUSB1', 'active', '2026-01-02 10:00:00')")
    db.execute_sql("INSERT INTO device_discovery (device_id, device_type, status, is_auto_discovered) "
                   "VALUES ('d3', 'meter', 'active', 0)")
    assert [r[0] for r in db.execute_sql(PENDING_DISCOVERY).fetchall()] == ["d2", "d1"]
