"""API bearer tokens: created with a name and scope, shown once, stored as sha256, revocable."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timezone
from typing import Any

from peewee import IntegrityError

from appliance.clock import utc_now_iso
from appliance.errors import ConflictError, NotFoundError, ValidationError
from appliance.store import accounts as accounts_store
from appliance.store.models import ApiToken, database
from appliance.store.rows import row

SCOPES = ("read", "write", "sync")
TOKEN_PREFIX = "apl_"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
LAST_USED_EVERY_S = 60  # write last_used_at at most once a minute: a polling headend must not cause a write per call


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _public(token: ApiToken) -> dict[str, Any]:
    out = row(token)
    out.pop("token_hash", None)
    return out


def create_token(name: Any, scope: Any) -> tuple[str, dict[str, Any]]:
    """Create a token; return the token (shown once, never stored) and its public row."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ValidationError("name must be 1-64 letters, digits, '_', '.', '@' or '-'", field="name")
    if scope not in SCOPES:
        raise ValidationError(f"scope must be one of {', '.join(SCOPES)}", field="scope")
    if ApiToken.get_or_none((ApiToken.name == name) & ApiToken.revoked_at.is_null()):
        raise ConflictError(f"a token named {name!r} exists; revoke it first", field="name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with database.atomic():
            created = ApiToken.create(name=name, scope=scope, token_hash=_digest(token), prefix=token[:10],
                                      created_at=utc_now_iso())
    except IntegrityError as exc:
        raise ConflictError(f"a token named {name!r} exists; revoke it first", field="name") from exc
    return token, _public(created)


def list_tokens(*, include_revoked: bool = False) -> list[dict[str, Any]]:
    """Tokens without their hashes, newest first."""
    query = ApiToken.select().order_by(ApiToken.created_at.desc(), ApiToken.token_id.desc())
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_null())
    return [_public(t) for t in query]


def revoke_token(name: str) -> dict[str, Any]:
    """Revoke the active token of this name; it stops working at once."""
    token = ApiToken.get_or_none((ApiToken.name == name) & ApiToken.revoked_at.is_null())
    if token is None:
        raise NotFoundError(f"no active token named {name!r}", field="name")
    token.revoked_at = utc_now_iso()
    token.save()
    return _public(token)


def authenticate(token: str) -> dict[str, Any] | None:
    """The active token's public row for a presented bearer token, or None; records when it was last used."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    found = ApiToken.get_or_none((ApiToken.token_hash == _digest(token)) & ApiToken.revoked_at.is_null())
    if found is None:
        return None
    now = datetime.now(timezone.utc)
    last = found.last_used_at
    if last is None or (now - datetime.fromisoformat(last)).total_seconds() >= LAST_USED_EVERY_S:
        found.last_used_at = now.isoformat(timespec="milliseconds")
        accounts_store.note_token_use(found.token_id, found.last_used_at)
    return _public(found)


def scope_allows(scope: str, write: bool) -> bool:
    """Read tokens may read, write tokens may read and write; sync tokens are kept for the sync feed."""
    if scope == "write":
        return True
    return scope == "read" and not write
