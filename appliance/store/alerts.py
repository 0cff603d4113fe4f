"""SQL of the alert records and the alert settings: typed functions, one short transaction each."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from peewee import fn

from appliance.store.models import AlertRow, ApiToken, AppSetting, database

COLUMNS = ("alert_id", "kind", "subject", "severity", "device_id", "system_id", "entity", "message", "details",
           "started_at", "ended_at", "acknowledged_at", "acknowledged_by", "flaps", "updated_at")
_UPSERT = (f"INSERT INTO alerts ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "  # noqa: S608
           "ON CONFLICT(alert_id) DO UPDATE SET "
           + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in ("alert_id", "kind", "subject")))
#: Most history rows one query returns (the page and the API page through time windows instead).
MAX_HISTORY = 1000


@dataclass(frozen=True)
class AlertRecord:
    """One alert as stored: what, about whom, since when, until when, who acknowledged it."""

    alert_id: int
    kind: str
    subject: str
    severity: str
    message: str
    started_at: int
    updated_at: int
    device_id: str | None = None
    system_id: str | None = None
    entity: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    ended_at: int | None = None
    acknowledged_at: int | None = None
    acknowledged_by: str | None = None
    flaps: int = 0

    @property
    def active(self) -> bool:
        """Open: its condition has not cleared (or, for an event, nobody acknowledged it yet)."""
        return self.ended_at is None

    def values(self) -> tuple[Any, ...]:
        """The row's values in COLUMNS order."""
        row = {**{c: getattr(self, c) for c in COLUMNS}, "details": json.dumps(dict(self.details), sort_keys=True,
                                                                              allow_nan=False, default=str)}
        return tuple(row[c] for c in COLUMNS)


def _record(row: Mapping[str, Any]) -> AlertRecord:
    values = dict(row)
    try:
        values["details"] = json.loads(values.get("details") or "{}")
    except ValueError:
        values["details"] = {}
    return AlertRecord(**{c: values[c] for c in COLUMNS})


def _select() -> Any:
    return AlertRow.select(*(getattr(AlertRow, c) for c in COLUMNS)).dicts()


def next_id() -> int:
    """The id the next new alert gets: above every id ever given (AUTOINCREMENT's own counter)."""
    row = database.execute_sql("SELECT seq FROM sqlite_sequence WHERE name = 'alerts'").fetchone()
    highest = database.execute_sql("SELECT MAX(alert_id) FROM alerts").fetchone()[0]
    return max(int(row[0]) if row else 0, int(highest or 0)) + 1


def save(records: Iterable[AlertRecord]) -> int:
    """Insert or update whole records in one transaction, lowest id first (a close before its successor opens)."""
    rows = [r.values() for r in sorted(records, key=lambda r: r.alert_id)]
    if not rows:
        return 0
    with database.atomic():
        database.connection().executemany(_UPSERT, rows)
    return len(rows)


def open_records() -> list[AlertRecord]:
    """Every active alert, oldest first."""
    return [_record(r) for r in _select().where(AlertRow.ended_at.is_null()).order_by(AlertRow.started_at)]


def get(alert_id: int) -> AlertRecord | None:
    """One alert by id."""
    row = _select().where(AlertRow.alert_id == alert_id).first()
    return _record(row) if row else None


def closed_since(since_ms: int) -> list[AlertRecord]:
    """Alerts that ended at or after `since_ms`, newest end last (the engine's flap memory after a restart)."""
    query = _select().where(AlertRow.ended_at >= since_ms).order_by(AlertRow.ended_at)
    return [_record(r) for r in query]


def history(from_ms: int | None = None, to_ms: int | None = None, *, limit: int = MAX_HISTORY) -> list[AlertRecord]:
    """Alerts active at some time in [from_ms, to_ms), newest start first, at most `limit`."""
    query = _select()
    if to_ms is not None:
        query = query.where(AlertRow.started_at < to_ms)
    if from_ms is not None:
        query = query.where(AlertRow.ended_at.is_null() | (AlertRow.ended_at >= from_ms))
    return [_record(r) for r in query.order_by(AlertRow.started_at.desc(), AlertRow.alert_id.desc())
            .limit(max(1, min(limit, MAX_HISTORY)))]


def acknowledge(alert_id: int, at_ms: int, by: str) -> AlertRecord | None:
    """Mark one alert acknowledged (the first acknowledgement stays); the record after it, or None if unknown."""
    with database.atomic():
        (AlertRow.update(acknowledged_at=at_ms, acknowledged_by=by, updated_at=at_ms)
         .where((AlertRow.alert_id == alert_id) & AlertRow.acknowledged_at.is_null()).execute())
    return get(alert_id)


def prune(before_ms: int) -> int:
    """Delete alerts that ended before `before_ms` (retention); active alerts are never deleted."""
    with database.atomic():
        return int(AlertRow.delete().where(AlertRow.ended_at < before_ms).execute())


def read_settings(prefix: str) -> dict[str, Any]:
    """App settings whose key starts with `prefix`, decoded from JSON (an undecodable value is left out)."""
    out: dict[str, Any] = {}
    for row in AppSetting.select(AppSetting.key, AppSetting.value).where(AppSetting.key.startswith(prefix)):
        try:
            out[row.key] = json.loads(row.value)
        except ValueError:
            continue
    return out


def write_settings(values: Mapping[str, Any], now_iso: str) -> None:
    """Store app settings as JSON in one transaction; a None value deletes the key (back to its default)."""
    with database.atomic():
        for key, value in values.items():
            if value is None:
                AppSetting.delete().where(AppSetting.key == key).execute()
            else:
                (AppSetting.insert(key=key, value=json.dumps(value, sort_keys=True, allow_nan=False),
                                   updated_at=now_iso).on_conflict_replace().execute())


def last_token_use(scope: str) -> str | None:
    """When a live token of `scope` was last used (ISO 8601 UTC, written at most once a minute), or None."""
    value = (ApiToken.select(fn.MAX(ApiToken.last_used_at))
             .where((ApiToken.scope == scope) & ApiToken.revoked_at.is_null()).scalar())
    return str(value) if value else None
