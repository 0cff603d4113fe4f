"""Who may do what: session login with idle timeout, CSRF, bearer tokens, login rate limit, headers."""

from __future__ import annotations

import hmac
import math
import secrets
import threading
import time
from collections import defaultdict, deque
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from flask import Flask, Response, current_app, g, jsonify, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from appliance.accounts import passwords, sessions, tokens
from appliance.web import htmx

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Endpoints that work without a login (they still need CSRF when they change state).
PUBLIC_ENDPOINTS = frozenset({"static", "favicon", "data.health", "data.openapi", "auth.setup", "auth.login"})
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
           "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin"}


class TooManyAttempts(Exception):
    """Over the failure limit while another slowed attempt is running: answer 429 and try again soon."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass
class Attempt:
    """One password (or setup code) check; the caller sets `outcome` to "ok", "fail" or "neutral"."""

    keys: tuple[str, ...]
    slowed: bool
    outcome: str = "fail"


class RateLimiter:
    """Failed logins counted per client and per account; over the limit, a short global delay, never a lockout.

    Up to `limit` failures a key (client address, account) in `window_s` are checked at once. Beyond
    that an attempt takes the one global slow lane: it waits `delay_s`, then is checked like any other,
    so the right password still logs in (the admin is never locked out by a guesser on the same
    address), while guessing is held to one try per `delay_s` for everyone. An attempt that finds the
    lane busy gets a 429 at once instead of tying up a web thread. Attempts in progress count against
    the limit, so a concurrent burst gets no more than `limit` quick checks.
    """

    def __init__(self, limit: int = 5, window_s: float = 60.0, delay_s: float = 2.0) -> None:
        self.limit, self.window_s, self.delay_s = limit, window_s, delay_s
        self.sleep: Callable[[float], Any] = time.sleep
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._running: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._lane = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        entries = self._failures[key]
        while entries and now - entries[0] >= self.window_s:
            entries.popleft()
        if not entries:
            self._failures.pop(key, None)  # bounded memory: only keys with recent failures stay
            return deque()
        return entries

    @contextmanager
    def attempt(self, keys: tuple[str, ...]) -> Iterator[Attempt]:
        """Check one attempt: at once while under the limit, else after the delay in the slow lane."""
        with self._lock:
            now = time.monotonic()
            quick = all(len(self._trim(k, now)) + self._running.get(k, 0) < self.limit for k in keys)
            if quick:
                for key in keys:
                    self._running[key] += 1
        if not quick and not self._lane.acquire(blocking=False):
            raise TooManyAttempts(max(1, math.ceil(self.delay_s)))
        attempt = Attempt(keys, slowed=not quick)
        try:
            if attempt.slowed:
                self.sleep(self.delay_s)
            yield attempt
        finally:
            with self._lock:
                for key in keys:
                    if quick:
                        self._running[key] -= 1
                        if not self._running[key]:
                            del self._running[key]
                    if attempt.outcome == "ok":
                        self._failures.pop(key, None)
                    elif attempt.outcome == "fail":
                        self._failures[key].append(time.monotonic())
            if attempt.slowed:
                self._lane.release()


def client_key() -> str:
    """The rate-limit key: the peer address (waitress is not behind a proxy)."""
    return request.remote_addr or "unknown"


def login_keys(account: str = passwords.ADMIN) -> tuple[str, ...]:
    """What a login attempt is counted against: this client and the account."""
    return (f"client:{client_key()}", f"account:{account}")


def password_attempt(password: str) -> bool:
    """Check the admin password again (a confirmation): a login attempt under the login's limits (TooManyAttempts)."""
    with limiter(current_app).attempt(login_keys()) as attempt:
        if passwords.verify_password(password):
            attempt.outcome = "ok"
    return attempt.outcome == "ok"


def csrf_token() -> str:
    """This session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def csrf_ok() -> bool:
    """Whether the request carries this session's CSRF token (form field or X-CSRF-Token header)."""
    expected = session.get("csrf")
    given = request.headers.get("X-CSRF-Token") or (request.form.get("csrf_token") if request.form else None)
    return bool(expected and given and hmac.compare_digest(str(expected), str(given)))


def log_in() -> None:
    """Start a fresh session for the admin (a new session id and CSRF token: no fixation)."""
    sessions.close_session(session.get("sid"))
    session.clear()
    session["user"] = passwords.ADMIN
    # The server-side id: logout and a password change delete it, so a saved copy of the cookie dies too.
    session["sid"] = sessions.open_session(passwords.ADMIN)
    session["pw"] = passwords.password_fingerprint()
    session["seen"] = time.time()
    session["csrf"] = secrets.token_urlsafe(32)


