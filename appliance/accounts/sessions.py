"""Server-side web sessions: the cookie carries a random id, the database its hash; logout deletes it."""

from __future__ import annotations

import hashlib
import secrets

from appliance.clock import utc_now_iso
from appliance.store import accounts as accounts_store

#: Sessions kept at most; the oldest go first (a forgotten browser does not keep one forever).
MAX_SESSIONS = 20


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def open_session(username: str) -> str:
    """Start a session for `username`; return its id (for the cookie only, never stored)."""
    session_id = secrets.token_urlsafe(32)
    accounts_store.open_session(_digest(session_id), username, utc_now_iso(), MAX_SESSIONS)
    return session_id


def session_user(session_id: object) -> str | None:
    """The user of a live session id, or None (unknown, ended by logout or by a password change)."""
    if not isinstance(session_id, str) or not 16 <= len(session_id) <= 128:
        return None
    return accounts_store.session_user(_digest(session_id))


def close_session(session_id: object) -> None:
    """End one session (logout)."""
    if isinstance(session_id, str):
        accounts_store.close_session(_digest(session_id))


def close_all_sessions() -> int:
    """End every session (a password change); return how many there were."""
    return accounts_store.close_all_sessions()
