"""The alerts pages: active alerts then history, acknowledgement, the bell, rule and notification settings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from appliance.alerts import kinds, notify
from appliance.alerts import settings as alert_settings
from appliance.alerts.notify import DeliveryError
from appliance.errors import ApplianceError, ValidationError
from appliance.web.api_alerts import parse_id, service, who
from appliance.web.htmx import hx_redirect
from appliance.web.templating import stringify, system_zone
from appliance.web.timerange import parse_date

bp = Blueprint("alerts", __name__)
HISTORY_DAYS = 30
HISTORY_ROWS = 200


def _history_window() -> tuple[date, date, int, int]:
    """The history's first and last local day (default: the last 30 days) and their bounds in ms."""
    zone = system_zone()
    today = _today(zone)
    last = parse_date(request.args["to"], "to") if request.args.get("to") else today
    first = parse_date(request.args["from"], "from") if request.args.get("from") else last - timedelta(
        days=HISTORY_DAYS - 1)
    if last < first:
        raise ValidationError("the last day must not be before the first", field="to")
    start = int(datetime.combine(first, time(), zone).timestamp() * 1000)
    end = int(datetime.combine(last + timedelta(days=1), time(), zone).timestamp() * 1000)
    return first, last, start, end


def _part(alert: Any) -> str:
    device_kind = alert.device_id.split(":", 1)[0] if alert.device_id and ":" in alert.device_id else None
    return kinds.part_of(alert.kind, device_kind)


@bp.get("/alerts")
def alerts_page() -> ResponseReturnValue:
    """Active alerts first (worst first), then the history of the chosen days, with acknowledgement."""
    errors: dict[str, str] = {}
    try:
        first, last, start, end = _history_window()
    except ValidationError as exc:
        errors[exc.field or "from"] = exc.message
        first, last, start, end = _default_window()
    active = service().active()
    found = service().history(start, end, HISTORY_ROWS)
    history = [a for a in found if not a.active]
    return render_template("alerts.html", active=active, history=history, first=first, last=last, errors=errors,
                           part=_part, more=len(found) >= HISTORY_ROWS)


def _today(zone: Any) -> date:
    """Today in the system's zone, by the alerts' own clock (the demo's virtual clock included)."""
    return datetime.fromtimestamp(service().clock() / 1000, zone).date()


def _default_window() -> tuple[date, date, int, int]:
    zone = system_zone()
    last = _today(zone)
    first = last - timedelta(days=HISTORY_DAYS - 1)
    return (first, last, int(datetime.combine(first, time(), zone).timestamp() * 1000),
            int(datetime.combine(last + timedelta(days=1), time(), zone).timestamp() * 1000))


@bp.post("/alerts/<alert_id>/ack")
def acknowledge(alert_id: str) -> ResponseReturnValue:
    """Acknowledge one alert, then back to where the button was (the alerts page or the dashboard)."""
    service().acknowledge(parse_id(alert_id), who())
    back = request.form.get("back", "")
    safe = back.startswith("/") and not back.startswith("//") and "\\" not in back and "\n" not in back
    return hx_redirect(back if safe else url_for("alerts.alerts_page"))


@bp.get("/alerts/bell")
def bell() -> ResponseReturnValue:
    """The header's bell (htmx refreshes it every 30 s)."""
    return render_template("_bell.html")


def settings_page(status: int = 200, **extra: object) -> ResponseReturnValue:
    """The rules' thresholds and holds, and the notification channels with their test buttons."""
    stored = alert_settings.load()  # what the owner set: this run's overrides (a demo's) are shown apart
    values = {key: f"{stored.values[key]:g}" for key in alert_settings.PARAMS}
    overrides = [(alert_settings.PARAMS[k], v) for k, v in service().overrides.items() if k in alert_settings.PARAMS]
    channels = notify.load_channels()
    context = {"rules": alert_settings.RULES, "values": values, "errors": {}, "notice": None,
               "channels": stringify(channels.shown()), "enabled": channels.enabled(),
               "severities": [(s, s) for s in kinds.SEVERITIES], "security": [(s, s) for s in notify.SECURITY],
               "rule_label": _rule_label, "channel_status": service().outbox.status, "overrides": overrides}
    context.update(extra)
    return render_template("alert_settings.html", **context), status


def _rule_label(rule: str) -> str:
    """A rule's name on the settings page: its kind's label (the two temperature kinds share one rule)."""
    return {"pack_temperature": "Battery temperature", "general": "Flapping"}.get(rule) or kinds.label(rule)


@bp.get("/alerts/settings")
def alert_settings_page() -> ResponseReturnValue:
    """Alert rules and notifications."""
    return settings_page()


@bp.post("/alerts/settings/rules")
def save_rules() -> ResponseReturnValue:
    """Store thresholds and hold times (all or nothing; an empty field is the default)."""
    form = {key: request.form[key] for key in alert_settings.PARAMS if key in request.form}
    try:
        service().save_rule_settings(form)
    except ApplianceError as exc:
        return settings_page(400, errors={exc.field or "rules": exc.message}, values=dict(form))
    return settings_page(notice="Alert rules saved; they apply at once.")


@bp.post("/alerts/settings/notifications")
def save_notifications() -> ResponseReturnValue:
    """Store where notifications go."""
    form = {k: v for k, v in request.form.items() if k.startswith(notify.PREFIX)}
    try:
        notify.save_channels(form, service().clock())
    except ApplianceError as exc:
        shown = {k.removeprefix(notify.PREFIX): v for k, v in form.items()}
        return settings_page(400, errors={exc.field or "notify": exc.message}, channels=shown)
    return settings_page(notice="Notification settings saved.")


@bp.post("/alerts/settings/test/<channel>")
def send_test(channel: str) -> ResponseReturnValue:
    """Send a test notification by one channel now and say how it went."""
    if channel not in notify.CHANNELS:
        raise ValidationError(f"channel must be one of {', '.join(notify.CHANNELS)}", field="channel")
    try:
        service().send_test(channel)
    except DeliveryError as exc:
        return settings_page(502, errors={f"test-{channel}": exc.message})
    return settings_page(notice=f"Test sent by {channel}.")
