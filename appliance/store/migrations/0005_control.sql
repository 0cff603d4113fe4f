-- Migration 5: dispatch and registered-device data (owned by the control/registration work).

-- Every setpoint command and its outcome (the domain document's command_source values:
-- 0 manual, 1-4 controller modes, 5 external dispatch).
CREATE TABLE dispatch_log (
    dispatch_id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,  -- epoch ms
    command_source INTEGER NOT NULL CHECK (command_source BETWEEN 0 AND 5),
    target_kind TEXT NOT NULL CHECK (target_kind IN ('asset', 'system', 'group')),
    target_id TEXT NOT NULL,
    requested_w REAL NOT NULL,  -- + = discharge/export
    placed_w REAL,
    unplaced_w REAL,
    duration_s INTEGER,
    expires_at INTEGER,  -- epoch ms
    outcome TEXT NOT NULL,  -- 'applied', 'partial', 'deferred', 'rejected', 'failed', 'expired'
    shares TEXT NOT NULL DEFAULT '[]',  -- JSON: per-asset share, clamp, applied value
    requested_by TEXT
);
CREATE INDEX idx_dispatch_log_ts ON dispatch_log(ts DESC);

-- The setpoint in force per asset: what was last written, what waits for the rate limit, and
-- when a temporary setpoint ends (so expiry and "write only on change" survive a restart).
CREATE TABLE setpoint_state (
    asset_id TEXT PRIMARY KEY,
    target_w REAL NOT NULL,  -- the setpoint the asset should hold
    applied_w REAL,  -- what the device reported back after the last write
    written_at INTEGER,  -- epoch ms of the last write sent
    pending INTEGER NOT NULL DEFAULT 0,  -- 1: target_w still has to be written (rate limit, failure)
    expires_at INTEGER,  -- epoch ms; NULL = holds until replaced
    revert_w REAL,  -- what the asset returns to on expiry
    command_source INTEGER NOT NULL DEFAULT 0,
    dispatch_id INTEGER,
    last_error TEXT,
    FOREIGN KEY (asset_id) REFERENCES device_registry(device_id) ON DELETE CASCADE
);

-- Heartbeats of devices that register over the API: counted, and counted again when they come
-- faster than every 10 s (accepted, but shown, as the registration document asks).
CREATE TABLE device_heartbeats (
    device_id TEXT PRIMARY KEY,
    heartbeats INTEGER NOT NULL DEFAULT 0,
    too_frequent INTEGER NOT NULL DEFAULT 0,
    last_heartbeat INTEGER,  -- epoch ms
    last_interval_ms INTEGER,
    FOREIGN KEY (device_id) REFERENCES device_registry(device_id) ON DELETE CASCADE
);

-- Named numeric values that registered devices publish, for the device's chart.
CREATE TABLE device_metrics (
    device_id TEXT NOT NULL,
    name TEXT NOT NULL,
    ts INTEGER NOT NULL,  -- epoch ms
    value REAL NOT NULL,
    PRIMARY KEY (device_id, name, ts),
    FOREIGN KEY (device_id) REFERENCES device_registry(device_id) ON DELETE CASCADE
) WITHOUT ROWID;
