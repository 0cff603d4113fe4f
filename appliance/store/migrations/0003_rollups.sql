-- Migration 3: chart and settlement aggregates beside the document's hourly/daily tables, and the
-- bookkeeping of incremental rollups. Bucket starts are epoch ms (UTC instants); 5-minute and
-- 30-minute buckets are aligned to the epoch, which is aligned to local time in every zone whose
-- offset is a whole number of half hours (and 5-minute buckets in all zones).

CREATE TABLE energy_5m (
    inverter_id TEXT NOT NULL,
    bucket_start INTEGER NOT NULL,
    array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    avg_solar_power_w REAL,
    avg_load_power_w REAL,
    avg_battery_power_w REAL,
    avg_grid_power_w REAL,
    avg_soc_pct REAL,
    solar_energy_kwh REAL,
    load_energy_kwh REAL,
    battery_charge_energy_kwh REAL,
    battery_discharge_energy_kwh REAL,
    grid_import_energy_kwh REAL,
    grid_export_energy_kwh REAL,
    sample_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (inverter_id, bucket_start),
    FOREIGN KEY (inverter_id) REFERENCES inverters(inverter_id) ON DELETE CASCADE,
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE array_5m (
    array_id TEXT NOT NULL,
    bucket_start INTEGER NOT NULL,
    system_id TEXT NOT NULL,
    avg_solar_power_w REAL,
    avg_load_power_w REAL,
    avg_battery_power_w REAL,
    avg_grid_power_w REAL,
    avg_soc_pct REAL,
    solar_energy_kwh REAL,
    load_energy_kwh REAL,
    battery_charge_energy_kwh REAL,
    battery_discharge_energy_kwh REAL,
    grid_import_energy_kwh REAL,
    grid_export_energy_kwh REAL,
    sample_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (array_id, bucket_start),
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE system_5m (
    system_id TEXT NOT NULL,
    bucket_start INTEGER NOT NULL,
    avg_solar_power_w REAL,
    avg_load_power_w REAL,
    avg_battery_power_w REAL,
    avg_grid_power_w REAL,
    avg_soc_pct REAL,
    solar_energy_kwh REAL,
    load_energy_kwh REAL,
    battery_charge_energy_kwh REAL,
    battery_discharge_energy_kwh REAL,
    grid_import_energy_kwh REAL,
    grid_export_energy_kwh REAL,
    sample_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (system_id, bucket_start),
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE meter_5m (
    meter_id TEXT NOT NULL,
    bucket_start INTEGER NOT NULL,
    system_id TEXT NOT NULL,
    array_id TEXT,
    avg_power_w REAL,
    max_power_w REAL,
    min_power_w REAL,
    avg_voltage_v REAL,
    avg_frequency_hz REAL,
    avg_power_factor REAL,
    import_energy_kwh REAL,
    export_energy_kwh REAL,
    sample_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (meter_id, bucket_start),
    FOREIGN KEY (meter_id) REFERENCES meters(meter_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE,
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE SET NULL
) WITHOUT ROWID;

-- Settlement periods (the domain document's 30-minute aggregates), for meters.
CREATE TABLE meter_30m (
    meter_id TEXT NOT NULL,
    bucket_start INTEGER NOT NULL,
    system_id TEXT NOT NULL,
    array_id TEXT,
    avg_power_w REAL,
    max_power_w REAL,
    min_power_w REAL,
    avg_voltage_v REAL,
    avg_frequency_hz REAL,
    avg_power_factor REAL,
    min_power_factor REAL,
    import_energy_kwh REAL,
    export_energy_kwh REAL,
    sample_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (meter_id, bucket_start),
    FOREIGN KEY (meter_id) REFERENCES meters(meter_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE,
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE SET NULL
) WITHOUT ROWID;

CREATE TABLE battery_bank_5m (
    pack_id TEXT NOT NULL,
    bucket_start INTEGER NOT NULL,
    battery_array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    avg_power_w REAL,
    avg_soc_pct REAL,
    min_soc_pct REAL,
    max_soc_pct REAL,
    avg_voltage_v REAL,
    avg_current_a REAL,
    avg_temperature_c REAL,
    charge_energy_kwh REAL,
    discharge_energy_kwh REAL,
    sample_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (pack_id, bucket_start),
    FOREIGN KEY (pack_id) REFERENCES battery_packs(pack_id) ON DELETE CASCADE,
    FOREIGN KEY (battery_array_id) REFERENCES battery_arrays(battery_array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE INDEX idx_system_5m_bucket ON system_5m(bucket_start DESC);

-- How far each sample table has been rolled up: the largest ts already folded into rollups.
CREATE TABLE rollup_watermarks (
    source_table TEXT PRIMARY KEY,
    rolled_to_ts INTEGER NOT NULL,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- Buckets that late samples (ts at or below the watermark) touched and that must be rolled again.
CREATE TABLE rollup_dirty (
    source_table TEXT NOT NULL,
    device_id TEXT NOT NULL,
    bucket_start INTEGER NOT NULL,
    PRIMARY KEY (source_table, device_id, bucket_start)
) WITHOUT ROWID;
