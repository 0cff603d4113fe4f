"""SQL of the accounts' statements: the admin's password hash, web sessions, when a token was last used."""

from __future__ import annotations

from appliance.store.models import ApiToken, User, WebSession, database


def put_password_hash(username: str, password_hash: str, now_iso: str) -> None:
    """Create the user with this hash, or replace its hash (and updated_at)."""
    (User.insert(username=username, password_hash=password_hash, created_at=now_iso, updated_at=now_iso)
     .on_conflict(conflict_target=[User.username],
                  update={User.password_hash: password_hash, User.updated_at: now_iso}).execute())


def restore_user(username: str, password_hash: str, created_at: str, updated_at: str) -> None:
    """Create the user from a backup, or replace only its hash when it exists."""
    (User.insert(username=username, password_hash=password_hash, created_at=created_at, updated_at=updated_at)
     .on_conflict(conflict_target=[User.username], update={User.password_hash: password_hash}).execute())


def note_token_use(token_id: int, at_iso: str) -> None:
    """Record when a token was last used."""
    ApiToken.update(last_used_at=at_iso).where(ApiToken.token_id == token_id).execute()


def open_session(session_hash: str, username: str, created_at: str, keep: int) -> None:
    """Store a session by the hash of its id, and delete all but the newest `keep` sessions, in one transaction."""
    with database.atomic():
        WebSession.insert(session_hash=session_hash, username=username, created_at=created_at).execute()
        stale = WebSession.select(WebSession.session_hash).order_by(WebSession.created_at.desc()).offset(keep)
        WebSession.delete().where(WebSession.session_hash.in_(stale)).execute()


def session_user(session_hash: str) -> str | None:
    """The user of the session with this hash, or None."""
    found = WebSession.get_or_none(WebSession.session_hash == session_hash)
    return str(found.username) if found is not None else None


def close_session(session_hash: str) -> None:
    """Delete one session."""
    WebSession.delete().where(WebSession.session_hash == session_hash).execute()


def close_all_sessions() -> int:
    """Delete every session; how many there were."""
    return int(WebSession.delete().execute())
