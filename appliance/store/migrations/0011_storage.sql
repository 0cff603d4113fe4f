-- Migration 11: storage that an SD card survives (issue 14; docs/decisions.md "An SD card that lasts").
-- Frozen once shipped, like every migration. Light on purpose: the big sample tables are not copied.
--
-- 1. The sample tables lose the document's secondary indexes (system_id, ts DESC, array_id): no query
--    uses them (every read is per device, on the primary key; tests/store/test_query_plans.py), and
--    each one cost the writer a page per flush and about 35 bytes per row.
-- 2. The sync feed stops copying every sample: the per-row triggers go. Each sample row carries `seq`,
--    its place in the feed's one global order, and `sample_changes` logs one entry per run of a
--    device's rows per flush (appliance/store/samples.py). Entries of older rows stay in sync_feed;
--    the feed serves them until the row is written again (then its seq is set) or pruned.
-- 3. Cells: one row per pack reading in `battery_cell_readings`, the cells in a versioned blob
--    (appliance/store/cells.py). `battery_cell_samples` becomes a view with the document's columns.
-- 4. `details` of new rows are deflated against a per-device dictionary (appliance/store/details.py).

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

-- The change log of sample rows: rows of `tid` for `device_id` with ts in [ts_lo, ts_hi] and seq in
-- [seq_from, seq]. `seq` (the run's last position) is the key, so entries are appended in order.
CREATE TABLE sample_changes (
    seq INTEGER PRIMARY KEY,
    seq_from INTEGER NOT NULL,
    tid INTEGER NOT NULL,  -- sync_tables.tid (a constant of the writer: no foreign-key lookup per entry)
    device_id TEXT NOT NULL,
    ts_lo INTEGER NOT NULL,
    ts_hi INTEGER NOT NULL,
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
