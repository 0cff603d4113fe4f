-- Migration 13: storage that an SD card survives (issue 14; docs/decisions.md "An SD card that lasts").
-- Frozen once shipped, like every migration. It copies the sample tables once (6. below): on a large
-- database that takes a while and needs room for a second copy of them until it commits.
--
-- 1. The sample tables lose the document's secondary indexes (system_id, ts DESC, array_id): no query
--    uses them (every read is a range of the primary key; tests/store/test_query_plans.py), and
--    each one cost the writer a page per flush and about 35 bytes per row.
-- 2. The sync feed stops copying every sample: the per-row triggers go. Each sample and rollup row
--    carries `seq`, its place in the feed's one global order, and `feed_spans` logs one entry per run
--    of a device's rows (appliance/store/samples.py; the rollups' triggers below). Entries of older
--    rows stay in sync_feed; the feed serves them until the row is written again or pruned.
-- 3. Cells: one row per pack reading in `battery_cell_readings`, the cells in a versioned blob
--    (appliance/store/cells.py). `battery_cell_samples` becomes a view with the document's columns.
-- 4. `details` of new rows are deflated against a per-device dictionary (appliance/store/details.py).
-- 5. The late-sample triggers of migration 3 go: a trigger program per inserted row was half the cost of
--    an insert. The store's write path queues late samples' buckets itself, once per batch
--    (appliance/store/samples.py); every writer of sample rows goes through it.
-- 6. The sample tables are keyed (ts, device), the document's order, no longer (device, ts): new rows
--    then go to the right edge of the tree, where a page split rewrites pages of this commit only; in
--    the middle (after each device's rows) every split also rewrote an old page of the next device.
--    They are rebuilt (rows copied in key order); their triggers and the document's indexes go with
--    the old tables, only the partial indexes of marked rows come back.

CREATE TABLE energy_samples_v11 (
    ts INTEGER NOT NULL,
    inverter_id TEXT NOT NULL,
    array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    pv_power_w INTEGER,
    load_power_w INTEGER,
    grid_power_w INTEGER,
    batt_voltage_v REAL,
    batt_current_a REAL,
    soc REAL,
    battery_soc REAL,
    battery_voltage_v REAL,
    battery_current_a REAL,
    inverter_mode INTEGER,
    inverter_temp_c REAL,
    grid_import_wh REAL,
    grid_export_wh REAL,
    battery_power_w INTEGER,
    grid_voltage_v REAL,
    grid_frequency_hz REAL,
    pv_energy_total_kwh REAL,
    load_energy_total_kwh REAL,
    battery_charge_total_kwh REAL,
    battery_discharge_total_kwh REAL,
    details BLOB,  -- JSON text, or deflated against a dictionary (appliance/store/details.py)
    flags INTEGER DEFAULT 0,
    seq INTEGER,  -- place in the sync feed's order (NULL: written before this migration)
    PRIMARY KEY (ts, inverter_id),
    FOREIGN KEY (inverter_id) REFERENCES inverters(inverter_id) ON DELETE CASCADE,
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO energy_samples_v11 (ts, inverter_id, array_id, system_id, pv_power_w, load_power_w, grid_power_w, batt_voltage_v, batt_current_a, soc, battery_soc, battery_voltage_v, battery_current_a, inverter_mode, inverter_temp_c, grid_import_wh, grid_export_wh, battery_power_w, grid_voltage_v, grid_frequency_hz, pv_energy_total_kwh, load_energy_total_kwh, battery_charge_total_kwh, battery_discharge_total_kwh, details, flags) SELECT ts, inverter_id, array_id, system_id, pv_power_w, load_power_w, grid_power_w, batt_voltage_v, batt_current_a, soc, battery_soc, battery_voltage_v, battery_current_a, inverter_mode, inverter_temp_c, grid_import_wh, grid_export_wh, battery_power_w, grid_voltage_v, grid_frequency_hz, pv_energy_total_kwh, load_energy_total_kwh, battery_charge_total_kwh, battery_discharge_total_kwh, details, flags FROM energy_samples ORDER BY ts, inverter_id;
DROP TABLE energy_samples;
ALTER TABLE energy_samples_v11 RENAME TO energy_samples;
CREATE INDEX idx_energy_samples_flagged ON energy_samples(flags) WHERE flags <> 0;

CREATE TABLE array_samples_v11 (
    ts INTEGER NOT NULL,
    array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    pv_power_w INTEGER,
    load_power_w INTEGER,
    grid_power_w INTEGER,
    batt_power_w INTEGER,
    batt_soc_pct REAL,
    batt_voltage_v REAL,
    batt_current_a REAL,
    flags INTEGER DEFAULT 0,
    seq INTEGER,  -- place in the sync feed's order (NULL: written before this migration)
    PRIMARY KEY (ts, array_id),
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO array_samples_v11 (ts, array_id, system_id, pv_power_w, load_power_w, grid_power_w, batt_power_w, batt_soc_pct, batt_voltage_v, batt_current_a, flags) SELECT ts, array_id, system_id, pv_power_w, load_power_w, grid_power_w, batt_power_w, batt_soc_pct, batt_voltage_v, batt_current_a, flags FROM array_samples ORDER BY ts, array_id;
DROP TABLE array_samples;
ALTER TABLE array_samples_v11 RENAME TO array_samples;
CREATE INDEX idx_array_samples_flagged ON array_samples(flags) WHERE flags <> 0;

CREATE TABLE battery_bank_samples_v11 (
    ts INTEGER NOT NULL,
    pack_id TEXT NOT NULL,
    battery_array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    voltage REAL,
    current REAL,
    temperature REAL,
    soc REAL,
    batteries_count INTEGER,
    cells_per_battery INTEGER,
    power_w INTEGER,
    soh_pct REAL,
    cycles INTEGER,
    remaining_ah REAL,
    full_ah REAL,
    cell_min_v REAL,
    cell_max_v REAL,
    cell_delta_v REAL,
    balancing BOOLEAN,
    details BLOB,  -- JSON text, or deflated against a dictionary (appliance/store/details.py)
    flags INTEGER DEFAULT 0,
    seq INTEGER,  -- place in the sync feed's order (NULL: written before this migration)
    PRIMARY KEY (ts, pack_id),
    FOREIGN KEY (pack_id) REFERENCES battery_packs(pack_id) ON DELETE CASCADE,
    FOREIGN KEY (battery_array_id) REFERENCES battery_arrays(battery_array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO battery_bank_samples_v11 (ts, pack_id, battery_array_id, system_id, voltage, current, temperature, soc, batteries_count, cells_per_battery, power_w, soh_pct, cycles, remaining_ah, full_ah, cell_min_v, cell_max_v, cell_delta_v, balancing, details, flags) SELECT ts, pack_id, battery_array_id, system_id, voltage, current, temperature, soc, batteries_count, cells_per_battery, power_w, soh_pct, cycles, remaining_ah, full_ah, cell_min_v, cell_max_v, cell_delta_v, balancing, details, flags FROM battery_bank_samples ORDER BY ts, pack_id;
DROP TABLE battery_bank_samples;
ALTER TABLE battery_bank_samples_v11 RENAME TO battery_bank_samples;
CREATE INDEX idx_battery_bank_samples_flagged ON battery_bank_samples(flags) WHERE flags <> 0;

CREATE TABLE battery_unit_samples_v11 (
    ts INTEGER NOT NULL,
    battery_id TEXT NOT NULL,
    pack_id TEXT NOT NULL,
    battery_array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    power INTEGER NOT NULL,
    voltage REAL,
    current REAL,
    temperature REAL,
    soc REAL,
    basic_st TEXT,
    volt_st TEXT,
    current_st TEXT,
    temp_st TEXT,
    soh_st TEXT,
    coul_st TEXT,
    heater_st TEXT,
    bat_events INTEGER,
    power_events INTEGER,
    sys_events INTEGER,
    details BLOB,  -- JSON text, or deflated against a dictionary (appliance/store/details.py)
    flags INTEGER DEFAULT 0,
    seq INTEGER,  -- place in the sync feed's order (NULL: written before this migration)
    PRIMARY KEY (ts, battery_id),
    FOREIGN KEY (battery_id) REFERENCES batteries(battery_id) ON DELETE CASCADE,
    FOREIGN KEY (battery_array_id) REFERENCES battery_arrays(battery_array_id) ON DELETE CASCADE,
    FOREIGN KEY (pack_id) REFERENCES battery_packs(pack_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO battery_unit_samples_v11 (ts, battery_id, pack_id, battery_array_id, system_id, power, voltage, current, temperature, soc, basic_st, volt_st, current_st, temp_st, soh_st, coul_st, heater_st, bat_events, power_events, sys_events, details, flags) SELECT ts, battery_id, pack_id, battery_array_id, system_id, power, voltage, current, temperature, soc, basic_st, volt_st, current_st, temp_st, soh_st, coul_st, heater_st, bat_events, power_events, sys_events, details, flags FROM battery_unit_samples ORDER BY ts, battery_id;
DROP TABLE battery_unit_samples;
ALTER TABLE battery_unit_samples_v11 RENAME TO battery_unit_samples;
CREATE INDEX idx_battery_unit_samples_flagged ON battery_unit_samples(flags) WHERE flags <> 0;

CREATE TABLE meter_samples_v11 (
    ts INTEGER NOT NULL,
    meter_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    array_id TEXT,
    grid_power_w INTEGER,
    grid_voltage_v REAL,
    grid_current_a REAL,
    grid_frequency_hz REAL,
    grid_import_wh INTEGER,
    grid_export_wh INTEGER,
    energy_kwh REAL,
    power_factor REAL,
    voltage_phase_a REAL,
    voltage_phase_b REAL,
    voltage_phase_c REAL,
    current_phase_a REAL,
    current_phase_b REAL,
    current_phase_c REAL,
    power_phase_a INTEGER,
    power_phase_b INTEGER,
    power_phase_c INTEGER,
    reactive_power_var REAL,
    apparent_power_va REAL,
    details BLOB,  -- JSON text, or deflated against a dictionary (appliance/store/details.py)
    flags INTEGER DEFAULT 0,
    seq INTEGER,  -- place in the sync feed's order (NULL: written before this migration)
    PRIMARY KEY (ts, meter_id),
    FOREIGN KEY (meter_id) REFERENCES meters(meter_id) ON DELETE CASCADE,
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE SET NULL,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO meter_samples_v11 (ts, meter_id, system_id, array_id, grid_power_w, grid_voltage_v, grid_current_a, grid_frequency_hz, grid_import_wh, grid_export_wh, energy_kwh, power_factor, voltage_phase_a, voltage_phase_b, voltage_phase_c, current_phase_a, current_phase_b, current_phase_c, power_phase_a, power_phase_b, power_phase_c, reactive_power_var, apparent_power_va, details, flags) SELECT ts, meter_id, system_id, array_id, grid_power_w, grid_voltage_v, grid_current_a, grid_frequency_hz, grid_import_wh, grid_export_wh, energy_kwh, power_factor, voltage_phase_a, voltage_phase_b, voltage_phase_c, current_phase_a, current_phase_b, current_phase_c, power_phase_a, power_phase_b, power_phase_c, reactive_power_var, apparent_power_va, details, flags FROM meter_samples ORDER BY ts, meter_id;
DROP TABLE meter_samples;
ALTER TABLE meter_samples_v11 RENAME TO meter_samples;
CREATE INDEX idx_meter_samples_flagged ON meter_samples(flags) WHERE flags <> 0;


-- The change log of rows that carry `seq`: rows of table `tid` for `device_id` whose ordering column
-- (ts, bucket_start, date or day: store/feedlog.py) is in [lo, hi] and whose seq is in [seq_from, seq].
-- `seq` (the run's last position) is the key, so entries are appended in order, and no index is kept.
CREATE TABLE feed_spans (
    seq INTEGER PRIMARY KEY,
    seq_from INTEGER NOT NULL,
    tid INTEGER NOT NULL,  -- sync_tables.tid (constants of the writers: no foreign-key lookup per entry)
    device_id TEXT NOT NULL,
    lo NOT NULL,  -- no type: epoch ms for samples and 5-minute rows, a date for hourly and daily rows
    hi NOT NULL,
    ts INTEGER NOT NULL  -- epoch ms of the change; grows with seq, like sync_feed.ts
);

-- Dictionaries the details of a device are deflated against (never deleted: rows refer to them).
CREATE TABLE sample_dictionaries (
    dict_id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,  -- '<sample table>:<device id>'
    created_ms INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX idx_sample_dictionaries_source ON sample_dictionaries(source, dict_id);

CREATE TABLE battery_cell_readings (
    pack_id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    battery_array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    cells BLOB NOT NULL,  -- appliance/store/cells.py, version byte first
    flags INTEGER DEFAULT 0,
    seq INTEGER,
    PRIMARY KEY (ts, pack_id),
    FOREIGN KEY (pack_id) REFERENCES battery_packs(pack_id) ON DELETE CASCADE,
    FOREIGN KEY (battery_array_id) REFERENCES battery_arrays(battery_array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX idx_battery_cell_readings_flagged ON battery_cell_readings(flags) WHERE flags <> 0;

-- appliance_cells_blob is the aggregate appliance/store/db.py registers for migrations.
INSERT INTO battery_cell_readings (pack_id, ts, battery_array_id, system_id, cells, flags)
SELECT s.pack_id, s.ts, MIN(s.battery_array_id), MIN(s.system_id),
       appliance_cells_blob(b.battery_index, s.power, s.cell, s.voltage, s.temperature, s.balancing),
       MAX(IFNULL(s.flags, 0))
FROM battery_cell_samples s JOIN batteries b ON b.battery_id = s.battery_id
GROUP BY s.pack_id, s.ts;

-- The cells' feed entries become one entry per reading, at the place of its newest cell.
CREATE TEMP TABLE cell_feed AS
SELECT MAX(f.seq) AS seq, s.pack_id, s.ts, MAX(f.ts) AS changed
FROM battery_cell_samples s CROSS JOIN sync_feed f ON f.tid = 5 AND f.key = json_array(s.cell_id, s.ts)  -- s drives: one index probe per cell
GROUP BY s.pack_id, s.ts;
DELETE FROM sync_feed WHERE tid = 5;
INSERT INTO sync_feed (seq, tid, key, op, ts)
SELECT seq, 5, json_array(pack_id, ts), 'upsert', changed FROM temp.cell_feed ORDER BY seq;
DROP TABLE temp.cell_feed;
UPDATE sync_tables SET name = 'battery_cell_readings', key_columns = '["pack_id", "ts"]' WHERE tid = 5;

DROP TABLE battery_cell_samples;

-- The document's table, as a view over the readings (what SQL written against the document reads).
CREATE VIEW battery_cell_samples AS
WITH base AS (
    SELECT r.ts, c.cell_id, c.battery_id, r.pack_id, r.battery_array_id, r.system_id, r.flags,
           b.battery_index AS u, c.cell_index AS i, hex(r.cells) AS h
    FROM battery_cell_readings r
    JOIN batteries b ON b.pack_id = r.pack_id
    JOIN battery_cells c ON c.battery_id = b.battery_id
), head AS (
    SELECT *, ((instr('0123456789ABCDEF', substr(h, 2 * (1) + 1, 1)) - 1) * 16 + instr('0123456789ABCDEF', substr(h, 2 * (1) + 2, 1)) - 1) AS nu, ((instr('0123456789ABCDEF', substr(h, 2 * (2) + 1, 1)) - 1) * 16 + instr('0123456789ABCDEF', substr(h, 2 * (2) + 2, 1)) - 1) AS ns, ((instr('0123456789ABCDEF', substr(h, 2 * (3) + 1, 1)) - 1) * 16 + instr('0123456789ABCDEF', substr(h, 2 * (3) + 2, 1)) - 1) AS nt, ((instr('0123456789ABCDEF', substr(h, 2 * (4) + 1, 1)) - 1) * 16 + instr('0123456789ABCDEF', substr(h, 2 * (4) + 2, 1)) - 1) AS fl FROM base
), cell AS (
    SELECT *, 5 + nu + 2 * (u * ns + i) AS ov, 5 + nu + 2 * nu * ns + 2 * (u * nt + i) AS ot,
           5 + nu + 2 * nu * ns + 2 * nu * nt + u * ((ns + 7) / 8) + i / 8 AS ob
    FROM head WHERE u < nu AND i < ns
), raw AS (
    SELECT *, (((instr('0123456789ABCDEF', substr(h, 2 * (ov) + 1, 1)) - 1) * 16 + instr('0123456789ABCDEF', substr(h, 2 * (ov) + 2, 1)) - 1) + 256 * ((instr('0123456789ABCDEF', substr(h, 2 * (ov + 1) + 1, 1)) - 1) * 16 + instr('0123456789ABCDEF', substr(h, 2 * (ov + 1) + 2, 1)) - 1)) AS mv,
           CASE WHEN i < nt THEN (((instr('0123456789ABCDEF', substr(h, 2 * (ot) + 1, 1)) - 1) * 16 + instr('0123456789ABCDEF', substr(h, 2 * (ot) + 2, 1)) - 1) + 256 * ((instr('0123456789ABCDEF', substr(h, 2 * (ot + 1) + 1, 1)) - 1) * 16 + instr('0123456789ABCDEF', substr(h, 2 * (ot + 1) + 2, 1)) - 1)) END AS dc,
           CASE WHEN fl & 1 THEN (((instr('0123456789ABCDEF', substr(h, 2 * (ob) + 1, 1)) - 1) * 16 + instr('0123456789ABCDEF', substr(h, 2 * (ob) + 2, 1)) - 1) >> (i % 8)) & 1 END AS bal,
           ((instr('0123456789ABCDEF', substr(h, 2 * (5 + u) + 1, 1)) - 1) * 16 + instr('0123456789ABCDEF', substr(h, 2 * (5 + u) + 2, 1)) - 1) AS number
    FROM cell
)
SELECT ts, cell_id, battery_id, pack_id, battery_array_id, system_id, number AS power, i AS cell,
       CASE WHEN mv = 65535 THEN NULL ELSE mv / 1000.0 END AS voltage,
       CASE WHEN dc IS NULL OR dc = 32768 THEN NULL WHEN dc > 32768 THEN (dc - 65536) / 10.0 ELSE dc / 10.0 END
           AS temperature,
       NULL AS soc, NULL AS volt_st, NULL AS temp_st, bal AS balancing, flags
FROM raw WHERE mv <> 65535;


-- Rollup rows carry their place in the feed too. A trigger gives every written row a new `seq` and logs
-- it in feed_spans, extending the last span when it is the same table's and device's and ends just before
-- (a rollup writes a device's rows one after another). The row's own page and the log's last page are
-- all a rollup write touches, where the triggers of migration 6 deleted and inserted sync_feed entries
-- and their index entries for every row. The trigger's own UPDATE of seq does not fire it again
-- (WHEN NEW.seq IS OLD.seq); changes() is the row count of the span UPDATE just before.
DROP TRIGGER sync_energy_5m_insert;
DROP TRIGGER sync_energy_5m_update;
ALTER TABLE energy_5m ADD COLUMN seq INTEGER;
DROP TRIGGER sync_array_5m_insert;
DROP TRIGGER sync_array_5m_update;
ALTER TABLE array_5m ADD COLUMN seq INTEGER;
DROP TRIGGER sync_system_5m_insert;
DROP TRIGGER sync_system_5m_update;
ALTER TABLE system_5m ADD COLUMN seq INTEGER;
DROP TRIGGER sync_meter_5m_insert;
DROP TRIGGER sync_meter_5m_update;
ALTER TABLE meter_5m ADD COLUMN seq INTEGER;
DROP TRIGGER sync_meter_30m_insert;
DROP TRIGGER sync_meter_30m_update;
ALTER TABLE meter_30m ADD COLUMN seq INTEGER;
DROP TRIGGER sync_battery_bank_5m_insert;
DROP TRIGGER sync_battery_bank_5m_update;
ALTER TABLE battery_bank_5m ADD COLUMN seq INTEGER;
DROP TRIGGER sync_hourly_energy_insert;
DROP TRIGGER sync_hourly_energy_update;
ALTER TABLE hourly_energy ADD COLUMN seq INTEGER;
DROP TRIGGER sync_array_hourly_energy_insert;
DROP TRIGGER sync_array_hourly_energy_update;
ALTER TABLE array_hourly_energy ADD COLUMN seq INTEGER;
DROP TRIGGER sync_system_hourly_energy_insert;
DROP TRIGGER sync_system_hourly_energy_update;
ALTER TABLE system_hourly_energy ADD COLUMN seq INTEGER;
DROP TRIGGER sync_meter_hourly_energy_insert;
DROP TRIGGER sync_meter_hourly_energy_update;
ALTER TABLE meter_hourly_energy ADD COLUMN seq INTEGER;
DROP TRIGGER sync_battery_bank_hourly_insert;
DROP TRIGGER sync_battery_bank_hourly_update;
ALTER TABLE battery_bank_hourly ADD COLUMN seq INTEGER;
DROP TRIGGER sync_daily_summary_insert;
DROP TRIGGER sync_daily_summary_update;
ALTER TABLE daily_summary ADD COLUMN seq INTEGER;
DROP TRIGGER sync_array_daily_summary_insert;
DROP TRIGGER sync_array_daily_summary_update;
ALTER TABLE array_daily_summary ADD COLUMN seq INTEGER;
DROP TRIGGER sync_system_daily_summary_insert;
DROP TRIGGER sync_system_daily_summary_update;
ALTER TABLE system_daily_summary ADD COLUMN seq INTEGER;
DROP TRIGGER sync_meter_daily_insert;
DROP TRIGGER sync_meter_daily_update;
ALTER TABLE meter_daily ADD COLUMN seq INTEGER;
DROP TRIGGER sync_battery_bank_daily_insert;
DROP TRIGGER sync_battery_bank_daily_update;
ALTER TABLE battery_bank_daily ADD COLUMN seq INTEGER;

CREATE TRIGGER feed_energy_5m_insert AFTER INSERT ON energy_5m BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE energy_5m SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE inverter_id = NEW.inverter_id AND bucket_start = NEW.bucket_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.bucket_start), hi = MAX(hi, NEW.bucket_start)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 9 AND device_id = NEW.inverter_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 9, NEW.inverter_id, NEW.bucket_start, NEW.bucket_start, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_energy_5m_update AFTER UPDATE ON energy_5m WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE energy_5m SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE inverter_id = NEW.inverter_id AND bucket_start = NEW.bucket_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.bucket_start), hi = MAX(hi, NEW.bucket_start)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 9 AND device_id = NEW.inverter_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 9, NEW.inverter_id, NEW.bucket_start, NEW.bucket_start, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_array_5m_insert AFTER INSERT ON array_5m BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE array_5m SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE array_id = NEW.array_id AND bucket_start = NEW.bucket_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.bucket_start), hi = MAX(hi, NEW.bucket_start)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 10 AND device_id = NEW.array_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 10, NEW.array_id, NEW.bucket_start, NEW.bucket_start, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_array_5m_update AFTER UPDATE ON array_5m WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE array_5m SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE array_id = NEW.array_id AND bucket_start = NEW.bucket_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.bucket_start), hi = MAX(hi, NEW.bucket_start)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 10 AND device_id = NEW.array_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 10, NEW.array_id, NEW.bucket_start, NEW.bucket_start, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_system_5m_insert AFTER INSERT ON system_5m BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE system_5m SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE system_id = NEW.system_id AND bucket_start = NEW.bucket_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.bucket_start), hi = MAX(hi, NEW.bucket_start)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 11 AND device_id = NEW.system_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 11, NEW.system_id, NEW.bucket_start, NEW.bucket_start, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_system_5m_update AFTER UPDATE ON system_5m WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE system_5m SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE system_id = NEW.system_id AND bucket_start = NEW.bucket_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.bucket_start), hi = MAX(hi, NEW.bucket_start)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 11 AND device_id = NEW.system_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 11, NEW.system_id, NEW.bucket_start, NEW.bucket_start, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_meter_5m_insert AFTER INSERT ON meter_5m BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE meter_5m SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE meter_id = NEW.meter_id AND bucket_start = NEW.bucket_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.bucket_start), hi = MAX(hi, NEW.bucket_start)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 12 AND device_id = NEW.meter_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 12, NEW.meter_id, NEW.bucket_start, NEW.bucket_start, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_meter_5m_update AFTER UPDATE ON meter_5m WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE meter_5m SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE meter_id = NEW.meter_id AND bucket_start = NEW.bucket_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.bucket_start), hi = MAX(hi, NEW.bucket_start)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 12 AND device_id = NEW.meter_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 12, NEW.meter_id, NEW.bucket_start, NEW.bucket_start, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_meter_30m_insert AFTER INSERT ON meter_30m BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE meter_30m SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE meter_id = NEW.meter_id AND bucket_start = NEW.bucket_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.bucket_start), hi = MAX(hi, NEW.bucket_start)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 13 AND device_id = NEW.meter_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 13, NEW.meter_id, NEW.bucket_start, NEW.bucket_start, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_meter_30m_update AFTER UPDATE ON meter_30m WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE meter_30m SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE meter_id = NEW.meter_id AND bucket_start = NEW.bucket_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.bucket_start), hi = MAX(hi, NEW.bucket_start)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 13 AND device_id = NEW.meter_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 13, NEW.meter_id, NEW.bucket_start, NEW.bucket_start, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_battery_bank_5m_insert AFTER INSERT ON battery_bank_5m BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE battery_bank_5m SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE pack_id = NEW.pack_id AND bucket_start = NEW.bucket_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.bucket_start), hi = MAX(hi, NEW.bucket_start)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 14 AND device_id = NEW.pack_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 14, NEW.pack_id, NEW.bucket_start, NEW.bucket_start, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_battery_bank_5m_update AFTER UPDATE ON battery_bank_5m WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE battery_bank_5m SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE pack_id = NEW.pack_id AND bucket_start = NEW.bucket_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.bucket_start), hi = MAX(hi, NEW.bucket_start)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 14 AND device_id = NEW.pack_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 14, NEW.pack_id, NEW.bucket_start, NEW.bucket_start, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_hourly_energy_insert AFTER INSERT ON hourly_energy BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE hourly_energy SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE inverter_id = NEW.inverter_id AND date = NEW.date AND hour_start = NEW.hour_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 15 AND device_id = NEW.inverter_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 15, NEW.inverter_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_hourly_energy_update AFTER UPDATE ON hourly_energy WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE hourly_energy SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE inverter_id = NEW.inverter_id AND date = NEW.date AND hour_start = NEW.hour_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 15 AND device_id = NEW.inverter_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 15, NEW.inverter_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_array_hourly_energy_insert AFTER INSERT ON array_hourly_energy BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE array_hourly_energy SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE array_id = NEW.array_id AND date = NEW.date AND hour_start = NEW.hour_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 16 AND device_id = NEW.array_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 16, NEW.array_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_array_hourly_energy_update AFTER UPDATE ON array_hourly_energy WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE array_hourly_energy SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE array_id = NEW.array_id AND date = NEW.date AND hour_start = NEW.hour_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 16 AND device_id = NEW.array_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 16, NEW.array_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_system_hourly_energy_insert AFTER INSERT ON system_hourly_energy BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE system_hourly_energy SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE system_id = NEW.system_id AND date = NEW.date AND hour_start = NEW.hour_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 17 AND device_id = NEW.system_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 17, NEW.system_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_system_hourly_energy_update AFTER UPDATE ON system_hourly_energy WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE system_hourly_energy SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE system_id = NEW.system_id AND date = NEW.date AND hour_start = NEW.hour_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 17 AND device_id = NEW.system_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 17, NEW.system_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_meter_hourly_energy_insert AFTER INSERT ON meter_hourly_energy BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE meter_hourly_energy SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE meter_id = NEW.meter_id AND date = NEW.date AND hour_start = NEW.hour_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 18 AND device_id = NEW.meter_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 18, NEW.meter_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_meter_hourly_energy_update AFTER UPDATE ON meter_hourly_energy WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE meter_hourly_energy SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE meter_id = NEW.meter_id AND date = NEW.date AND hour_start = NEW.hour_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 18 AND device_id = NEW.meter_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 18, NEW.meter_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_battery_bank_hourly_insert AFTER INSERT ON battery_bank_hourly BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE battery_bank_hourly SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE pack_id = NEW.pack_id AND date = NEW.date AND hour_start = NEW.hour_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 19 AND device_id = NEW.pack_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 19, NEW.pack_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_battery_bank_hourly_update AFTER UPDATE ON battery_bank_hourly WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE battery_bank_hourly SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE pack_id = NEW.pack_id AND date = NEW.date AND hour_start = NEW.hour_start;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 19 AND device_id = NEW.pack_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 19, NEW.pack_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_daily_summary_insert AFTER INSERT ON daily_summary BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE daily_summary SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE date = NEW.date AND inverter_id = NEW.inverter_id;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 20 AND device_id = NEW.inverter_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 20, NEW.inverter_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_daily_summary_update AFTER UPDATE ON daily_summary WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE daily_summary SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE date = NEW.date AND inverter_id = NEW.inverter_id;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 20 AND device_id = NEW.inverter_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 20, NEW.inverter_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_array_daily_summary_insert AFTER INSERT ON array_daily_summary BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE array_daily_summary SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE date = NEW.date AND array_id = NEW.array_id;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 21 AND device_id = NEW.array_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 21, NEW.array_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_array_daily_summary_update AFTER UPDATE ON array_daily_summary WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE array_daily_summary SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE date = NEW.date AND array_id = NEW.array_id;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 21 AND device_id = NEW.array_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 21, NEW.array_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_system_daily_summary_insert AFTER INSERT ON system_daily_summary BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE system_daily_summary SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE date = NEW.date AND system_id = NEW.system_id;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 22 AND device_id = NEW.system_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 22, NEW.system_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_system_daily_summary_update AFTER UPDATE ON system_daily_summary WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE system_daily_summary SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE date = NEW.date AND system_id = NEW.system_id;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 22 AND device_id = NEW.system_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 22, NEW.system_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_meter_daily_insert AFTER INSERT ON meter_daily BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE meter_daily SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE day = NEW.day AND meter_id = NEW.meter_id;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.day), hi = MAX(hi, NEW.day)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 23 AND device_id = NEW.meter_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 23, NEW.meter_id, NEW.day, NEW.day, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_meter_daily_update AFTER UPDATE ON meter_daily WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE meter_daily SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE day = NEW.day AND meter_id = NEW.meter_id;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.day), hi = MAX(hi, NEW.day)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 23 AND device_id = NEW.meter_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 23, NEW.meter_id, NEW.day, NEW.day, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_battery_bank_daily_insert AFTER INSERT ON battery_bank_daily BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE battery_bank_daily SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE date = NEW.date AND pack_id = NEW.pack_id;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 24 AND device_id = NEW.pack_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 24, NEW.pack_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;

CREATE TRIGGER feed_battery_bank_daily_update AFTER UPDATE ON battery_bank_daily WHEN NEW.seq IS OLD.seq BEGIN
    UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'sync_feed';
    UPDATE battery_bank_daily SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed') WHERE date = NEW.date AND pack_id = NEW.pack_id;
    UPDATE feed_spans SET seq = seq + 1, lo = MIN(lo, NEW.date), hi = MAX(hi, NEW.date)
    WHERE seq = (SELECT seq - 1 FROM sqlite_sequence WHERE name = 'sync_feed') AND tid = 24 AND device_id = NEW.pack_id;
    INSERT INTO feed_spans (seq, seq_from, tid, device_id, lo, hi, ts)
    SELECT seq, seq, 24, NEW.pack_id, NEW.date, NEW.date, CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM sqlite_sequence
    WHERE name = 'sync_feed' AND changes() = 0;
END;
