"""Retention: delete samples and aggregates older than their keep time, in small transactions."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from typing import Any, Mapping

from appliance.errors import StoreError, ValidationError
from appliance.store import space as space_store
from appliance.store.models import database
from appliance.store.samples import SAMPLE_TABLES

DAY_MS = 86_400_000

#: Days to keep each class of data; None keeps it forever. The domain document's retention.
DEFAULT_POLICY: dict[str, int | None] = {
    "raw_days": 90,
    "five_minute_days": 365,
    "thirty_minute_days": 5 * 365,
    "hourly_days": None,
    "daily_days": None,
}

#: (table, key columns, time column, kind of time column) per class of aggregates. Raw samples
#: (every table of store.samples.SAMPLE_TABLES) are deleted device by device on their primary key.
TABLES: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "five_minute_days": tuple((t, k, "bucket_start", "ms") for t, k in (
        ("energy_5m", "inverter_id, bucket_start"), ("array_5m", "array_id, bucket_start"),
        ("system_5m", "system_id, bucket_start"), ("meter_5m", "meter_id, bucket_start"),
        ("battery_bank_5m", "pack_id, bucket_start"))),
    "thirty_minute_days": (("meter_30m", "meter_id, bucket_start", "bucket_start", "ms"),),
    "hourly_days": tuple((t, "rowid", "hour_start", "ms") for t in (
        "hourly_energy", "array_hourly_energy", "system_hourly_energy", "meter_hourly_energy",
        "battery_bank_hourly")),
    "daily_days": (("daily_summary", "rowid", "date", "date"), ("array_daily_summary", "rowid", "date", "date"),
                   ("system_daily_summary", "rowid", "date", "date"), ("meter_daily", "rowid", "day", "date"),
                   ("battery_bank_daily", "rowid", "date", "date")),
}


def check_policy(policy: Mapping[str, Any] | None) -> dict[str, int | None]:
    """The default policy updated with `policy`; unknown keys and non-positive days are errors."""
    merged = dict(DEFAULT_POLICY)
    for key, value in (policy or {}).items():
        if key not in DEFAULT_POLICY:
            raise ValidationError(f"unknown retention setting {key!r}", field=key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValidationError(f"{key} must be a whole number of days >= 1, or None to keep forever", field=key)
        merged[key] = value
    return merged


def _cutoff(now_ms: int, days: int, kind: str) -> int | str:
    """The first instant (or date, for daily tables) that is kept."""
    cut = now_ms - days * DAY_MS
    if kind == "ms":
        return cut
    # Daily rows carry a local date; a UTC date is within a day of it, which a keep time in days tolerates.
    return datetime.fromtimestamp(cut / 1000, timezone.utc).date().isoformat()


def _delete_batches(conn: sqlite3.Connection, table: str, key: str, column: str, cutoff: int | str,
                    batch: int) -> int:
    """Delete rows with column < cutoff, `batch` rows per transaction; return the number deleted."""
    deleted = 0
    # Row values address WITHOUT ROWID tables by their primary key; rowid tables by rowid.
    target = f"({key})" if "," in key else key
    sql = (f"DELETE FROM {table} WHERE {target} IN "  # noqa: S608 - names from the constants above
           f"(SELECT {key} FROM {table} WHERE {column} < ? LIMIT ?)")
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            count = conn.execute(sql, (cutoff, batch)).rowcount
            conn.commit()
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.rollback()
            raise StoreError(f"retention of {table} failed: {exc}") from exc
        deleted += count
        if count < batch:
            return deleted


def delete_raw_before(cutoff_ms: int, *, batch: int = 5000) -> dict[str, int]:
    """Delete raw samples older than `cutoff_ms`, about `batch` rows per transaction; also the rollup work
    queued for them (it could never be recomputed). Return rows deleted per table."""
    conn = database.connection()
    counts: dict[str, int] = {}
    for table in SAMPLE_TABLES:
        counts[table] = 0
        while True:
            with _transaction(conn, table):
                count = space_store.delete_raw_before(conn, table, cutoff_ms, batch)
            counts[table] += count
            if count < batch:
                break
    with _transaction(conn, "rollup_dirty"):
        counts["rollup_dirty"] = space_store.drop_dirty_before(conn, cutoff_ms)
    return counts


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, turning SQLite errors into StoreError naming the table."""

    def __init__(self, conn: sqlite3.Connection, table: str) -> None:
        self.conn, self.table = conn, table

    def __enter__(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"retention of {self.table} failed: {exc}") from exc

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is None:
            try:
                self.conn.commit()
                return
            except sqlite3.Error as error:
                exc = error
        if self.conn.in_transaction:
            self.conn.rollback()
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"retention of {self.table} failed: {exc}") from exc


def apply_retention(now_ms: int, policy: Mapping[str, Any] | None = None, *, batch: int = 5000) -> dict[str, int]:
    """Delete samples and aggregates older than the policy keeps them; return rows deleted per table."""
    if batch < 1:
        raise ValidationError("batch must be at least 1", field="batch")
    settings = check_policy(policy)
    conn = database.connection()
    if conn.in_transaction:
        raise StoreError("retention runs in its own transactions, not inside another")
    counts: dict[str, int] = {}
    if settings["raw_days"] is not None:
        counts.update(delete_raw_before(now_ms - settings["raw_days"] * DAY_MS, batch=batch))
    for key, days in settings.items():
        if days is None or key == "raw_days":
            continue
        for table, columns, column, kind in TABLES[key]:
            counts[table] = _delete_batches(conn, table, columns, column, _cutoff(now_ms, days, kind), batch)
    return counts
