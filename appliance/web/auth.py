"""First-run setup, login and logout."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from appliance.accounts import passwords
from appliance.catalog import systems
from appliance.catalog.localization import CURRENCIES
from appliance.catalog.validation import check_currency, check_timezone
from appliance.errors import ApplianceError
from appliance.web import security
from appliance.web.entities import timezone_choices
from appliance.web.htmx import hx_redirect

bp = Blueprint("auth", __name__)


def _limited() -> tuple[str, int, dict[str, str]] | None:
    wait = security.limiter(current_app).retry_after(security.client_key())
    if not wait:
        return None
    body = render_template("login.html", error=f"Too many failed attempts. Try again in {wait} s.",
                           next=request.args.get("next", ""))
    return body, 429, {"Retry-After": str(wait)}


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect after login would help phishing.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("dashboard.dashboard")


def _home() -> dict[str, Any] | None:
    """The one system a first run asks the time zone and currency of (None when there are several or none)."""
    found = systems.list_systems()
    return found[0] if len(found) == 1 else None


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> Any:
    """First run: set the admin password (with the setup code from the journal when one was issued), and the
    home's time zone and currency (proposed: the machine's own)."""
    if not passwords.is_first_run():
        return redirect(url_for("auth.login"))
    errors: dict[str, str] = {}
    home = _home()
    values = {"timezone": home["timezone"], "currency": home["currency"]} if home else {}
    if request.method == "POST":
        limited = _limited()
        if limited:
            return limited
        values = {k: request.form.get(k, "") for k in ("timezone", "currency")} if home else {}
        try:
            if home:  # checked first, so a bad zone sets no password
                check_timezone(values["timezone"])
                check_currency(values["currency"])
            passwords.set_initial_password(request.form.get("password"), request.form.get("confirmation"),
                                           request.form.get("setup_code"))
        except ApplianceError as exc:
            if exc.field == "setup_code":
                security.limiter(current_app).fail(security.client_key())
            errors[exc.field or "password"] = exc.message
        else:
            if home:
                systems.update_system(home["system_id"], **values)
            security.log_in()
            return hx_redirect(url_for("dashboard.dashboard"))
    return render_template("setup.html", errors=errors, code_needed=passwords.setup_code_pending(),
                           min_length=passwords.MIN_LENGTH, home=home, values=values,
                           zones=timezone_choices(None), currencies=CURRENCIES), 400 if errors else 200


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Log in with the admin password; 5 failures a minute per client, then 429."""
    if passwords.is_first_run():
        return redirect(url_for("auth.setup"))
    target = request.values.get("next", "")
    if request.method == "GET":
        return render_template("login.html", error=None, next=target)
    limited = _limited()
    if limited:
        return limited
    if passwords.verify_password(request.form.get("password", "")):
        security.limiter(current_app).reset(security.client_key())
        security.log_in()
        return hx_redirect(_safe_next(target))
    security.limiter(current_app).fail(security.client_key())
    return render_template("login.html", error="Wrong password.", next=target), 401


@bp.post("/logout")
def logout() -> Any:
    """End the session."""
    security.log_out()
    return hx_redirect(url_for("auth.login"))
