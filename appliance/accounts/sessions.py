"""Server-side web sessions: the cookie carries a random id, the database its hash; logout deletes it."""

from __future__ import annotations

import hashlib
import secrets

from appliance.clock import utc_now_iso
from appliance.store.models import WebSession, database

#: Sessions kept at most; the oldest go first (a forgotten browser does not keep one forever).
MAX_SESSIONS = 20


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def open_session(username: str) -> str:
    """Start a session for `username`; return its id (for the cookie only, never stored)."""
    session_id = secrets.token_urlsafe(32)
    with database.atomic():
        WebSession.insert(session_hash=_digest(session_id), username=username, created_at=utc_now_iso()).execute()
        stale = (WebSession.select(WebSession.session_hash).order_by(WebSession.created_at.desc())
                 .offset(MAX_SESSIONS))
        WebSession.delete().where(WebSession.session_hash.in_(stale)).execute()
    return session_id


def session_user(session_id: object) -> str | None:
    """The user of a live session id, or None (unknown, ended by logout or by a password change)."""
    if not isinstance(session_id, str) or not 16 <= len(session_id) <= 128:
        return None
    found = WebSession.get_or_none(WebSession.session_hash == _digest(session_id))
    return found.username if found is not None else None


def close_session(session_id: object) -> None:
    """End one session (logout)."""
    if isinstance(session_id, str):
        WebSession.delete().where(WebSession.session_hash == _digest(session_id)).execute()


def close_all_sessions() -> int:
    """End every session (a password change); return how many there were."""
    return int(WebSession.delete().execute())
