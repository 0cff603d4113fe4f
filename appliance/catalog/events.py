"""System events (recovery, imports) kept in the database for the UI to show."""

from __future__ import annotations

import json
import logging
from typing import Mapping

from appliance.clock import now_ms
from appliance.store.models import SystemEvent
from appliance.store.rowtypes import SystemEventRow, shaped
from appliance.store.rows import row

log = logging.getLogger(__name__)


def record(kind: str, message: str, *, severity: str = "info", details: Mapping[str, object] | None = None) -> int:
    """Store an event and log it once; return its id."""
    getattr(log, "error" if severity == "error" else "warning" if severity == "warning" else "info")(message)
    event = SystemEvent.create(ts=now_ms(), kind=kind, severity=severity, message=message,
                               details=json.dumps(details or {}, sort_keys=True, default=str, allow_nan=False))
    return int(event.event_id)


def recent(kind: str | None = None, limit: int = 50) -> list[SystemEventRow]:
    """The newest events, optionally of one kind."""
    query = SystemEvent.select().order_by(SystemEvent.ts.desc(), SystemEvent.event_id.desc()).limit(limit)
    if kind:
        query = query.where(SystemEvent.kind == kind)
    return [shaped(SystemEventRow, row(e)) for e in query]
