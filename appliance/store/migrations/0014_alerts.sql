-- Migration 14: alerts (issue 13; appliance/alerts, appliance/store/alerts.py, docs/decisions.md).
-- One row per alert. A row is written when the alert opens, when it closes, when it is acknowledged
-- and when what it reports changes (a BMS adds an alarm): on change, never per evaluation.

CREATE TABLE alerts (
    alert_id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, even after retention deleted the newest
    kind TEXT NOT NULL,  -- grid_outage, device_offline, cell_imbalance, ... (appliance/alerts/kinds.py)
    -- What the alert is about, unique among the open alerts of a kind: a registry device id for a
    -- device's alerts, a system id for a system's grid, 'appliance' or 'headend' for the box itself.
    subject TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    device_id TEXT,  -- registry device id, when a device is concerned (no foreign key: history outlives it)
    system_id TEXT,
    entity TEXT,  -- the part concerned, in words: 'grid', 'cell 7', 'adapter p1_ble', 'disk'
    message TEXT NOT NULL,  -- in words, for people
    details TEXT NOT NULL DEFAULT '{}',  -- JSON: the figures measured when it opened or last changed
    started_at INTEGER NOT NULL,  -- epoch ms
    ended_at INTEGER,  -- epoch ms; NULL while the alert is active
    acknowledged_at INTEGER,  -- epoch ms
    acknowledged_by TEXT,
    flaps INTEGER NOT NULL DEFAULT 0,  -- times it came back within the flap window and was reopened
    updated_at INTEGER NOT NULL  -- epoch ms of the last change
);
-- One open alert per (kind, subject): raising twice cannot make a second row.
CREATE UNIQUE INDEX idx_alerts_open ON alerts(kind, subject) WHERE ended_at IS NULL;
-- The history by time (the alerts page, ?from=&to=, retention).
CREATE INDEX idx_alerts_started ON alerts(started_at);

-- The sync feed carries alerts like the registry (kind 'registry': durable, re-announced when the
-- feed window moves on, so a headend that starts late still hears of an alert open for months).
-- Retention deletes are local housekeeping and are not logged, as for samples.
INSERT INTO sync_tables (tid, name, kind, key_columns) VALUES (46, 'alerts', 'registry', '["alert_id"]');

CREATE TRIGGER sync_alerts_insert AFTER INSERT ON alerts BEGIN
    DELETE FROM sync_feed WHERE tid = 46 AND key = json_array(NEW.alert_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (46, json_array(NEW.alert_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;

CREATE TRIGGER sync_alerts_update AFTER UPDATE ON alerts BEGIN
    DELETE FROM sync_feed WHERE tid = 46 AND key = json_array(NEW.alert_id);
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (46, json_array(NEW.alert_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;
