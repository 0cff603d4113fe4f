"""Settings: the page; password change, API tokens, retention, upstream sync, recovery events.

The home's time zone and currency, tariffs and discovery are in settings_home.py, MQTT in settings_mqtt.py,
on this blueprint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from appliance.accounts import app_settings, passwords, tokens
from appliance.catalog import events
from appliance.errors import ApplianceError
from appliance.web import running, security
from appliance.web.htmx import hx_redirect

if TYPE_CHECKING:  # the sync service is imported when the page asks for it
    from appliance.sync.push import Backlog

bp = Blueprint("settings", __name__)
#: What a section of the page (settings_home.py, settings_mqtt.py) adds to its context.
Section = Callable[[], dict[str, object]]
_SECTIONS: list[Section] = []
RETENTION_LABELS = {"retention.raw_days": "Every reading (days)",
                    "retention.five_minute_days": "5-minute averages (days, 0 = forever)",
                    "retention.thirty_minute_days": "30-minute meter periods (days, 0 = forever)",
                    "retention.hourly_days": "Hourly energy (days, 0 = forever)",
                    "retention.daily_days": "Daily energy (days, 0 = forever)",
                    "retention.alerts_days": "Alerts that ended (days, 0 = forever)"}


def _sync_backlog() -> Backlog:
    """What waits to be pushed to the headend, as the running link sees it (its last error and backoff)."""
    from appliance.sync.push import PushClient

    reader = running.present("SYNC_BACKLOG")
    # A process without the link (a UI alone) still shows what is stored: the backlog and the last push.
    return reader() if reader is not None else PushClient().backlog()


def section(context: Section) -> Section:
    """Register a section's part of the page's context (a decorator, as `bp.post` is for its routes): the
    sections' modules import this one, and this one needs none of them."""
    _SECTIONS.append(context)
    return context


def page(status: int = 200, **extra: object) -> ResponseReturnValue:
    """The settings page, with `extra` (errors, notice, what a failed form held) on top."""
    context: dict[str, object] = {}
    for part in _SECTIONS:
        context.update(part())
    context |= {"discovery_form": None, "tokens": tokens.list_tokens(), "scopes": tokens.SCOPES,
                "retention": app_settings.retention(), "retention_labels": RETENTION_LABELS,
                "sync": app_settings.sync_settings(), "sync_backlog": _sync_backlog(),
                "events": events.recent(limit=50), "errors": {}, "min_length": passwords.MIN_LENGTH,
                "new_token": None, "notice": None, "form": {}}
    context.update(extra)
    return render_template("settings.html", **context), status


@bp.get("/settings")
def settings() -> ResponseReturnValue:
    """The settings page."""
    return page()


@bp.post("/settings/password")
def change_password() -> ResponseReturnValue:
    """Change the admin password (current password required); this session stays logged in."""
    try:
        passwords.change_password(request.form.get("current_password"), request.form.get("password"),
                                  request.form.get("confirmation"))
    except ApplianceError as exc:
        return page(400, errors={exc.field or "password": exc.message})
    security.log_in()  # other sessions end: their password fingerprint no longer matches
    return page(notice="Password changed.")


@bp.post("/settings/tokens")
def create_token() -> ResponseReturnValue:
    """Create an API token; the page shows it once."""
    try:
        token, row = tokens.create_token(request.form.get("name", "").strip(), request.form.get("scope"))
    except ApplianceError as exc:
        return page(400, errors={exc.field or "name": exc.message}, form=request.form)
    return page(new_token={"token": token, **row})


@bp.post("/settings/tokens/<name>/revoke")
def revoke_token(name: str) -> ResponseReturnValue:
    """Revoke an API token."""
    try:
        tokens.revoke_token(name)
    except ApplianceError as exc:
        return page(404, notice=exc.message)
    return hx_redirect(url_for("settings.settings"))


@bp.post("/settings/retention")
def retention() -> ResponseReturnValue:
    """Store how long each table family is kept."""
    try:
        app_settings.set_retention({k: request.form.get(k) for k in RETENTION_LABELS if k in request.form})
    except ApplianceError as exc:
        return page(400, errors={exc.field or "retention": exc.message}, form=request.form)
    return page(notice="Retention saved.")


@bp.post("/settings/sync")
def sync() -> ResponseReturnValue:
    """Store the upstream sync settings (an empty token keeps the stored one)."""
    try:
        app_settings.set_sync_settings(request.form.get("sync.url"), request.form.get("sync.appliance_id"),
                                       request.form.get("sync.token"))
    except ApplianceError as exc:
        return page(400, errors={exc.field or "sync.url": exc.message}, form=request.form)
    return page(notice="Sync settings saved.")
