"""The reference headend's database schema, in one place (its own SQLite file, nothing shared with the appliance)."""

from __future__ import annotations

#: Columns added after a table's first release: (table, column, declaration), added on open when missing.
ADDED_COLUMNS = (("appliances", "flush_interval_s", "REAL"),)
#: Applied on every open: each statement is idempotent (IF NOT EXISTS), so a new file and an old one agree.
SCHEMA = """
CREATE TABLE IF NOT EXISTS appliances (
    device_id TEXT PRIMARY KEY,
    hardware_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    device_type TEXT NOT NULL,
    appliance_id TEXT,
    firmware_version TEXT,
    ip_address TEXT,
    location TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    last_seen INTEGER,
    heartbeats INTEGER NOT NULL DEFAULT 0,
    backlog INTEGER,
    flush_interval_s REAL
);
CREATE TABLE IF NOT EXISTS batches (
    appliance_id TEXT NOT NULL,
    cursor_from TEXT NOT NULL,
    cursor_to TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    PRIMARY KEY (appliance_id, cursor_from, cursor_to)
);
CREATE TABLE IF NOT EXISTS rows (
    appliance_id TEXT NOT NULL,
    tbl TEXT NOT NULL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    op TEXT NOT NULL,
    changed_at INTEGER,
    row TEXT,
    device_id TEXT,
    ts INTEGER,
    versions INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (appliance_id, tbl, key)
);
CREATE INDEX IF NOT EXISTS idx_rows_device_ts ON rows(device_id, ts);
CREATE TABLE IF NOT EXISTS cursors (
    appliance_id TEXT PRIMARY KEY,
    cursor TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS commands (
    id TEXT PRIMARY KEY,
    appliance_id TEXT NOT NULL,
    type TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    acked_at INTEGER,
    outcome TEXT
);
CREATE TABLE IF NOT EXISTS stats (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

#: Feed row kinds whose key names a device and a sample time (indexed for the newest sample of an asset).
SAMPLE_KINDS = ("sample",)
#: Registry kinds the headend shows as assets (GET /assets, /agents, /telemetry, dispatch targets).
ASSET_KINDS = ("inverter", "battery_pack", "meter", "bess")
