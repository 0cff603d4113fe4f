"""The reference headend's own SQLite database (plain sqlite3, separate from the appliance's)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterable

from appliance.errors import ConflictError, NotFoundError, ValidationError

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
    backlog INTEGER
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
SAMPLE_KINDS = ("sample",)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


class HeadendStore:
    """Registrations, heartbeats, pushed rows (deduplicated), commands; safe across threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)
        # One connection, one lock: the reference headend favours simplicity over write concurrency.
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._conn.close()

    def _tx(self, fn: Any) -> Any:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return result

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    # -- registration and heartbeats (the registration document's shapes) --

    def register(self, body: dict[str, Any]) -> dict[str, Any]:
        """Register a device; ConflictError (with the existing id) for a known hardware_id."""
        for name in ("name", "device_type", "hardware_id"):
            if not isinstance(body.get(name), str) or not body[name].strip():
                raise ValidationError(f"{name} is required (a non-empty string)", field=name)
        metadata: dict[str, Any] = body["metadata"] if isinstance(body.get("metadata"), dict) else {}

        def insert(conn: sqlite3.Connection) -> dict[str, Any]:
            found = conn.execute("SELECT device_id FROM appliances WHERE hardware_id = ?",
                                 (body["hardware_id"],)).fetchone()
            if found:
                error = ConflictError("a device with this hardware_id is registered", field="hardware_id")
                error.existing_id = found[0]  # type: ignore[attr-defined]
                raise error
            device_id, now = str(uuid.uuid4()), _now_ms()
            conn.execute("INSERT INTO appliances (device_id, hardware_id, name, device_type, appliance_id, "
                         "firmware_version, ip_address, location, metadata, created_at, last_seen) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (device_id, body["hardware_id"], body["name"], body["device_type"],
                          metadata.get("appliance_id"), body.get("firmware_version"), body.get("ip_address"),
                          (json.dumps(body.get("location"), allow_nan=False)
                           if body.get("location") is not None else None),
                          json.dumps(metadata, allow_nan=False), now, now))
            return self._device(conn, device_id)

        return self._tx(insert)

    def _device(self, conn: sqlite3.Connection, device_id: str) -> dict[str, Any]:
        row = conn.execute("SELECT * FROM appliances WHERE device_id = ?", (device_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no device {device_id!r}", field="device_id")
        out = dict(row)
        out["id"] = out["device_id"]
        out["metadata"], out["location"] = _loads(out["metadata"]), _loads(out["location"])
        out["status"] = "online" if out["last_seen"] and _now_ms() - out["last_seen"] < 300_000 else "offline"
        return out

    def heartbeat(self, device_id: Any, backlog: Any = None) -> dict[str, Any]:
        """Record a heartbeat of a registered device."""
        if not isinstance(device_id, str):
            raise ValidationError("device_id is required", field="device_id")

        def beat(conn: sqlite3.Connection) -> dict[str, Any]:
            updated = conn.execute("UPDATE appliances SET last_seen = ?, heartbeats = heartbeats + 1, backlog = ? "
                                   "WHERE device_id = ?", (_now_ms(), backlog if isinstance(backlog, int) else None,
                                                           device_id)).rowcount
            if not updated:
                raise NotFoundError(f"no device {device_id!r}; register first", field="device_id")
            device = self._device(conn, device_id)
            return {"device_id": device_id, "status": device["status"], "last_seen": device["last_seen"]}

        return self._tx(beat)

    def devices(self) -> list[dict[str, Any]]:
        """Every registered device."""
        with self._lock:
            ids = [r[0] for r in self._conn.execute("SELECT device_id FROM appliances ORDER BY created_at")]
            return [self._device(self._conn, i) for i in ids]

    # -- pushed and pulled rows --

    def ingest(self, appliance_id: Any, cursor_from: Any, cursor_to: Any, rows: Any,
               *, save_cursor: bool = False) -> dict[str, Any]:
        """Store a feed page once: a page seen before, or a row version already held, changes nothing."""
        if not isinstance(appliance_id, str) or not appliance_id:
            raise ValidationError("appliance_id is required", field="appliance_id")
        if not isinstance(cursor_from, str) or not isinstance(cursor_to, str) or not cursor_to:
            raise ValidationError("cursor_from and cursor_to are required strings", field="cursor_to")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValidationError("rows must be a list of feed rows", field="rows")
        for item in rows:
            if not isinstance(item.get("table"), str) or not isinstance(item.get("seq"), int) \
                    or not isinstance(item.get("key"), dict) or item.get("op") not in ("upsert", "delete"):
                raise ValidationError("each row needs table, seq, key and op", field="rows")

        def store(conn: sqlite3.Connection) -> dict[str, Any]:
            now = _now_ms()
            fresh = conn.execute("INSERT OR IGNORE INTO batches VALUES (?, ?, ?, ?, ?)",
                                 (appliance_id, cursor_from, cursor_to, now, len(rows))).rowcount
            applied = 0
            if fresh:
                for item in rows:
                    applied += self._apply(conn, appliance_id, item)
                self._bump(conn, "duplicate_rows", len(rows) - applied)
            else:
                self._bump(conn, "duplicate_batches", 1)
            if save_cursor:
                conn.execute("INSERT OR REPLACE INTO cursors VALUES (?, ?, ?)", (appliance_id, cursor_to, now))
            return {"accepted": bool(fresh), "applied": applied, "cursor": cursor_to}

        return self._tx(store)

    @staticmethod
    def _bump(conn: sqlite3.Connection, name: str, by: int) -> None:
        if by:
            conn.execute("INSERT INTO stats VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + ?",
                         (name, by, by))

    @staticmethod
    def _apply(conn: sqlite3.Connection, appliance_id: str, item: dict[str, Any]) -> int:
        key = item["key"]
        device, ts = None, None
        if item.get("kind") in SAMPLE_KINDS:
            values = list(key.values())
            device, ts = (str(values[0]), key.get("ts")) if values else (None, None)
        # A newer seq replaces what is held; the same or an older one is a duplicate and is ignored.
        return conn.execute(
            "INSERT INTO rows (appliance_id, tbl, key, seq, op, changed_at, row, device_id, ts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(appliance_id, tbl, key) DO UPDATE SET "
            "seq = excluded.seq, op = excluded.op, changed_at = excluded.changed_at, row = excluded.row, "
            "versions = versions + 1 WHERE excluded.seq > rows.seq",
            (appliance_id, item["table"], json.dumps(key, sort_keys=True, allow_nan=False), item["seq"], item["op"],
             item.get("changed_at"),
             json.dumps(item.get("row"), sort_keys=True, allow_nan=False) if item.get("row") else None,
             device, ts)).rowcount

    def cursor(self, appliance_id: str) -> str | None:
        """The cursor a pull for this appliance resumes from."""
        rows = self._query("SELECT cursor FROM cursors WHERE appliance_id = ?", (appliance_id,))
        return rows[0][0] if rows else None

    def set_cursor(self, appliance_id: str, cursor: str) -> None:
        """Store a pull cursor."""
        self._tx(lambda conn: conn.execute("INSERT OR REPLACE INTO cursors VALUES (?, ?, ?)",
                                           (appliance_id, cursor, _now_ms())))

    def rows(self, appliance_id: str | None = None, table: str | None = None) -> list[dict[str, Any]]:
        """Held rows (tests and tools compare them with the appliance's)."""
        sql, params = "SELECT * FROM rows WHERE 1 = 1", list[Any]()
        if appliance_id:
            sql, params = sql + " AND appliance_id = ?", params + [appliance_id]
        if table:
            sql, params = sql + " AND tbl = ?", params + [table]
        return [{**dict(r), "key": json.loads(r["key"]), "row": _loads(r["row"])} for r in self._query(sql, params)]

    def stats(self) -> dict[str, int]:
        """Counters: duplicate rows and batches ignored."""
        return {r[0]: r[1] for r in self._query("SELECT name, value FROM stats")}

    def catalog(self, table: str) -> list[dict[str, Any]]:
        """Live rows of a pushed catalog or registry table, with the appliance they came from."""
        out = []
        for r in self._query("SELECT appliance_id, row FROM rows WHERE tbl = ? AND op = 'upsert'", (table,)):
            out.append({**json.loads(r["row"]), "appliance_id": r["appliance_id"]})
        return out

    def latest_sample(self, device_id: str) -> dict[str, Any] | None:
        """The newest sample row of a device across the sample tables."""
        rows = self._query("SELECT appliance_id, tbl, ts, row FROM rows WHERE device_id = ? AND op = 'upsert' "
                           "ORDER BY ts DESC LIMIT 1", (device_id,))
        return {**dict(rows[0]), "row": json.loads(rows[0]["row"])} if rows else None

    # -- commands for appliances (they poll: outbound only) --

    def queue_command(self, appliance_id: str, params: dict[str, Any], kind: str = "dispatch") -> dict[str, Any]:
        """Queue a command for an appliance."""
        command_id = str(uuid.uuid4())
        self._tx(lambda conn: conn.execute("INSERT INTO commands VALUES (?, ?, ?, ?, 'queued', ?, NULL, NULL)",
                                           (command_id, appliance_id, kind, json.dumps(params, allow_nan=False),
                                            _now_ms())))
        return self.command(command_id)

    def command(self, command_id: str) -> dict[str, Any]:
        """One command with its outcome."""
        rows = self._query("SELECT * FROM commands WHERE id = ?", (command_id,))
        if not rows:
            raise NotFoundError(f"no command {command_id!r}", field="id")
        out = dict(rows[0])
        out["params"], out["outcome"] = json.loads(out["params"]), _loads(out["outcome"])
        return out

    def pending_commands(self, appliance_id: str) -> list[dict[str, Any]]:
        """Commands not yet acknowledged: resent on every poll until acked (the appliance runs each once)."""
        rows = self._query("SELECT id FROM commands WHERE appliance_id = ? AND status = 'queued' ORDER BY created_at",
                           (appliance_id,))
        return [{k: v for k, v in self.command(r[0]).items() if k in ("id", "type", "params", "created_at")}
                for r in rows]

    def ack(self, command_id: str, outcome: dict[str, Any]) -> dict[str, Any]:
        """Record a command's outcome; a repeated ack keeps the first."""
        self.command(command_id)
        self._tx(lambda conn: conn.execute("UPDATE commands SET status = 'acked', acked_at = ?, outcome = ? "
                                           "WHERE id = ? AND status = 'queued'",
                                           (_now_ms(), json.dumps(outcome, default=str, allow_nan=False), command_id)))
        return self.command(command_id)
