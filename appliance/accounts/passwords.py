"""The admin password: scrypt hashes, first-run state, the one-time setup code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from appliance.accounts.sessions import close_all_sessions
from appliance.accounts.store import delete_setting, get_setting, set_setting
from appliance.clock import now_ms, utc_now_iso
from appliance.errors import ConflictError, ValidationError
from appliance.store import accounts as accounts_store
from appliance.store.models import User, database

ADMIN = "admin"
MIN_LENGTH = 10
MAX_LENGTH = 1024
# n=2**14, r=8 needs 16 MiB and ~0.1 s on a Pi 4: slow for guessing, fast enough for a login.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
SETUP_CODE_KEY = "auth.setup_code"
SETUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: it is read off a journal and typed


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """An scrypt hash string that carries its parameters and salt."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_hash(password: str, stored: str) -> bool:
    """Whether a password matches a stored scrypt hash (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def check_new_password(password: object, confirmation: object, field: str = "password") -> str:
    """A new password: long enough and typed the same twice."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise ValidationError(f"the password must have at least {MIN_LENGTH} characters", field=field)
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"the password must have at most {MAX_LENGTH} characters", field=field)
    if password != confirmation:
        raise ValidationError("the two passwords differ", field="confirmation")
    return password


def is_first_run() -> bool:
    """True until the admin password is set."""
    return User.get_or_none(User.username == ADMIN) is None


def _store(password_hash: str) -> None:
    """Write the admin's hash, use up the setup code and end every web session, in one transaction."""
    now = utc_now_iso()
    with database.atomic():
        accounts_store.put_password_hash(ADMIN, password_hash, now)
        delete_setting(SETUP_CODE_KEY)
        close_all_sessions()


def set_initial_password(password: object, confirmation: object, setup_code: str | None = None) -> None:
    """First run: set the admin password; when a setup code was issued it must be given, once.

    The checks and the write are one BEGIN IMMEDIATE transaction: of concurrent setups exactly one
    wins, and a setup without the code cannot slip in between the owner's checks and commit.
    """
    password_hash = hash_password(check_new_password(password, confirmation))  # slow: outside the write lock
    with database.atomic("IMMEDIATE"):
        if not is_first_run():
            raise ConflictError("the appliance is already set up: log in with the admin password", field="password")
        if setup_code_pending() and not _setup_code_matches(setup_code):
            raise ValidationError("the setup code is wrong (see the journal: journalctl -u appliance)",
                                  field="setup_code")
        _store(password_hash)


def set_password(password: object, confirmation: object) -> None:
    """Set or replace the admin password without the old one (the CLI, run as the service user or root)."""
    _store(hash_password(check_new_password(password, confirmation)))


def change_password(current: Any, password: object, confirmation: object) -> None:
    """Change the admin password; the current one must be given. Every web session ends."""
    if not isinstance(current, str) or not verify_password(current):
        raise ValidationError("the current password is wrong", field="current_password")
    _store(hash_password(check_new_password(password, confirmation)))


def verify_password(password: str) -> bool:
    """Whether `password` is the admin password (False on first run)."""
    user = User.get_or_none(User.username == ADMIN)
    return user is not None and check_hash(password, user.password_hash)


def password_fingerprint() -> str | None:
    """A short digest of the stored hash: sessions made before a password change stop matching."""
    user = User.get_or_none(User.username == ADMIN)
    if user is None:
        return None
    return hashlib.sha256(user.password_hash.encode("ascii")).hexdigest()[:16]


def issue_setup_code() -> str | None:
    """On first run, make a new one-time setup code (stored hashed) and return it; None once a password is set."""
    if not is_first_run():
        delete_setting(SETUP_CODE_KEY)
        return None
    raw = "".join(secrets.choice(SETUP_ALPHABET) for _ in range(10))
    set_setting(SETUP_CODE_KEY, {"sha256": hashlib.sha256(raw.encode()).hexdigest(), "issued_ms": now_ms()})
    return f"{raw[:5]}-{raw[5:]}"


def setup_code_pending() -> bool:
    """Whether a setup code was issued and not used yet."""
    return get_setting(SETUP_CODE_KEY) is not None


def _setup_code_matches(code: str | None) -> bool:
    stored = get_setting(SETUP_CODE_KEY)
    if not stored or not isinstance(code, str):
        return False
    typed = code.replace("-", "").replace(" ", "").upper()
    return hmac.compare_digest(hashlib.sha256(typed.encode()).hexdigest(), str(stored.get("sha256", "")))
