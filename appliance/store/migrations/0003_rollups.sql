-- Migration 3: chart and settlement aggregates beside the document's hourly/daily tables, and the
-- bookkeeping of incremental rollups (appliance/energy/rollups.py, docs/decisions.md "Energy").
-- Bucket starts are epoch ms (UTC instants). 5-minute buckets are aligned to the epoch, which is
-- aligned to local time in every zone (all offsets are whole multiples of 15 minutes). 30-minute
-- meter buckets start at local half hours (counted from the local midnight).

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
    min_soc_pct REAL,
    max_soc_pct REAL,
    max_solar_power_w REAL,
    max_load_power_w REAL,
    max_grid_power_w REAL,  -- largest import (+) of the bucket; array/system: sum of the devices' maxima
    min_grid_power_w REAL,  -- largest export (most negative)
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
    min_soc_pct REAL,
    max_soc_pct REAL,
    max_solar_power_w REAL,
    max_load_power_w REAL,
    max_grid_power_w REAL,  -- largest import (+) of the bucket; array/system: sum of the devices' maxima
    min_grid_power_w REAL,  -- largest export (most negative)
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
    min_soc_pct REAL,
    max_soc_pct REAL,
    max_solar_power_w REAL,
    max_load_power_w REAL,
    max_grid_power_w REAL,  -- largest import (+) of the bucket; array/system: sum of the devices' maxima
    min_grid_power_w REAL,  -- largest export (most negative)
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
    avg_current_a REAL,
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
    avg_current_a REAL,
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
    min_voltage_v REAL,
    max_voltage_v REAL,
    avg_current_a REAL,
    min_current_a REAL,
    max_current_a REAL,
    avg_temperature_c REAL,
    min_temperature_c REAL,
    max_temperature_c REAL,
    charge_energy_kwh REAL,
    discharge_energy_kwh REAL,
    sample_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (pack_id, bucket_start),
    FOREIGN KEY (pack_id) REFERENCES battery_packs(pack_id) ON DELETE CASCADE,
    FOREIGN KEY (battery_array_id) REFERENCES battery_arrays(battery_array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE INDEX idx_system_5m_bucket ON system_5m(bucket_start DESC);
-- Array and system levels are recomputed per local day from the level below.
CREATE INDEX idx_energy_5m_array_bucket ON energy_5m(array_id, bucket_start);
CREATE INDEX idx_array_5m_system_bucket ON array_5m(system_id, bucket_start);
CREATE INDEX idx_hourly_energy_array_date ON hourly_energy(array_id, date);
CREATE INDEX idx_array_hourly_energy_system_date ON array_hourly_energy(system_id, date);

-- How far each sample table has been rolled up: the largest ts already queued for rollups.
CREATE TABLE rollup_watermarks (
    source_table TEXT PRIMARY KEY,
    rolled_to_ts INTEGER NOT NULL,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- The rollup work queue. source_table is a sample table (5-minute buckets of a device to
-- recompute from its samples) or 'hour:<sample table>' (a device's local hour, bucket_start = the
-- local hour start, whose hourly rows, daily rows, array and system rows must be recomputed).
CREATE TABLE rollup_dirty (
    source_table TEXT NOT NULL,
    device_id TEXT NOT NULL,
    bucket_start INTEGER NOT NULL,
    PRIMARY KEY (source_table, device_id, bucket_start)
) WITHOUT ROWID;

-- Late samples: a row written at or below its table's watermark (a backfill, a slow device, a
-- corrected value) queues its 5-minute bucket, in the writer's own transaction, whatever code
-- wrote it. Deletes (retention) queue nothing: aggregates outlive their samples.
CREATE TRIGGER energy_samples_late_insert AFTER INSERT ON energy_samples
WHEN NEW.ts <= (SELECT rolled_to_ts FROM rollup_watermarks WHERE source_table = 'energy_samples')
BEGIN
    INSERT OR IGNORE INTO rollup_dirty (source_table, device_id, bucket_start)
    VALUES ('energy_samples', NEW.inverter_id, NEW.ts - NEW.ts % 300000);
END;

CREATE TRIGGER energy_samples_late_update AFTER UPDATE ON energy_samples
WHEN OLD.ts <= (SELECT rolled_to_ts FROM rollup_watermarks WHERE source_table = 'energy_samples') OR NEW.ts <= (SELECT rolled_to_ts FROM rollup_watermarks WHERE source_table = 'energy_samples')
BEGIN
    INSERT OR IGNORE INTO rollup_dirty (source_table, device_id, bucket_start)
    VALUES ('energy_samples', OLD.inverter_id, OLD.ts - OLD.ts % 300000), ('energy_samples', NEW.inverter_id, NEW.ts - NEW.ts % 300000);
END;

CREATE TRIGGER meter_samples_late_insert AFTER INSERT ON meter_samples
WHEN NEW.ts <= (SELECT rolled_to_ts FROM rollup_watermarks WHERE source_table = 'meter_samples')
BEGIN
    INSERT OR IGNORE INTO rollup_dirty (source_table, device_id, bucket_start)
    VALUES ('meter_samples', NEW.meter_id, NEW.ts - NEW.ts % 300000);
END;

CREATE TRIGGER meter_samples_late_update AFTER UPDATE ON meter_samples
WHEN OLD.ts <= (SELECT rolled_to_ts FROM rollup_watermarks WHERE source_table = 'meter_samples') OR NEW.ts <= (SELECT rolled_to_ts FROM rollup_watermarks WHERE source_table = 'meter_samples')
BEGIN
    INSERT OR IGNORE INTO rollup_dirty (source_table, device_id, bucket_start)
    VALUES ('meter_samples', OLD.meter_id, OLD.ts - OLD.ts % 300000), ('meter_samples', NEW.meter_id, NEW.ts - NEW.ts % 300000);
END;

CREATE TRIGGER battery_bank_samples_late_insert AFTER INSERT ON battery_bank_samples
WHEN NEW.ts <= (SELECT rolled_to_ts FROM rollup_watermarks WHERE source_table = 'battery_bank_samples')
BEGIN
    INSERT OR IGNORE INTO rollup_dirty (source_table, device_id, bucket_start)
    VALUES ('battery_bank_samples', NEW.pack_id, NEW.ts - NEW.ts % 300000);
END;

CREATE TRIGGER battery_bank_samples_late_update AFTER UPDATE ON battery_bank_samples
WHEN OLD.ts <= (SELECT rolled_to_ts FROM rollup_watermarks WHERE source_table = 'battery_bank_samples') OR NEW.ts <= (SELECT rolled_to_ts FROM rollup_watermarks WHERE source_table = 'battery_bank_samples')
BEGIN
    INSERT OR IGNORE INTO rollup_dirty (source_table, device_id, bucket_start)
    VALUES ('battery_bank_samples', OLD.pack_id, OLD.ts - OLD.ts % 300000), ('battery_bank_samples', NEW.pack_id, NEW.ts - NEW.ts % 300000);
END;
