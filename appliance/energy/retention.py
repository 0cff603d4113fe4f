"""Retention: delete samples and aggregates older than their keep time, in small transactions."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from appliance.errors import StoreError, ValidationError
from appliance.store import retention as retention_store
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


def delete_raw_before(cutoff_ms: int, *, batch: int = 5000) -> dict[str, int]:
    """Delete raw samples older than `cutoff_ms`, about `batch` rows per transaction; also the rollup work
    queued for them (it could never be recomputed). Return rows deleted per table."""
    conn = database.connection()
    counts: dict[str, int] = {}
    for table in SAMPLE_TABLES:
        counts[table] = 0
        while True:
            count = retention_store.delete_raw_before(conn, table, cutoff_ms, batch)
            counts[table] += count
            if count < batch:
                break
    counts["rollup_dirty"] = retention_store.drop_dirty_before(conn, cutoff_ms)
    return counts


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
        for aggregate in retention_store.AGGREGATES[key]:
            counts[aggregate.table] = retention_store.delete_aggregates_before(
                conn, aggregate, _cutoff(now_ms, days, aggregate.kind), batch)
    return counts
