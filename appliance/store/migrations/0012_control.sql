-- Migration 12: control of the home's own inverter and batteries (issue 11; docs/control.md).

-- One source controls a device at a time (the local UI, the API or headend dispatch, the schedule, MQTT),
-- until its lease expires; another source is refused unless it takes over explicitly.
CREATE TABLE control_leases (
    device_id TEXT PRIMARY KEY,
    source TEXT NOT NULL CHECK (source IN ('ui', 'api', 'schedule', 'mqtt')),
    holder TEXT NOT NULL,  -- who within the source: the UI user, the API token's name, 'headend'
    acquired_at INTEGER NOT NULL,  -- epoch ms
    expires_at INTEGER NOT NULL,  -- epoch ms
    FOREIGN KEY (device_id) REFERENCES device_registry(device_id) ON DELETE CASCADE
);

-- Every lease change, every write (registers before, written, read back; who asked) and every refusal.
-- Append-only; the sync feed carries it, and alerts read it by kind (appliance/control/audit.py lists the
-- kinds: write_mismatch and budget_exhausted among them). No foreign key: the record outlives a device.
CREATE TABLE control_audit (
    audit_id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,  -- epoch ms
    device_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT,
    holder TEXT,
    message TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'  -- JSON
);
CREATE INDEX idx_control_audit_device ON control_audit(device_id, audit_id);
CREATE INDEX idx_control_audit_kind ON control_audit(kind, audit_id);

-- Register writes per device and day (the system's time zone): the EEPROM budget survives a restart.
CREATE TABLE control_write_budget (
    device_id TEXT NOT NULL,
    day TEXT NOT NULL,  -- YYYY-MM-DD
    writes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, day)
) WITHOUT ROWID;

-- The owner's program, kept from before the first setpoint write until the setpoint ends and it is
-- written back exactly.
CREATE TABLE control_snapshots (
    device_id TEXT PRIMARY KEY,
    taken_at INTEGER NOT NULL,  -- epoch ms
    registers TEXT NOT NULL,  -- JSON {address: word} of every settings register
    program TEXT NOT NULL,  -- JSON: the same, decoded
    FOREIGN KEY (device_id) REFERENCES device_registry(device_id) ON DELETE CASCADE
);

-- The program last read from a device, and its last control error (a mismatch stays shown until a write
-- reads back right).
CREATE TABLE control_state (
    device_id TEXT PRIMARY KEY,
    registers TEXT,  -- JSON {address: word}
    program TEXT,  -- JSON
    read_at INTEGER,  -- epoch ms
    last_error TEXT,
    last_error_at INTEGER,  -- epoch ms
    FOREIGN KEY (device_id) REFERENCES device_registry(device_id) ON DELETE CASCADE
);

-- A setpoint that ended with no standing one to return to releases the device (a program device gets its
-- snapshot back); the source whose setpoint it is holds the lease.
ALTER TABLE setpoint_state ADD COLUMN released INTEGER NOT NULL DEFAULT 0;
ALTER TABLE setpoint_state ADD COLUMN control_source TEXT NOT NULL DEFAULT 'api';

INSERT INTO sync_tables (tid, name, kind, key_columns) VALUES (45, 'control_audit', 'dispatch', '["audit_id"]');

CREATE TRIGGER sync_control_audit_insert AFTER INSERT ON control_audit BEGIN
    INSERT INTO sync_feed (tid, key, op, ts) VALUES (45, json_array(NEW.audit_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER));
END;
