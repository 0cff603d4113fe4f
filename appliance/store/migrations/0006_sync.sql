-- Migration 6: the headend sync feed (appliance/sync/feed.py, docs/headend.md).
-- One global, monotonic sequence over every change a headend needs. Triggers append a change to
-- sync_feed inside the writing transaction, whatever code writes (the sample writer, rollups, the
-- catalog), so SQLite's one-writer-at-a-time makes seq order the commit order. One entry per row key:
-- a rewritten row drops its old entry and gets a new seq, so a client following the cursor sees each
-- row once, in its latest version. Generated from the schema of migrations 1-5; frozen once shipped.

-- The push client's stored cursor, registration and pending command acks; the feed's id and horizon.
CREATE TABLE sync_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,  -- JSON
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
-- feed.id: changes when the feed starts over (a new database), so an old cursor is refused.
-- feed.horizon: every change with seq <= horizon has been pruned; older cursors get 410.
INSERT INTO sync_state (key, value) VALUES ('feed.id', '"' || lower(hex(randomblob(6))) || '"'),
                                           ('feed.horizon', '0');

-- The tables the feed carries: their number in sync_feed, kind and primary key (JSON list).
CREATE TABLE sync_tables (
    tid INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('sample', 'rollup', 'catalog', 'registry', 'dispatch')),
    key_columns TEXT NOT NULL
);

-- AUTOINCREMENT: a seq is never reused, even when the newest entry is replaced or pruned.
CREATE TABLE sync_feed (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tid INTEGER NOT NULL REFERENCES sync_tables(tid),
    key TEXT NOT NULL,  -- JSON list of the row's primary key values
    op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    ts INTEGER NOT NULL  -- epoch ms of the change; grows with seq (no index: each one costs the writer)
);
CREATE UNIQUE INDEX idx_sync_feed_key ON sync_feed(tid, key);

INSERT INTO sync_tables (tid, name, kind, key_columns) VALUES
    (1, 'energy_samples', 'sample', '["inverter_id", "ts"]'),
    (2, 'array_samples', 'sample', '["array_id", "ts"]'),
    (3, 'battery_bank_samples', 'sample', '["pack_id", "ts"]'),
    (4, 'battery_unit_samples', 'sample', '["battery_id", "ts"]'),
    (5, 'battery_cell_samples', 'sample', '["cell_id", "ts"]'),
    (6, 'meter_samples', 'sample', '["meter_id", "ts"]'),
    (7, 'device_health', 'sample', '["device_id", "ts"]'),
    (8, 'device_metrics', 'sample', '["device_id", "name", "ts"]'),
    (9, 'energy_5m', 'rollup', '["inverter_id", "bucket_start"]'),
    (10, 'array_5m', 'rollup', '["array_id", "bucket_start"]'),
    (11, 'system_5m', 'rollup', '["system_id", "bucket_start"]'),
    (12, 'meter_5m', 'rollup', '["meter_id", "bucket_start"]'),
    (13, 'meter_30m', 'rollup', '["meter_id", "bucket_start"]'),
    (14, 'battery_bank_5m', 'rollup', '["pack_id", "bucket_start"]'),
    (15, 'hourly_energy', 'rollup', '["inverter_id", "date", "hour_start"]'),
    (16, 'array_hourly_energy', 'rollup', '["array_id", "date", "hour_start"]'),
    (17, 'system_hourly_energy', 'rollup', '["system_id", "date", "hour_start"]'),
    (18, 'meter_hourly_energy', 'rollup', '["meter_id", "date", "hour_start"]'),
    (19, 'battery_bank_hourly', 'rollup', '["pack_id", "date", "hour_start"]'),
    (20, 'daily_summary', 'rollup', '["date", "inverter_id"]'),
    (21, 'array_daily_summary', 'rollup', '["date", "array_id"]'),
    (22, 'system_daily_summary', 'rollup', '["date", "system_id"]'),
    (23, 'meter_daily', 'rollup', '["day", "meter_id"]'),
    (24, 'battery_bank_daily', 'rollup', '["date", "pack_id"]'),
    (25, 'systems', 'catalog', '["system_id"]'),
    (26, 'arrays', 'catalog', '["array_id"]'),
    (27, 'inverters', 'catalog', '["inverter_id"]'),
    (28, 'battery_arrays', 'catalog', '["battery_array_id"]'),
    (29, 'battery_packs', 'catalog', '["pack_id"]'),
    (30, 'batteries', 'catalog', '["battery_id"]'),
    (31, 'battery_cells', 'catalog', '["cell_id"]'),
    (32, 'battery_array_attachments', 'catalog', '["battery_array_id", "attached_since"]'),
    (33, 'battery_pack_attachments', 'catalog', '["pack_id", "attached_since"]'),
    (34, 'meters', 'catalog', '["meter_id"]'),
    (35, 'adapter_base', 'catalog', '["adapter_type"]'),
    (36, 'adapters', 'catalog', '["adapter_id"]'),
    (37, 'battery_pack_adapters', 'catalog', '["pack_id", "adapter_id"]'),
    (38, 'device_registry', 'registry', '["device_id"]'),
    (39, 'device_discovery', 'registry', '["device_id"]'),
    (40, 'device_groups', 'registry', '["group_id"]'),
    (41, 'device_group_members', 'registry', '["group_id", "device_id"]'),
    (42, 'market_data_types', 'registry', '["type_id"]'),
    (43, 'market_data', 'registry', '["id"]'),
    (44, 'dispatch_log', 'dispatch', '["dispatch_id"]');

