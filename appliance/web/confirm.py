"""The second step of every destructive action, on the server: a page that says what will go, then a token.

A first click (a link or a plain POST) shows `confirm.html` with the consequences. Only a POST carrying the
token made for that page, for that action, that subject and the same consequences runs the action; when
the consequences changed meanwhile, the page is shown again. Dangerous actions also need the password.
Works without JavaScript; later pages reuse `Confirmation` for their own destructive actions.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue

from appliance.web import security
from appliance.web.security import csrf_token

FIELD, PASSWORD_FIELD = "confirm", "password"


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation page shows and which token and password its form must carry."""

    action: str  # e.g. "delete", "import-replace": part of the token, so one token cannot confirm another action
    subject: str  # what is acted on, e.g. "inverter:inv1"
    title: str
    url: str  # where the confirming form posts
    cancel_url: str
    button: str
    removes: tuple[str, ...] = ()
    keeps: tuple[str, ...] = ()
    note: str = ""
    fingerprint: str = ""  # of the consequences: a change makes an old token invalid
    password: bool = False
    options: tuple[dict[str, Any], ...] = field(default=())  # extra checkboxes: name, label, checked

    def token(self) -> str:
        """The token a confirming form carries: bound to the session, the action, the subject, the consequences."""
        key = str(current_app.secret_key).encode()
        message = "|".join((csrf_token(), self.action, self.subject, self.fingerprint)).encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def confirmed(self) -> bool:
        """Whether this request carries the right token (it is a POST from this confirmation page)."""
        given = request.form.get(FIELD, "")
        return request.method == "POST" and bool(given) and hmac.compare_digest(given, self.token())

    def page(self, status: int = 200, error: str | None = None) -> ResponseReturnValue:
        """The confirmation page."""
        return render_template("confirm.html", c=self, token=self.token(), error=error), status


def run(confirmation: Confirmation, action: Any) -> ResponseReturnValue:
    """Show the confirmation, or run `action()` when this request confirms it (and the password is right)."""
    if request.method != "POST" or not request.form.get(FIELD):
        # A first click (GET, or a POST from an old page without the token): say what would happen.
        return confirmation.page(200 if request.method == "GET" else 400)
    if not confirmation.confirmed():
        return confirmation.page(409, "What this removes has changed since the page was shown. Check it again.")
    if confirmation.password:
        # Typing the password here is a login attempt: it shares the login's rate limit.
        try:
            ok = security.password_attempt(request.form.get(PASSWORD_FIELD, ""))
        except security.TooManyAttempts as exc:
            return confirmation.page(429, f"Too many wrong passwords. Try again in {exc.retry_after} s.")
        if not ok:
            return confirmation.page(403, "That is not the password. Nothing was changed.")
    return action()
