"""The reference headend's storage: every SQL statement of the headend, behind typed functions, on its own file."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

from appliance import clock
from appliance.errors import ConflictError, NotFoundError
from appliance.headend.records import (
    Ack, Beat, Command, Device, FeedPage, FeedRow, Heartbeat, HeldRow, IngestResult, JSONObject, LatestSample,
    PendingCommand, Registration)
from appliance.headend.schema import ADDED_COLUMNS, ASSET_KINDS, SAMPLE_KINDS, SCHEMA

#: A device is online while its last heartbeat is younger than this.
ONLINE_MS = 5 * 60 * 1000

#: Live registry rows of the asset kinds; the kinds are bound as one JSON array parameter.
_ASSETS = ("SELECT appliance_id, row FROM rows WHERE tbl = 'device_registry' AND op = 'upsert' "
           "AND json_extract(row, '$.kind') IN (SELECT value FROM json_each(?)) ORDER BY rowid")
#: The same, one asset by its registry id or catalog id.
_ASSET = ("SELECT appliance_id, row FROM rows WHERE tbl = 'device_registry' AND op = 'upsert' "
          "AND json_extract(row, '$.kind') IN (SELECT value FROM json_each(?)) "
          "AND (json_extract(row, '$.device_id') = ? OR json_extract(row, '$.catalog_id') = ?) ORDER BY rowid LIMIT 1")
_KINDS = json.dumps(ASSET_KINDS, allow_nan=False)

T = TypeVar("T")


class AlreadyRegistered(ConflictError):
    """A device with this hardware_id is registered; the 409 answer names its id."""

    def __init__(self, existing_id: str) -> None:
        super().__init__("a device with this hardware_id is registered", field="hardware_id")
        self.existing_id = existing_id


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False)


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


class HeadendStore:
    """Registrations, heartbeats, pushed rows (deduplicated), commands; safe across threads."""

    def __init__(self, path: str | Path, *, now_ms: Callable[[], int] = clock.now_ms) -> None:
        self.path = str(path)
        self._now_ms = now_ms
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)
        for table, column, declaration in ADDED_COLUMNS:  # a file made by an older headend
            if column not in {r["name"] for r in self._conn.execute(f"PRAGMA table_info({table})")}:
                self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        # One connection, one lock: the reference headend favours simplicity over write concurrency.
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        """The store's clock in epoch ms (the views judge staleness by the same clock)."""
        return self._now_ms()

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._conn.close()

    def _tx(self, fn: Callable[[sqlite3.Connection], T]) -> T:
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

    def register(self, registration: Registration) -> Device:
        """Register a device; AlreadyRegistered (a 409 naming the existing id) for a known hardware_id."""

        def insert(conn: sqlite3.Connection) -> Device:
            found = conn.execute("SELECT device_id FROM appliances WHERE hardware_id = ?",
                                 (registration.hardware_id,)).fetchone()
            if found:
                raise AlreadyRegistered(found[0])
            device_id, now = str(uuid.uuid4()), self._now_ms()
            conn.execute("INSERT INTO appliances (device_id, hardware_id, name, device_type, appliance_id, "
                         "firmware_version, ip_address, location, metadata, created_at, last_seen) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (device_id, registration.hardware_id, registration.name, registration.device_type,
                          registration.appliance_id, registration.firmware_version, registration.ip_address,
                          _dumps(registration.location) if registration.location is not None else None,
                          _dumps(registration.metadata or {}), now, now))
            return self._device(conn, device_id)

        return self._tx(insert)

    def _device(self, conn: sqlite3.Connection, device_id: str) -> Device:
        row = conn.execute("SELECT * FROM appliances WHERE device_id = ?", (device_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no device {device_id!r}", field="device_id")
        last_seen = row["last_seen"]
        online = last_seen is not None and self._now_ms() - last_seen < ONLINE_MS
        return Device(id=row["device_id"], device_id=row["device_id"], hardware_id=row["hardware_id"], name=row["name"],
                      device_type=row["device_type"], appliance_id=row["appliance_id"],
                      firmware_version=row["firmware_version"], ip_address=row["ip_address"],
                      location=_loads(row["location"]), metadata=_loads(row["metadata"]) or {},
                      created_at=row["created_at"], last_seen=last_seen, heartbeats=row["heartbeats"],
                      backlog=row["backlog"], flush_interval_s=row["flush_interval_s"],
                      status="online" if online else "offline")

    def heartbeat(self, beat: Heartbeat) -> Beat:
        """Record a heartbeat of a registered device; NotFoundError when it is not (it registers again)."""

        def record(conn: sqlite3.Connection) -> Beat:
            updated = conn.execute("UPDATE appliances SET last_seen = ?, heartbeats = heartbeats + 1, backlog = ?, "
                                   "flush_interval_s = ? WHERE device_id = ?",
                                   (self._now_ms(), beat.backlog, beat.flush_interval_s, beat.device_id)).rowcount
            if not updated:
                raise NotFoundError(f"no device {beat.device_id!r}; register first", field="device_id")
            device = self._device(conn, beat.device_id)
            return Beat(device_id=beat.device_id, status=device["status"], last_seen=device["last_seen"])

        return self._tx(record)

    def devices(self) -> list[Device]:
        """Every registered device, oldest registration first."""
        with self._lock:
            ids = [r[0] for r in self._conn.execute("SELECT device_id FROM appliances ORDER BY created_at")]
            return [self._device(self._conn, i) for i in ids]

    # -- pushed and pulled rows --

    def ingest(self, page: FeedPage, *, save_cursor: bool = False) -> IngestResult:
        """Store a feed page once: a page seen before, or a row version already held, changes nothing."""

        def store(conn: sqlite3.Connection) -> IngestResult:
            now = self._now_ms()
            fresh = conn.execute("INSERT OR IGNORE INTO batches VALUES (?, ?, ?, ?, ?)",
                                 (page.appliance_id, page.cursor_from, page.cursor_to, now, len(page.rows))).rowcount
            applied = 0
            if fresh:
                for item in page.rows:
                    applied += self._apply(conn, page.appliance_id, item)
                self._bump(conn, "duplicate_rows", len(page.rows) - applied)
            else:
                self._bump(conn, "duplicate_batches", 1)
            if save_cursor:
                conn.execute("INSERT OR REPLACE INTO cursors VALUES (?, ?, ?)", (page.appliance_id, page.cursor_to, now))
            return IngestResult(accepted=bool(fresh), applied=applied, cursor=page.cursor_to)

        return self._tx(store)

    @staticmethod
    def _bump(conn: sqlite3.Connection, name: str, by: int) -> None:
        if by:
            conn.execute("INSERT INTO stats VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + ?",
                         (name, by, by))

    @staticmethod
    def _apply(conn: sqlite3.Connection, appliance_id: str, item: FeedRow) -> int:
        device, ts = None, None
        if item.kind in SAMPLE_KINDS and item.key:
            # A sample's key is (device, ts) or (device, name, ts): the first column names the device.
            device, ts = str(next(iter(item.key.values()))), item.key.get("ts")
        # A newer seq replaces what is held; the same or an older one is a duplicate and is ignored.
        return conn.execute(
            "INSERT INTO rows (appliance_id, tbl, key, seq, op, changed_at, row, device_id, ts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(appliance_id, tbl, key) DO UPDATE SET "
            "seq = excluded.seq, op = excluded.op, changed_at = excluded.changed_at, row = excluded.row, "
            "versions = versions + 1 WHERE excluded.seq > rows.seq",
            (appliance_id, item.table, json.dumps(item.key, sort_keys=True, allow_nan=False), item.seq, item.op,
             item.changed_at, json.dumps(item.row, sort_keys=True, allow_nan=False) if item.row else None,
             device, ts)).rowcount

    def cursor(self, appliance_id: str) -> str | None:
        """The cursor a pull for this appliance resumes from."""
        rows = self._query("SELECT cursor FROM cursors WHERE appliance_id = ?", (appliance_id,))
        return str(rows[0][0]) if rows else None

    def set_cursor(self, appliance_id: str, cursor: str) -> None:
        """Store a pull cursor."""
        self._tx(lambda conn: conn.execute("INSERT OR REPLACE INTO cursors VALUES (?, ?, ?)",
                                           (appliance_id, cursor, self._now_ms())))

    def rows(self, appliance_id: str | None = None, table: str | None = None) -> list[HeldRow]:
        """Held rows (tests and tools compare them with the appliance's)."""
        sql, params = "SELECT * FROM rows WHERE 1 = 1", list[Any]()
        if appliance_id:
            sql, params = sql + " AND appliance_id = ?", params + [appliance_id]
        if table:
            sql, params = sql + " AND tbl = ?", params + [table]
        return [HeldRow(appliance_id=r["appliance_id"], tbl=r["tbl"], key=json.loads(r["key"]), seq=r["seq"],
                        op=r["op"], changed_at=r["changed_at"], row=_loads(r["row"]), device_id=r["device_id"],
                        ts=r["ts"], versions=r["versions"])
                for r in self._query(sql, params)]

    def stats(self) -> dict[str, int]:
        """Counters: duplicate rows and batches ignored."""
        return {r[0]: r[1] for r in self._query("SELECT name, value FROM stats")}

    def catalog(self, table: str) -> list[JSONObject]:
        """Live rows of a pushed catalog or registry table, with the appliance they came from, in arrival order."""
        rows = self._query("SELECT appliance_id, row FROM rows WHERE tbl = ? AND op = 'upsert' AND row IS NOT NULL "
                           "ORDER BY rowid", (table,))
        return [{**json.loads(r["row"]), "appliance_id": r["appliance_id"]} for r in rows]

    def assets(self) -> list[JSONObject]:
        """Registry rows of the asset kinds (inverter, battery pack, meter, BESS) of every appliance."""
        rows = self._query(_ASSETS, (_KINDS,))
        return [{**json.loads(r["row"]), "appliance_id": r["appliance_id"]} for r in rows]

    def asset(self, asset_id: str) -> JSONObject:
        """The asset with this registry id (or catalog id), with its appliance; NotFoundError when none has it."""
        rows = self._query(_ASSET, (_KINDS, asset_id, asset_id))
        if not rows:
            raise NotFoundError(f"no asset {asset_id!r} at any appliance", field="asset_id")
        return {**json.loads(rows[0]["row"]), "appliance_id": rows[0]["appliance_id"]}

    def appliance_of_system(self, system_id: str) -> str:
        """The appliance that pushed this system; NotFoundError when none did."""
        rows = self._query("SELECT appliance_id FROM rows WHERE tbl = 'systems' AND op = 'upsert' "
                           "AND json_extract(row, '$.system_id') = ? ORDER BY rowid LIMIT 1", (system_id,))
        if not rows:
            raise NotFoundError(f"no system {system_id!r} at any appliance", field="system_id")
        return str(rows[0][0])

    def latest_sample(self, appliance_id: str, device_id: str) -> LatestSample | None:
        """The newest sample row of one appliance's device, across the sample tables."""
        rows = self._query("SELECT appliance_id, tbl, ts, row FROM rows WHERE device_id = ? AND appliance_id = ? "
                           "AND op = 'upsert' AND row IS NOT NULL ORDER BY ts DESC LIMIT 1", (device_id, appliance_id))
        if not rows:
            return None
        return LatestSample(appliance_id=rows[0]["appliance_id"], tbl=rows[0]["tbl"], ts=rows[0]["ts"],
                            row=json.loads(rows[0]["row"]))

    # -- commands for appliances (they poll: outbound only) --

    def queue_command(self, appliance_id: str, params: JSONObject, kind: str = "dispatch") -> Command:
        """Queue a command for an appliance."""
        command_id = str(uuid.uuid4())
        self._tx(lambda conn: conn.execute("INSERT INTO commands VALUES (?, ?, ?, ?, 'queued', ?, NULL, NULL)",
                                           (command_id, appliance_id, kind, json.dumps(params, allow_nan=False),
                                            self._now_ms())))
        return self.command(command_id)

    def command(self, command_id: str) -> Command:
        """One command with its outcome; NotFoundError for an unknown id."""
        rows = self._query("SELECT * FROM commands WHERE id = ?", (command_id,))
        if not rows:
            raise NotFoundError(f"no command {command_id!r}", field="id")
        r = rows[0]
        return Command(id=r["id"], appliance_id=r["appliance_id"], type=r["type"], params=json.loads(r["params"]),
                       status=r["status"], created_at=r["created_at"], acked_at=r["acked_at"],
                       outcome=_loads(r["outcome"]))

    def pending_commands(self, appliance_id: str) -> list[PendingCommand]:
        """Commands not yet acknowledged: resent on every poll until acked (the appliance runs each once)."""
        rows = self._query("SELECT id, type, params, created_at FROM commands WHERE appliance_id = ? "
                           "AND status = 'queued' ORDER BY created_at, rowid", (appliance_id,))
        return [PendingCommand(id=r["id"], type=r["type"], params=json.loads(r["params"]), created_at=r["created_at"])
                for r in rows]

    def ack(self, command_id: str, ack: Ack) -> Command:
        """Record a command's outcome; a repeated ack keeps the first. Only the appliance the command was
        queued for may acknowledge it (ConflictError): a clone or a bug elsewhere cannot close it."""
        queued = self.command(command_id)
        if queued["appliance_id"] != ack.appliance_id:
            raise ConflictError(f"command {command_id} was queued for another appliance than {ack.appliance_id!r}",
                                field="appliance_id")
        self._tx(lambda conn: conn.execute("UPDATE commands SET status = 'acked', acked_at = ?, outcome = ? "
                                           "WHERE id = ? AND status = 'queued'",
                                           (self._now_ms(), json.dumps(ack.outcome, default=str, allow_nan=False),
                                            command_id)))
        return self.command(command_id)