-- Samples and rollups log inserts and updates only: retention deletes are local housekeeping (the
-- headend keeps its own history), and a rollup recompute deletes then re-inserts its rows. Catalog,
-- registry and dispatch rows also log deletes, so a headend can drop them.

CREATE TRIGGER sync_energy_samples_insert AFTER INSERT ON energy_samples BEGIN
    DELETE FROM sync_feed WHERE tid = 1 AND key = json_array(NEW.inverter_id, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (1, json_array(NEW.inverter_id, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_energy_samples_update AFTER UPDATE ON energy_samples BEGIN
    DELETE FROM sync_feed WHERE tid = 1 AND key = json_array(NEW.inverter_id, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (1, json_array(NEW.inverter_id, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_array_samples_insert AFTER INSERT ON array_samples BEGIN
    DELETE FROM sync_feed WHERE tid = 2 AND key = json_array(NEW.array_id, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (2, json_array(NEW.array_id, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_array_samples_update AFTER UPDATE ON array_samples BEGIN
    DELETE FROM sync_feed WHERE tid = 2 AND key = json_array(NEW.array_id, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (2, json_array(NEW.array_id, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_bank_samples_insert AFTER INSERT ON battery_bank_samples BEGIN
    DELETE FROM sync_feed WHERE tid = 3 AND key = json_array(NEW.pack_id, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (3, json_array(NEW.pack_id, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_bank_samples_update AFTER UPDATE ON battery_bank_samples BEGIN
    DELETE FROM sync_feed WHERE tid = 3 AND key = json_array(NEW.pack_id, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (3, json_array(NEW.pack_id, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_unit_samples_insert AFTER INSERT ON battery_unit_samples BEGIN
    DELETE FROM sync_feed WHERE tid = 4 AND key = json_array(NEW.battery_id, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (4, json_array(NEW.battery_id, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_unit_samples_update AFTER UPDATE ON battery_unit_samples BEGIN
    DELETE FROM sync_feed WHERE tid = 4 AND key = json_array(NEW.battery_id, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (4, json_array(NEW.battery_id, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_cell_samples_insert AFTER INSERT ON battery_cell_samples BEGIN
    DELETE FROM sync_feed WHERE tid = 5 AND key = json_array(NEW.cell_id, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (5, json_array(NEW.cell_id, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_cell_samples_update AFTER UPDATE ON battery_cell_samples BEGIN
    DELETE FROM sync_feed WHERE tid = 5 AND key = json_array(NEW.cell_id, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (5, json_array(NEW.cell_id, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_meter_samples_insert AFTER INSERT ON meter_samples BEGIN
    DELETE FROM sync_feed WHERE tid = 6 AND key = json_array(NEW.meter_id, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (6, json_array(NEW.meter_id, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_meter_samples_update AFTER UPDATE ON meter_samples BEGIN
    DELETE FROM sync_feed WHERE tid = 6 AND key = json_array(NEW.meter_id, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (6, json_array(NEW.meter_id, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_health_insert AFTER INSERT ON device_health BEGIN
    DELETE FROM sync_feed WHERE tid = 7 AND key = json_array(NEW.device_id, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (7, json_array(NEW.device_id, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_health_update AFTER UPDATE ON device_health BEGIN
    DELETE FROM sync_feed WHERE tid = 7 AND key = json_array(NEW.device_id, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (7, json_array(NEW.device_id, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_metrics_insert AFTER INSERT ON device_metrics BEGIN
    DELETE FROM sync_feed WHERE tid = 8 AND key = json_array(NEW.device_id, NEW.name, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (8, json_array(NEW.device_id, NEW.name, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_metrics_update AFTER UPDATE ON device_metrics BEGIN
    DELETE FROM sync_feed WHERE tid = 8 AND key = json_array(NEW.device_id, NEW.name, NEW.ts);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (8, json_array(NEW.device_id, NEW.name, NEW.ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_energy_5m_insert AFTER INSERT ON energy_5m BEGIN
    DELETE FROM sync_feed WHERE tid = 9 AND key = json_array(NEW.inverter_id, NEW.bucket_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (9, json_array(NEW.inverter_id, NEW.bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_energy_5m_update AFTER UPDATE ON energy_5m BEGIN
    DELETE FROM sync_feed WHERE tid = 9 AND key = json_array(NEW.inverter_id, NEW.bucket_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (9, json_array(NEW.inverter_id, NEW.bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_array_5m_insert AFTER INSERT ON array_5m BEGIN
    DELETE FROM sync_feed WHERE tid = 10 AND key = json_array(NEW.array_id, NEW.bucket_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (10, json_array(NEW.array_id, NEW.bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_array_5m_update AFTER UPDATE ON array_5m BEGIN
    DELETE FROM sync_feed WHERE tid = 10 AND key = json_array(NEW.array_id, NEW.bucket_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (10, json_array(NEW.array_id, NEW.bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_system_5m_insert AFTER INSERT ON system_5m BEGIN
    DELETE FROM sync_feed WHERE tid = 11 AND key = json_array(NEW.system_id, NEW.bucket_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (11, json_array(NEW.system_id, NEW.bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_system_5m_update AFTER UPDATE ON system_5m BEGIN
    DELETE FROM sync_feed WHERE tid = 11 AND key = json_array(NEW.system_id, NEW.bucket_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (11, json_array(NEW.system_id, NEW.bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_meter_5m_insert AFTER INSERT ON meter_5m BEGIN
    DELETE FROM sync_feed WHERE tid = 12 AND key = json_array(NEW.meter_id, NEW.bucket_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (12, json_array(NEW.meter_id, NEW.bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_meter_5m_update AFTER UPDATE ON meter_5m BEGIN
    DELETE FROM sync_feed WHERE tid = 12 AND key = json_array(NEW.meter_id, NEW.bucket_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (12, json_array(NEW.meter_id, NEW.bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_meter_30m_insert AFTER INSERT ON meter_30m BEGIN
    DELETE FROM sync_feed WHERE tid = 13 AND key = json_array(NEW.meter_id, NEW.bucket_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (13, json_array(NEW.meter_id, NEW.bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_meter_30m_update AFTER UPDATE ON meter_30m BEGIN
    DELETE FROM sync_feed WHERE tid = 13 AND key = json_array(NEW.meter_id, NEW.bucket_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (13, json_array(NEW.meter_id, NEW.bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_bank_5m_insert AFTER INSERT ON battery_bank_5m BEGIN
    DELETE FROM sync_feed WHERE tid = 14 AND key = json_array(NEW.pack_id, NEW.bucket_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (14, json_array(NEW.pack_id, NEW.bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_bank_5m_update AFTER UPDATE ON battery_bank_5m BEGIN
    DELETE FROM sync_feed WHERE tid = 14 AND key = json_array(NEW.pack_id, NEW.bucket_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (14, json_array(NEW.pack_id, NEW.bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_hourly_energy_insert AFTER INSERT ON hourly_energy BEGIN
    DELETE FROM sync_feed WHERE tid = 15 AND key = json_array(NEW.inverter_id, NEW.date, NEW.hour_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (15, json_array(NEW.inverter_id, NEW.date, NEW.hour_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_hourly_energy_update AFTER UPDATE ON hourly_energy BEGIN
    DELETE FROM sync_feed WHERE tid = 15 AND key = json_array(NEW.inverter_id, NEW.date, NEW.hour_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (15, json_array(NEW.inverter_id, NEW.date, NEW.hour_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_array_hourly_energy_insert AFTER INSERT ON array_hourly_energy BEGIN
    DELETE FROM sync_feed WHERE tid = 16 AND key = json_array(NEW.array_id, NEW.date, NEW.hour_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (16, json_array(NEW.array_id, NEW.date, NEW.hour_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_array_hourly_energy_update AFTER UPDATE ON array_hourly_energy BEGIN
    DELETE FROM sync_feed WHERE tid = 16 AND key = json_array(NEW.array_id, NEW.date, NEW.hour_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (16, json_array(NEW.array_id, NEW.date, NEW.hour_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_system_hourly_energy_insert AFTER INSERT ON system_hourly_energy BEGIN
    DELETE FROM sync_feed WHERE tid = 17 AND key = json_array(NEW.system_id, NEW.date, NEW.hour_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (17, json_array(NEW.system_id, NEW.date, NEW.hour_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_system_hourly_energy_update AFTER UPDATE ON system_hourly_energy BEGIN
    DELETE FROM sync_feed WHERE tid = 17 AND key = json_array(NEW.system_id, NEW.date, NEW.hour_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (17, json_array(NEW.system_id, NEW.date, NEW.hour_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_meter_hourly_energy_insert AFTER INSERT ON meter_hourly_energy BEGIN
    DELETE FROM sync_feed WHERE tid = 18 AND key = json_array(NEW.meter_id, NEW.date, NEW.hour_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (18, json_array(NEW.meter_id, NEW.date, NEW.hour_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_meter_hourly_energy_update AFTER UPDATE ON meter_hourly_energy BEGIN
    DELETE FROM sync_feed WHERE tid = 18 AND key = json_array(NEW.meter_id, NEW.date, NEW.hour_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (18, json_array(NEW.meter_id, NEW.date, NEW.hour_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_bank_hourly_insert AFTER INSERT ON battery_bank_hourly BEGIN
    DELETE FROM sync_feed WHERE tid = 19 AND key = json_array(NEW.pack_id, NEW.date, NEW.hour_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (19, json_array(NEW.pack_id, NEW.date, NEW.hour_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_bank_hourly_update AFTER UPDATE ON battery_bank_hourly BEGIN
    DELETE FROM sync_feed WHERE tid = 19 AND key = json_array(NEW.pack_id, NEW.date, NEW.hour_start);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (19, json_array(NEW.pack_id, NEW.date, NEW.hour_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_daily_summary_insert AFTER INSERT ON daily_summary BEGIN
    DELETE FROM sync_feed WHERE tid = 20 AND key = json_array(NEW.date, NEW.inverter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (20, json_array(NEW.date, NEW.inverter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_daily_summary_update AFTER UPDATE ON daily_summary BEGIN
    DELETE FROM sync_feed WHERE tid = 20 AND key = json_array(NEW.date, NEW.inverter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (20, json_array(NEW.date, NEW.inverter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_array_daily_summary_insert AFTER INSERT ON array_daily_summary BEGIN
    DELETE FROM sync_feed WHERE tid = 21 AND key = json_array(NEW.date, NEW.array_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (21, json_array(NEW.date, NEW.array_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_array_daily_summary_update AFTER UPDATE ON array_daily_summary BEGIN
    DELETE FROM sync_feed WHERE tid = 21 AND key = json_array(NEW.date, NEW.array_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (21, json_array(NEW.date, NEW.array_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_system_daily_summary_insert AFTER INSERT ON system_daily_summary BEGIN
    DELETE FROM sync_feed WHERE tid = 22 AND key = json_array(NEW.date, NEW.system_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (22, json_array(NEW.date, NEW.system_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_system_daily_summary_update AFTER UPDATE ON system_daily_summary BEGIN
    DELETE FROM sync_feed WHERE tid = 22 AND key = json_array(NEW.date, NEW.system_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (22, json_array(NEW.date, NEW.system_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_meter_daily_insert AFTER INSERT ON meter_daily BEGIN
    DELETE FROM sync_feed WHERE tid = 23 AND key = json_array(NEW.day, NEW.meter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (23, json_array(NEW.day, NEW.meter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_meter_daily_update AFTER UPDATE ON meter_daily BEGIN
    DELETE FROM sync_feed WHERE tid = 23 AND key = json_array(NEW.day, NEW.meter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (23, json_array(NEW.day, NEW.meter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_bank_daily_insert AFTER INSERT ON battery_bank_daily BEGIN
    DELETE FROM sync_feed WHERE tid = 24 AND key = json_array(NEW.date, NEW.pack_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (24, json_array(NEW.date, NEW.pack_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_bank_daily_update AFTER UPDATE ON battery_bank_daily BEGIN
    DELETE FROM sync_feed WHERE tid = 24 AND key = json_array(NEW.date, NEW.pack_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (24, json_array(NEW.date, NEW.pack_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_systems_insert AFTER INSERT ON systems BEGIN
    DELETE FROM sync_feed WHERE tid = 25 AND key = json_array(NEW.system_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (25, json_array(NEW.system_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_systems_update AFTER UPDATE ON systems BEGIN
    DELETE FROM sync_feed WHERE tid = 25 AND key = json_array(OLD.system_id) AND json_array(OLD.system_id) <> json_array(NEW.system_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 25, json_array(OLD.system_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.system_id) <> json_array(NEW.system_id);
    DELETE FROM sync_feed WHERE tid = 25 AND key = json_array(NEW.system_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (25, json_array(NEW.system_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_systems_delete AFTER DELETE ON systems BEGIN
    DELETE FROM sync_feed WHERE tid = 25 AND key = json_array(OLD.system_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (25, json_array(OLD.system_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_arrays_insert AFTER INSERT ON arrays BEGIN
    DELETE FROM sync_feed WHERE tid = 26 AND key = json_array(NEW.array_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (26, json_array(NEW.array_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_arrays_update AFTER UPDATE ON arrays BEGIN
    DELETE FROM sync_feed WHERE tid = 26 AND key = json_array(OLD.array_id) AND json_array(OLD.array_id) <> json_array(NEW.array_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 26, json_array(OLD.array_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.array_id) <> json_array(NEW.array_id);
    DELETE FROM sync_feed WHERE tid = 26 AND key = json_array(NEW.array_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (26, json_array(NEW.array_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_arrays_delete AFTER DELETE ON arrays BEGIN
    DELETE FROM sync_feed WHERE tid = 26 AND key = json_array(OLD.array_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (26, json_array(OLD.array_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_inverters_insert AFTER INSERT ON inverters BEGIN
    DELETE FROM sync_feed WHERE tid = 27 AND key = json_array(NEW.inverter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (27, json_array(NEW.inverter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_inverters_update AFTER UPDATE ON inverters BEGIN
    DELETE FROM sync_feed WHERE tid = 27 AND key = json_array(OLD.inverter_id) AND json_array(OLD.inverter_id) <> json_array(NEW.inverter_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 27, json_array(OLD.inverter_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.inverter_id) <> json_array(NEW.inverter_id);
    DELETE FROM sync_feed WHERE tid = 27 AND key = json_array(NEW.inverter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (27, json_array(NEW.inverter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_inverters_delete AFTER DELETE ON inverters BEGIN
    DELETE FROM sync_feed WHERE tid = 27 AND key = json_array(OLD.inverter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (27, json_array(OLD.inverter_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_arrays_insert AFTER INSERT ON battery_arrays BEGIN
    DELETE FROM sync_feed WHERE tid = 28 AND key = json_array(NEW.battery_array_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (28, json_array(NEW.battery_array_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_arrays_update AFTER UPDATE ON battery_arrays BEGIN
    DELETE FROM sync_feed WHERE tid = 28 AND key = json_array(OLD.battery_array_id) AND json_array(OLD.battery_array_id) <> json_array(NEW.battery_array_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 28, json_array(OLD.battery_array_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.battery_array_id) <> json_array(NEW.battery_array_id);
    DELETE FROM sync_feed WHERE tid = 28 AND key = json_array(NEW.battery_array_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (28, json_array(NEW.battery_array_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_arrays_delete AFTER DELETE ON battery_arrays BEGIN
    DELETE FROM sync_feed WHERE tid = 28 AND key = json_array(OLD.battery_array_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (28, json_array(OLD.battery_array_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_packs_insert AFTER INSERT ON battery_packs BEGIN
    DELETE FROM sync_feed WHERE tid = 29 AND key = json_array(NEW.pack_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (29, json_array(NEW.pack_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_packs_update AFTER UPDATE ON battery_packs BEGIN
    DELETE FROM sync_feed WHERE tid = 29 AND key = json_array(OLD.pack_id) AND json_array(OLD.pack_id) <> json_array(NEW.pack_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 29, json_array(OLD.pack_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.pack_id) <> json_array(NEW.pack_id);
    DELETE FROM sync_feed WHERE tid = 29 AND key = json_array(NEW.pack_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (29, json_array(NEW.pack_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_packs_delete AFTER DELETE ON battery_packs BEGIN
    DELETE FROM sync_feed WHERE tid = 29 AND key = json_array(OLD.pack_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (29, json_array(OLD.pack_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_batteries_insert AFTER INSERT ON batteries BEGIN
    DELETE FROM sync_feed WHERE tid = 30 AND key = json_array(NEW.battery_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (30, json_array(NEW.battery_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_batteries_update AFTER UPDATE ON batteries BEGIN
    DELETE FROM sync_feed WHERE tid = 30 AND key = json_array(OLD.battery_id) AND json_array(OLD.battery_id) <> json_array(NEW.battery_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 30, json_array(OLD.battery_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.battery_id) <> json_array(NEW.battery_id);
    DELETE FROM sync_feed WHERE tid = 30 AND key = json_array(NEW.battery_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (30, json_array(NEW.battery_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_batteries_delete AFTER DELETE ON batteries BEGIN
    DELETE FROM sync_feed WHERE tid = 30 AND key = json_array(OLD.battery_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (30, json_array(OLD.battery_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_cells_insert AFTER INSERT ON battery_cells BEGIN
    DELETE FROM sync_feed WHERE tid = 31 AND key = json_array(NEW.cell_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (31, json_array(NEW.cell_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_cells_update AFTER UPDATE ON battery_cells BEGIN
    DELETE FROM sync_feed WHERE tid = 31 AND key = json_array(OLD.cell_id) AND json_array(OLD.cell_id) <> json_array(NEW.cell_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 31, json_array(OLD.cell_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.cell_id) <> json_array(NEW.cell_id);
    DELETE FROM sync_feed WHERE tid = 31 AND key = json_array(NEW.cell_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (31, json_array(NEW.cell_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_cells_delete AFTER DELETE ON battery_cells BEGIN
    DELETE FROM sync_feed WHERE tid = 31 AND key = json_array(OLD.cell_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (31, json_array(OLD.cell_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_array_attachments_insert AFTER INSERT ON battery_array_attachments BEGIN
    DELETE FROM sync_feed WHERE tid = 32 AND key = json_array(NEW.battery_array_id, NEW.attached_since);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (32, json_array(NEW.battery_array_id, NEW.attached_since), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_array_attachments_update AFTER UPDATE ON battery_array_attachments BEGIN
    DELETE FROM sync_feed WHERE tid = 32 AND key = json_array(OLD.battery_array_id, OLD.attached_since) AND json_array(OLD.battery_array_id, OLD.attached_since) <> json_array(NEW.battery_array_id, NEW.attached_since);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 32, json_array(OLD.battery_array_id, OLD.attached_since), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.battery_array_id, OLD.attached_since) <> json_array(NEW.battery_array_id, NEW.attached_since);
    DELETE FROM sync_feed WHERE tid = 32 AND key = json_array(NEW.battery_array_id, NEW.attached_since);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (32, json_array(NEW.battery_array_id, NEW.attached_since), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_array_attachments_delete AFTER DELETE ON battery_array_attachments BEGIN
    DELETE FROM sync_feed WHERE tid = 32 AND key = json_array(OLD.battery_array_id, OLD.attached_since);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (32, json_array(OLD.battery_array_id, OLD.attached_since), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_pack_attachments_insert AFTER INSERT ON battery_pack_attachments BEGIN
    DELETE FROM sync_feed WHERE tid = 33 AND key = json_array(NEW.pack_id, NEW.attached_since);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (33, json_array(NEW.pack_id, NEW.attached_since), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_pack_attachments_update AFTER UPDATE ON battery_pack_attachments BEGIN
    DELETE FROM sync_feed WHERE tid = 33 AND key = json_array(OLD.pack_id, OLD.attached_since) AND json_array(OLD.pack_id, OLD.attached_since) <> json_array(NEW.pack_id, NEW.attached_since);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 33, json_array(OLD.pack_id, OLD.attached_since), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.pack_id, OLD.attached_since) <> json_array(NEW.pack_id, NEW.attached_since);
    DELETE FROM sync_feed WHERE tid = 33 AND key = json_array(NEW.pack_id, NEW.attached_since);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (33, json_array(NEW.pack_id, NEW.attached_since), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_pack_attachments_delete AFTER DELETE ON battery_pack_attachments BEGIN
    DELETE FROM sync_feed WHERE tid = 33 AND key = json_array(OLD.pack_id, OLD.attached_since);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (33, json_array(OLD.pack_id, OLD.attached_since), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_meters_insert AFTER INSERT ON meters BEGIN
    DELETE FROM sync_feed WHERE tid = 34 AND key = json_array(NEW.meter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (34, json_array(NEW.meter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_meters_update AFTER UPDATE ON meters BEGIN
    DELETE FROM sync_feed WHERE tid = 34 AND key = json_array(OLD.meter_id) AND json_array(OLD.meter_id) <> json_array(NEW.meter_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 34, json_array(OLD.meter_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.meter_id) <> json_array(NEW.meter_id);
    DELETE FROM sync_feed WHERE tid = 34 AND key = json_array(NEW.meter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (34, json_array(NEW.meter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_meters_delete AFTER DELETE ON meters BEGIN
    DELETE FROM sync_feed WHERE tid = 34 AND key = json_array(OLD.meter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (34, json_array(OLD.meter_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_adapter_base_insert AFTER INSERT ON adapter_base BEGIN
    DELETE FROM sync_feed WHERE tid = 35 AND key = json_array(NEW.adapter_type);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (35, json_array(NEW.adapter_type), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_adapter_base_update AFTER UPDATE ON adapter_base BEGIN
    DELETE FROM sync_feed WHERE tid = 35 AND key = json_array(OLD.adapter_type) AND json_array(OLD.adapter_type) <> json_array(NEW.adapter_type);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 35, json_array(OLD.adapter_type), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.adapter_type) <> json_array(NEW.adapter_type);
    DELETE FROM sync_feed WHERE tid = 35 AND key = json_array(NEW.adapter_type);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (35, json_array(NEW.adapter_type), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_adapter_base_delete AFTER DELETE ON adapter_base BEGIN
    DELETE FROM sync_feed WHERE tid = 35 AND key = json_array(OLD.adapter_type);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (35, json_array(OLD.adapter_type), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_adapters_insert AFTER INSERT ON adapters BEGIN
    DELETE FROM sync_feed WHERE tid = 36 AND key = json_array(NEW.adapter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (36, json_array(NEW.adapter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_adapters_update AFTER UPDATE ON adapters BEGIN
    DELETE FROM sync_feed WHERE tid = 36 AND key = json_array(OLD.adapter_id) AND json_array(OLD.adapter_id) <> json_array(NEW.adapter_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 36, json_array(OLD.adapter_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.adapter_id) <> json_array(NEW.adapter_id);
    DELETE FROM sync_feed WHERE tid = 36 AND key = json_array(NEW.adapter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (36, json_array(NEW.adapter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_adapters_delete AFTER DELETE ON adapters BEGIN
    DELETE FROM sync_feed WHERE tid = 36 AND key = json_array(OLD.adapter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (36, json_array(OLD.adapter_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_pack_adapters_insert AFTER INSERT ON battery_pack_adapters BEGIN
    DELETE FROM sync_feed WHERE tid = 37 AND key = json_array(NEW.pack_id, NEW.adapter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (37, json_array(NEW.pack_id, NEW.adapter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_pack_adapters_update AFTER UPDATE ON battery_pack_adapters BEGIN
    DELETE FROM sync_feed WHERE tid = 37 AND key = json_array(OLD.pack_id, OLD.adapter_id) AND json_array(OLD.pack_id, OLD.adapter_id) <> json_array(NEW.pack_id, NEW.adapter_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 37, json_array(OLD.pack_id, OLD.adapter_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.pack_id, OLD.adapter_id) <> json_array(NEW.pack_id, NEW.adapter_id);
    DELETE FROM sync_feed WHERE tid = 37 AND key = json_array(NEW.pack_id, NEW.adapter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (37, json_array(NEW.pack_id, NEW.adapter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_battery_pack_adapters_delete AFTER DELETE ON battery_pack_adapters BEGIN
    DELETE FROM sync_feed WHERE tid = 37 AND key = json_array(OLD.pack_id, OLD.adapter_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (37, json_array(OLD.pack_id, OLD.adapter_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_registry_insert AFTER INSERT ON device_registry BEGIN
    DELETE FROM sync_feed WHERE tid = 38 AND key = json_array(NEW.device_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (38, json_array(NEW.device_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_registry_update AFTER UPDATE ON device_registry BEGIN
    DELETE FROM sync_feed WHERE tid = 38 AND key = json_array(OLD.device_id) AND json_array(OLD.device_id) <> json_array(NEW.device_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 38, json_array(OLD.device_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.device_id) <> json_array(NEW.device_id);
    DELETE FROM sync_feed WHERE tid = 38 AND key = json_array(NEW.device_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (38, json_array(NEW.device_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_registry_delete AFTER DELETE ON device_registry BEGIN
    DELETE FROM sync_feed WHERE tid = 38 AND key = json_array(OLD.device_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (38, json_array(OLD.device_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_discovery_insert AFTER INSERT ON device_discovery BEGIN
    DELETE FROM sync_feed WHERE tid = 39 AND key = json_array(NEW.device_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (39, json_array(NEW.device_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_discovery_update AFTER UPDATE ON device_discovery BEGIN
    DELETE FROM sync_feed WHERE tid = 39 AND key = json_array(OLD.device_id) AND json_array(OLD.device_id) <> json_array(NEW.device_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 39, json_array(OLD.device_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.device_id) <> json_array(NEW.device_id);
    DELETE FROM sync_feed WHERE tid = 39 AND key = json_array(NEW.device_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (39, json_array(NEW.device_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_discovery_delete AFTER DELETE ON device_discovery BEGIN
    DELETE FROM sync_feed WHERE tid = 39 AND key = json_array(OLD.device_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (39, json_array(OLD.device_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_groups_insert AFTER INSERT ON device_groups BEGIN
    DELETE FROM sync_feed WHERE tid = 40 AND key = json_array(NEW.group_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (40, json_array(NEW.group_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_groups_update AFTER UPDATE ON device_groups BEGIN
    DELETE FROM sync_feed WHERE tid = 40 AND key = json_array(OLD.group_id) AND json_array(OLD.group_id) <> json_array(NEW.group_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 40, json_array(OLD.group_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.group_id) <> json_array(NEW.group_id);
    DELETE FROM sync_feed WHERE tid = 40 AND key = json_array(NEW.group_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (40, json_array(NEW.group_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_groups_delete AFTER DELETE ON device_groups BEGIN
    DELETE FROM sync_feed WHERE tid = 40 AND key = json_array(OLD.group_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (40, json_array(OLD.group_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_group_members_insert AFTER INSERT ON device_group_members BEGIN
    DELETE FROM sync_feed WHERE tid = 41 AND key = json_array(NEW.group_id, NEW.device_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (41, json_array(NEW.group_id, NEW.device_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_group_members_update AFTER UPDATE ON device_group_members BEGIN
    DELETE FROM sync_feed WHERE tid = 41 AND key = json_array(OLD.group_id, OLD.device_id) AND json_array(OLD.group_id, OLD.device_id) <> json_array(NEW.group_id, NEW.device_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 41, json_array(OLD.group_id, OLD.device_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.group_id, OLD.device_id) <> json_array(NEW.group_id, NEW.device_id);
    DELETE FROM sync_feed WHERE tid = 41 AND key = json_array(NEW.group_id, NEW.device_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (41, json_array(NEW.group_id, NEW.device_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_device_group_members_delete AFTER DELETE ON device_group_members BEGIN
    DELETE FROM sync_feed WHERE tid = 41 AND key = json_array(OLD.group_id, OLD.device_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (41, json_array(OLD.group_id, OLD.device_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_market_data_types_insert AFTER INSERT ON market_data_types BEGIN
    DELETE FROM sync_feed WHERE tid = 42 AND key = json_array(NEW.type_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (42, json_array(NEW.type_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_market_data_types_update AFTER UPDATE ON market_data_types BEGIN
    DELETE FROM sync_feed WHERE tid = 42 AND key = json_array(OLD.type_id) AND json_array(OLD.type_id) <> json_array(NEW.type_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 42, json_array(OLD.type_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.type_id) <> json_array(NEW.type_id);
    DELETE FROM sync_feed WHERE tid = 42 AND key = json_array(NEW.type_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (42, json_array(NEW.type_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_market_data_types_delete AFTER DELETE ON market_data_types BEGIN
    DELETE FROM sync_feed WHERE tid = 42 AND key = json_array(OLD.type_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (42, json_array(OLD.type_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_market_data_insert AFTER INSERT ON market_data BEGIN
    DELETE FROM sync_feed WHERE tid = 43 AND key = json_array(NEW.id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (43, json_array(NEW.id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_market_data_update AFTER UPDATE ON market_data BEGIN
    DELETE FROM sync_feed WHERE tid = 43 AND key = json_array(OLD.id) AND json_array(OLD.id) <> json_array(NEW.id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 43, json_array(OLD.id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.id) <> json_array(NEW.id);
    DELETE FROM sync_feed WHERE tid = 43 AND key = json_array(NEW.id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (43, json_array(NEW.id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_market_data_delete AFTER DELETE ON market_data BEGIN
    DELETE FROM sync_feed WHERE tid = 43 AND key = json_array(OLD.id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (43, json_array(OLD.id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_dispatch_log_insert AFTER INSERT ON dispatch_log BEGIN
    DELETE FROM sync_feed WHERE tid = 44 AND key = json_array(NEW.dispatch_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (44, json_array(NEW.dispatch_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_dispatch_log_update AFTER UPDATE ON dispatch_log BEGIN
    DELETE FROM sync_feed WHERE tid = 44 AND key = json_array(OLD.dispatch_id) AND json_array(OLD.dispatch_id) <> json_array(NEW.dispatch_id);
    INSERT INTO sync_feed (tid, key, op, ts) SELECT 44, json_array(OLD.dispatch_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) WHERE json_array(OLD.dispatch_id) <> json_array(NEW.dispatch_id);
    DELETE FROM sync_feed WHERE tid = 44 AND key = json_array(NEW.dispatch_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (44, json_array(NEW.dispatch_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_dispatch_log_delete AFTER DELETE ON dispatch_log BEGIN
    DELETE FROM sync_feed WHERE tid = 44 AND key = json_array(OLD.dispatch_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (44, json_array(OLD.dispatch_id), 'delete', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;


-- Rows that exist before this migration enter the feed once, oldest first.

INSERT INTO sync_feed (tid, key, op, ts) SELECT 1, json_array(inverter_id, ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM energy_samples ORDER BY ts;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 2, json_array(array_id, ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM array_samples ORDER BY ts;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 3, json_array(pack_id, ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM battery_bank_samples ORDER BY ts;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 4, json_array(battery_id, ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM battery_unit_samples ORDER BY ts;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 5, json_array(cell_id, ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM battery_cell_samples ORDER BY ts;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 6, json_array(meter_id, ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM meter_samples ORDER BY ts;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 7, json_array(device_id, ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM device_health ORDER BY ts;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 8, json_array(device_id, name, ts), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM device_metrics ORDER BY ts;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 9, json_array(inverter_id, bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM energy_5m ORDER BY inverter_id, bucket_start;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 10, json_array(array_id, bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM array_5m ORDER BY array_id, bucket_start;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 11, json_array(system_id, bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM system_5m ORDER BY system_id, bucket_start;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 12, json_array(meter_id, bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM meter_5m ORDER BY meter_id, bucket_start;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 13, json_array(meter_id, bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM meter_30m ORDER BY meter_id, bucket_start;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 14, json_array(pack_id, bucket_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM battery_bank_5m ORDER BY pack_id, bucket_start;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 15, json_array(inverter_id, date, hour_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM hourly_energy ORDER BY inverter_id, date, hour_start;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 16, json_array(array_id, date, hour_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM array_hourly_energy ORDER BY array_id, date, hour_start;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 17, json_array(system_id, date, hour_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM system_hourly_energy ORDER BY system_id, date, hour_start;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 18, json_array(meter_id, date, hour_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM meter_hourly_energy ORDER BY meter_id, date, hour_start;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 19, json_array(pack_id, date, hour_start), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM battery_bank_hourly ORDER BY pack_id, date, hour_start;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 20, json_array(date, inverter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM daily_summary ORDER BY date, inverter_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 21, json_array(date, array_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM array_daily_summary ORDER BY date, array_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 22, json_array(date, system_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM system_daily_summary ORDER BY date, system_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 23, json_array(day, meter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM meter_daily ORDER BY day, meter_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 24, json_array(date, pack_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM battery_bank_daily ORDER BY date, pack_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 25, json_array(system_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM systems ORDER BY system_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 26, json_array(array_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM arrays ORDER BY array_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 27, json_array(inverter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM inverters ORDER BY inverter_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 28, json_array(battery_array_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM battery_arrays ORDER BY battery_array_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 29, json_array(pack_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM battery_packs ORDER BY pack_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 30, json_array(battery_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM batteries ORDER BY battery_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 31, json_array(cell_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM battery_cells ORDER BY cell_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 32, json_array(battery_array_id, attached_since), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM battery_array_attachments ORDER BY battery_array_id, attached_since;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 33, json_array(pack_id, attached_since), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM battery_pack_attachments ORDER BY pack_id, attached_since;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 34, json_array(meter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM meters ORDER BY meter_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 35, json_array(adapter_type), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM adapter_base ORDER BY adapter_type;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 36, json_array(adapter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM adapters ORDER BY adapter_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 37, json_array(pack_id, adapter_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM battery_pack_adapters ORDER BY pack_id, adapter_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 38, json_array(device_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM device_registry ORDER BY device_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 39, json_array(device_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM device_discovery ORDER BY device_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 40, json_array(group_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM device_groups ORDER BY group_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 41, json_array(group_id, device_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM device_group_members ORDER BY group_id, device_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 42, json_array(type_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM market_data_types ORDER BY type_id;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 43, json_array(id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM market_data ORDER BY ts;
INSERT INTO sync_feed (tid, key, op, ts) SELECT 44, json_array(dispatch_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER) FROM dispatch_log ORDER BY ts;