def log_out() -> None:
    """End the session, here and on the server."""
    sessions.close_session(session.get("sid"))
    session.clear()


def logged_in(idle_timeout_s: float) -> bool:
    """Whether the session is a live admin login; an idle, outdated or revoked session is ended here."""
    if session.get("user") != passwords.ADMIN:
        return False
    now = time.time()
    if now - float(session.get("seen", 0)) > idle_timeout_s or session.get("pw") != passwords.password_fingerprint() \
            or sessions.session_user(session.get("sid")) != passwords.ADMIN:
        session.clear()
        return False
    # Polling fragments (ids "poll-...") must not keep an unattended screen logged in.
    if not htmx.trigger_id().startswith("poll-"):
        session["seen"] = now
    return True


def error(status: int, code: str, message: str, **headers: str) -> Response:
    """A JSON error response in the API's shape."""
    response = jsonify({"error": {"code": code, "message": message, "field": None}})
    response.status_code = status
    response.headers.update(headers)
    return response


def _denied(status: int, code: str, message: str) -> ResponseReturnValue:
    if request.path.startswith("/api/") or request.method not in SAFE_METHODS:
        return error(status, code, message)
    if htmx.is_htmx():
        response = Response(status=status)
        response.headers["HX-Redirect"] = url_for("auth.login")
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _bearer(write: bool) -> Response | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not request.path.startswith("/api/"):
        return error(401, "unauthorized", "use 'Authorization: Bearer <token>' on /api routes",
                     **{"WWW-Authenticate": 'Bearer realm="appliance"'})
    token = tokens.authenticate(value.strip())
    if token is None:
        return error(401, "unauthorized", "unknown or revoked token",
                     **{"WWW-Authenticate": 'Bearer realm="appliance", error="invalid_token"'})
    if not tokens.scope_allows(token["scope"], write):
        return error(403, "forbidden", f"a {token['scope']} token cannot {'change' if write else 'read'} this",
                     **{"WWW-Authenticate": 'Bearer realm="appliance", error="insufficient_scope"'})
    g.token = token
    return None


def _scoped_token(scope: str) -> Response | None:
    """An endpoint that only a token of one scope may use (the sync feed): no session, no other scope."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return error(401, "unauthorized", f"use 'Authorization: Bearer <token>' with a {scope} token",
                     **{"WWW-Authenticate": 'Bearer realm="appliance"'})
    token = tokens.authenticate(value.strip())
    if token is None:
        return error(401, "unauthorized", "unknown or revoked token",
                     **{"WWW-Authenticate": 'Bearer realm="appliance", error="invalid_token"'})
    if token["scope"] != scope:
        return error(403, "forbidden", f"a {token['scope']} token cannot use this; use a {scope} token",
                     **{"WWW-Authenticate": 'Bearer realm="appliance", error="insufficient_scope"'})
    g.token = token
    return None


def require_token_scope(app: Flask, endpoint: str, scope: str) -> None:
    """Declare that only a token of `scope` may use an endpoint (the gate enforces it)."""
    app.config.setdefault("TOKEN_SCOPES", {})[endpoint] = scope


def gate() -> ResponseReturnValue | None:
    """The before-request check of every route: first run, login, CSRF, token scope."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no route: Flask answers 404 or 405
    write = request.method not in SAFE_METHODS
    g.token = None
    scope = current_app.config.get("TOKEN_SCOPES", {}).get(endpoint)
    if scope is not None:
        return _scoped_token(scope)
    if "Authorization" in request.headers:
        return _bearer(write)
    if write and not csrf_ok():
        return _denied(403, "csrf_failed", "missing or wrong CSRF token; reload the page")
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    if passwords.is_first_run():
        if write or request.path.startswith("/api/"):
            return error(401, "setup_required", "set the admin password first")
        return redirect(url_for("auth.setup"))
    if not logged_in(float(current_app.config["IDLE_TIMEOUT_S"])):
        return _denied(401, "unauthorized", "log in first")
    return None


def headers(response: Response) -> Response:
    """Security headers on every response."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html" or request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    """Install the gate, the headers and the template globals."""
    app.extensions["login_limiter"] = RateLimiter(int(app.config["LOGIN_FAILURES_PER_MINUTE"]), 60.0,
                                                  float(app.config["LOGIN_SLOW_DELAY_S"]))
    app.before_request(gate)
    app.after_request(headers)
    app.jinja_env.globals["csrf_token"] = csrf_token


def limiter(app: Any) -> RateLimiter:
    """The app's login rate limiter."""
    return app.extensions["login_limiter"]
