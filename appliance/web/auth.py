"""First-run setup, login and logout."""

from __future__ import annotations

import posixpath
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from appliance.accounts import passwords
from appliance.catalog import systems
from appliance.catalog.localization import CURRENCIES
from appliance.errors import ApplianceError
from appliance.validation import check_currency, check_timezone
from appliance.web import security
from appliance.web.entities import timezone_choices
from appliance.web.htmx import hx_redirect

bp = Blueprint("auth", __name__)


def _too_many(exc: security.TooManyAttempts) -> tuple[str, dict[str, str]]:
    return f"Too many failed attempts. Try again in {exc.retry_after} s.", {"Retry-After": str(exc.retry_after)}


def _safe_next(target: str | None) -> str:
    """A local path to go to after login, else the dashboard: an open redirect would help phishing."""
    if target and ("\r" in target or "\n" in target):
        abort(400, description="next must not contain line breaks")
    # Browsers drop tabs and newlines and read "\\" as "/", so "/\t/evil" or "/\\evil" would leave the box.
    if not target or "\\" in target or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return url_for("dashboard.dashboard")
    parts = urlsplit(target)
    path = posixpath.normpath(parts.path) if parts.path.startswith("/") else ""
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//"):
        return url_for("dashboard.dashboard")
    return urlunsplit(("", "", path, parts.query, parts.fragment))


def _home() -> systems.SystemRow | None:
    """The one system a first run asks the time zone and currency of (None when there are several or none)."""
    found = systems.list_systems()
    return found[0] if len(found) == 1 else None


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> ResponseReturnValue:
    """First run: set the admin password (with the setup code from the journal when one was issued), and the
    home's time zone and currency (proposed: the machine's own)."""
    if not passwords.is_first_run():
        return redirect(url_for("auth.login"))
    errors: dict[str, str] = {}
    home = _home()
    values = {"timezone": home["timezone"], "currency": home["currency"]} if home else {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("timezone", "currency")} if home else {}
        try:
            with security.limiter(current_app).attempt(security.login_keys("setup")) as attempt:
                try:
                    if home:  # checked first, so a bad zone sets no password
                        check_timezone(values["timezone"])
                        check_currency(values["currency"])
                    passwords.set_initial_password(request.form.get("password"), request.form.get("confirmation"),
                                                   request.form.get("setup_code"))
                except ApplianceError as exc:
                    attempt.outcome = "fail" if exc.field == "setup_code" else "neutral"
                    errors[exc.field or "password"] = exc.message
                else:
                    attempt.outcome = "ok"
        except security.TooManyAttempts as exc:
            message, headers = _too_many(exc)
            return render_template("setup.html", errors={"setup_code": message}, code_needed=passwords.setup_code_pending(),
                                   min_length=passwords.MIN_LENGTH, home=home, values=values,
                                   zones=timezone_choices(None), currencies=CURRENCIES), 429, headers
        if not errors:
            if home:  # only the one setup that won sets the home's zone and currency
                systems.update_system(home["system_id"], **values)
            security.log_in()
            return hx_redirect(url_for("dashboard.dashboard"))
    return render_template("setup.html", errors=errors, code_needed=passwords.setup_code_pending(),
                           min_length=passwords.MIN_LENGTH, home=home, values=values,
                           zones=timezone_choices(None), currencies=CURRENCIES), 400 if errors else 200


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Log in with the admin password; 5 failures a minute per client, then 429."""
    if passwords.is_first_run():
        return redirect(url_for("auth.setup"))
    target = request.values.get("next", "")
    if request.method == "GET":
        return render_template("login.html", error=None, next=target)
    destination = _safe_next(target)
    try:
        with security.limiter(current_app).attempt(security.login_keys()) as attempt:
            if passwords.verify_password(request.form.get("password", "")):
                attempt.outcome = "ok"
    except security.TooManyAttempts as exc:
        message, headers = _too_many(exc)
        return render_template("login.html", error=message, next=target), 429, headers
    if attempt.outcome == "ok":
        security.log_in()
        return hx_redirect(destination)
    return render_template("login.html", error="Wrong password.", next=target), 401


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the session."""
    security.log_out()
    return hx_redirect(url_for("auth.login"))
