"""The control audit log: every lease change, write and refusal, in order; the sync feed carries it.

Kinds (the alerts service reads `write_mismatch` and `budget_exhausted` by kind):
lease_acquired, lease_renewed, lease_released, lease_expired, lease_taken_over (a lease's life);
write (registers before, written, read back), write_mismatch (read back differs), write_failed (no answer);
refused (another source holds the lease), budget_exhausted (the day's writes are used up);
snapshot_taken, restored (the owner's program kept before a setpoint and written back after it);
setpoint_cancelled (a program change that took over ends the setpoint).
"""

from __future__ import annotations

import json
from typing import Mapping, TypedDict

from peewee import fn

from appliance.clock import iso_ms
from appliance.errors import ValidationError
from appliance.jsontypes import JsonValue
from appliance.store.models import ControlAudit

KINDS = ("lease_acquired", "lease_renewed", "lease_released", "lease_expired", "lease_taken_over", "write",
         "write_mismatch", "write_failed", "refused", "budget_exhausted", "snapshot_taken", "restored",
         "setpoint_cancelled")
MAX_ENTRIES = 500


class AuditEntry(TypedDict):
    """One audit entry as the API, pages and the alerts service read it."""

    audit_id: int
    ts: int
    at: str | None
    device_id: str
    kind: str
    source: str | None
    holder: str | None
    message: str
    details: JsonValue


def record(device_id: str, kind: str, message: str, *, now: int, source: str | None = None,
           holder: str | None = None, details: Mapping[str, object] | None = None) -> int:
    """Append one entry; returns its id."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit kind {kind!r}")
    entry = ControlAudit.create(ts=now, device_id=device_id, kind=kind, source=source, holder=holder,
                                message=message, details=json.dumps(details or {}, sort_keys=True, allow_nan=False))
    return int(entry.audit_id)


def _entry(row: ControlAudit) -> AuditEntry:
    return {"audit_id": row.audit_id, "ts": row.ts, "at": iso_ms(row.ts), "device_id": row.device_id, "kind": row.kind,
            "source": row.source, "holder": row.holder, "message": row.message,
            "details": json.loads(row.details or "{}")}


def entries(*, device_id: str | None = None, kind: str | None = None, limit: object = 50,
            before: object = None) -> list[AuditEntry]:
    """Audit entries, newest first: at most `limit`, ids below `before`, optionally one device or kind."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_ENTRIES:
        raise ValidationError(f"limit must be a whole number from 1 to {MAX_ENTRIES}", field="limit")
    query = ControlAudit.select().order_by(ControlAudit.audit_id.desc()).limit(limit)
    if before is not None:
        if isinstance(before, bool) or not isinstance(before, int) or before < 1:
            raise ValidationError("before must be an audit id", field="before")
        query = query.where(ControlAudit.audit_id < before)
    if device_id is not None:
        query = query.where(ControlAudit.device_id == device_id)
    if kind is not None:
        if kind not in KINDS:
            raise ValidationError(f"kind must be one of {', '.join(KINDS)}", field="kind")
        query = query.where(ControlAudit.kind == kind)
    return [_entry(row) for row in query]


def latest_id() -> int:
    """The newest entry's id (0 when the log is empty)."""
    return int(ControlAudit.select(fn.MAX(ControlAudit.audit_id)).scalar() or 0)


def since(audit_id: int, kinds: tuple[str, ...], limit: int = MAX_ENTRIES) -> list[AuditEntry]:
    """Entries of `kinds` after `audit_id`, oldest first, at most `limit` (the alerts service follows the log)."""
    query = (ControlAudit.select().where((ControlAudit.audit_id > audit_id) & ControlAudit.kind.in_(kinds))
             .order_by(ControlAudit.audit_id).limit(limit))
    return [_entry(row) for row in query]
