-- Migration 11: storage that an SD card survives (issue 14; docs/decisions.md "An SD card that lasts").
-- Frozen once shipped, like every migration. Light on purpose: the big sample tables are not copied.
--
-- 1. The sample tables lose the document's secondary indexes (system_id, ts DESC, array_id): no query
--    uses them (every read is per device, on the primary key; tests/store/test_query_plans.py), and
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

DROP TRIGGER energy_samples_late_insert;
DROP TRIGGER energy_samples_late_update;
DROP TRIGGER meter_samples_late_insert;
DROP TRIGGER meter_samples_late_update;
DROP TRIGGER battery_bank_samples_late_insert;
DROP TRIGGER battery_bank_samples_late_update;

DROP INDEX idx_energy_samples_system_id;
DROP INDEX idx_energy_samples_array_id;
DROP INDEX idx_energy_samples_ts;
DROP INDEX idx_array_samples_system_id;
DROP INDEX idx_array_samples_ts;
DROP INDEX idx_battery_bank_samples_system_id;
DROP INDEX idx_battery_bank_samples_ts;
DROP INDEX idx_battery_unit_samples_system_id;
DROP INDEX idx_battery_unit_samples_ts;
DROP INDEX idx_meter_samples_system_id;
DROP INDEX idx_meter_samples_ts;

DROP TRIGGER sync_energy_samples_insert;
DROP TRIGGER sync_energy_samples_update;
DROP TRIGGER sync_array_samples_insert;
DROP TRIGGER sync_array_samples_update;
DROP TRIGGER sync_battery_bank_samples_insert;
DROP TRIGGER sync_battery_bank_samples_update;
DROP TRIGGER sync_battery_unit_samples_insert;
DROP TRIGGER sync_battery_unit_samples_update;
DROP TRIGGER sync_battery_cell_samples_insert;
DROP TRIGGER sync_battery_cell_samples_update;
DROP TRIGGER sync_meter_samples_insert;
DROP TRIGGER sync_meter_samples_update;

-- NULL for rows written before this migration: the feed finds those through their sync_feed entry.
ALTER TABLE energy_samples ADD COLUMN seq INTEGER;
ALTER TABLE array_samples ADD COLUMN seq INTEGER;
ALTER TABLE battery_bank_samples ADD COLUMN seq INTEGER;
ALTER TABLE battery_unit_samples ADD COLUMN seq INTEGER;
ALTER TABLE meter_samples ADD COLUMN seq INTEGER;

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
    PRIMARY KEY (pack_id, ts),
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
