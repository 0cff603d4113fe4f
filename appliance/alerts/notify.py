"""Notification channels: a webhook (JSON POST), an ntfy topic (POST), email (smtplib, STARTTLS).

The channels' settings live in app_settings under `alerts.notify.*`; the password and the ntfy token
are shown masked. Each sender makes one attempt with a timeout and raises DeliveryError naming what
went wrong; the outbox (outbox.py) retries with backoff.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone
from email.message import EmailMessage
from types import ModuleType
from typing import Any, Callable, Mapping
from urllib.parse import urlparse

from appliance.alerts import kinds
from appliance.clock import iso_ms
from appliance.errors import ApplianceError, ValidationError
from appliance.jsontypes import Json
from appliance.store import alerts as store
from appliance.store.alerts import AlertRecord

PREFIX = "alerts.notify."
CHANNELS = ("webhook", "ntfy", "email")
SECURITY = ("starttls", "ssl", "none")
SECRET_FIELDS = ("ntfy_token", "smtp_password")
MASK = "•" * 8
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+$")
_HOST = re.compile(r"^[A-Za-z0-9.:\-\[\]]{1,253}$")


class DeliveryError(ApplianceError):
    """A notification could not be delivered (the receiver refused it or could not be reached)."""

    code = "delivery_failed"


@dataclass(frozen=True)
class ChannelSettings:
    """Where notifications go; an empty field turns its channel off."""

    min_severity: str = "warning"
    webhook_url: str = ""
    ntfy_url: str = ""
    ntfy_token: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    smtp_to: str = ""

    def enabled(self) -> list[str]:
        """The channels that are set up."""
        return [name for name, on in (("webhook", self.webhook_url), ("ntfy", self.ntfy_url),
                                      ("email", self.smtp_host and self.smtp_to)) if on]

    def shown(self) -> Json:
        """The settings for a form or the API: secrets masked."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in SECRET_FIELDS:
            out[name] = MASK if out[name] else ""
        return out


@dataclass(frozen=True)
class Notice:
    """One message to send: an alert that opened, closed or came back, or a test."""

    event: str  # opened, reopened, closed, test
    alert: AlertRecord
    appliance: str = "Appliance"

    @property
    def title(self) -> str:
        """The subject line: '[Home] Grid outage' or '[Home] Resolved: Grid outage'."""
        prefix = {"closed": "Resolved: ", "test": "Test: ", "reopened": "Again: "}.get(self.event, "")
        return f"[{self.appliance}] {prefix}{kinds.label(self.alert.kind)}"

    @property
    def text(self) -> str:
        """The body in words."""
        alert = self.alert
        if self.event == "closed":
            return f"Resolved: {alert.message}"
        if self.event == "test":
            return "This is a test notification from the appliance. Alerts will arrive like this."
        return alert.message

    def payload(self) -> Json:
        """The webhook's JSON body."""
        a = self.alert
        return {"event": self.event, "appliance": self.appliance, "title": self.title, "text": self.text,
                "alert": {"id": a.alert_id, "kind": a.kind, "label": kinds.label(a.kind), "severity": a.severity,
                          "device_id": a.device_id, "system_id": a.system_id, "entity": a.entity,
                          "message": a.message, "details": dict(a.details), "started_at": iso_ms(a.started_at),
                          "ended_at": iso_ms(a.ended_at), "active": a.active}}


def test_notice(appliance: str, now_ms: int) -> Notice:
    """The notice a "send test" button sends."""
    alert = AlertRecord(0, "test", "test", "info", "Test notification", now_ms, now_ms)
    return Notice("test", alert, appliance)


def load_channels() -> ChannelSettings:
    """The stored channel settings over the defaults."""
    stored = store.read_settings(PREFIX)
    values: dict[str, Any] = {}  # the dataclass's fields, each checked against its default's type
    for f in fields(ChannelSettings):
        value = stored.get(PREFIX + f.name)
        if value is not None and isinstance(value, type(getattr(ChannelSettings(), f.name))):
            values[f.name] = value
    return ChannelSettings(**values)


def _url(value: str, field: str) -> str:
    if not value:
        return ""
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or any(c.isspace() for c in value):
        raise ValidationError("must be an http:// or https:// URL", field=field)
    return value


def check_channels(form: Mapping[str, Any], current: ChannelSettings) -> ChannelSettings:
    """The settings a form asks for, checked; a masked secret left as shown keeps the stored one."""
    known = {f.name for f in fields(ChannelSettings)}
    values: dict[str, Any] = {}
    for key, raw in form.items():
        name = key.removeprefix(PREFIX)
        if name not in known:
            raise ValidationError(f"unknown notification setting {key!r}", field=key)
        text = (raw if isinstance(raw, str) else "" if raw is None else str(raw)).strip()
        if len(text) > 500:
            raise ValidationError("is longer than 500 characters", field=PREFIX + name)
        values[name] = text
    for name in SECRET_FIELDS:
        if values.get(name) == MASK:
            values[name] = getattr(current, name)
    out = replace(current, **{k: v for k, v in values.items() if k != "smtp_port"})
    if "smtp_port" in values:
        try:
            port = int(values["smtp_port"] or 587)
        except ValueError:
            raise ValidationError("must be a port number", field=PREFIX + "smtp_port") from None
        if not 1 <= port <= 65535:
            raise ValidationError("must be a port number from 1 to 65535", field=PREFIX + "smtp_port")
        out = replace(out, smtp_port=port)
    if out.min_severity not in kinds.SEVERITIES:
        raise ValidationError(f"must be one of {', '.join(kinds.SEVERITIES)}", field=PREFIX + "min_severity")
    if out.smtp_security not in SECURITY:
        raise ValidationError(f"must be one of {', '.join(SECURITY)}", field=PREFIX + "smtp_security")
    _url(out.webhook_url, PREFIX + "webhook_url")
    _url(out.ntfy_url, PREFIX + "ntfy_url")
    if out.smtp_host and not _HOST.match(out.smtp_host):
        raise ValidationError("must be a host name or address", field=PREFIX + "smtp_host")
    if out.smtp_from and not _EMAIL.match(out.smtp_from):
        raise ValidationError("must be an email address", field=PREFIX + "smtp_from")
    bad = [a for a in _recipients(out.smtp_to) if not _EMAIL.match(a)]
    if bad:
        raise ValidationError(f"{bad[0]!r} is not an email address", field=PREFIX + "smtp_to")
    if out.smtp_host and not (out.smtp_from and out.smtp_to):
        raise ValidationError("email needs a sender and at least one recipient", field=PREFIX + "smtp_to")
    return out


def save_channels(form: Mapping[str, Any], now_ms: int) -> ChannelSettings:
    """Check and store the channel settings; the settings after it."""
    checked = check_channels(form, load_channels())
    stamp = datetime.fromtimestamp(now_ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    store.write_settings({PREFIX + f.name: getattr(checked, f.name) for f in fields(checked)}, stamp)
    return load_channels()


def _recipients(text: str) -> list[str]:
    return [a.strip() for a in re.split(r"[,;\s]+", text or "") if a.strip()]


def _http() -> ModuleType:
    """`requests`, imported when a notice is sent: about 5 MB resident that a box without channels never needs."""
    import requests

    return requests


def send_webhook(channels: ChannelSettings, notice: Notice, timeout_s: float) -> None:
    """POST the notice as JSON; anything but a 2xx answer is a failure."""
    http = _http()
    try:
        answer = http.post(channels.webhook_url, json=notice.payload(), timeout=timeout_s,
                               headers={"User-Agent": "appliance-alerts"})
    except http.RequestException as exc:
        raise DeliveryError(f"webhook: {type(exc).__name__}: {exc}") from exc
    if not 200 <= answer.status_code < 300:
        raise DeliveryError(f"webhook answered {answer.status_code}")


def send_ntfy(channels: ChannelSettings, notice: Notice, timeout_s: float) -> None:
    """POST the text to the ntfy topic URL with its title, priority and tags as ntfy's headers."""
    priority = {"critical": "5", "warning": "4"}.get(notice.alert.severity, "3")
    tags = "white_check_mark" if notice.event == "closed" else {"critical": "rotating_light"}.get(
        notice.alert.severity, "warning")
    headers = {"Title": notice.title.encode("utf-8").decode("latin-1", "replace"), "Priority": priority,
               "Tags": tags, "User-Agent": "appliance-alerts"}
    if channels.ntfy_token:
        headers["Authorization"] = f"Bearer {channels.ntfy_token}"
    http = _http()
    try:
        answer = http.post(channels.ntfy_url, data=notice.text.encode("utf-8"), headers=headers,
                               timeout=timeout_s)
    except http.RequestException as exc:
        raise DeliveryError(f"ntfy: {type(exc).__name__}: {exc}") from exc
    if not 200 <= answer.status_code < 300:
        raise DeliveryError(f"ntfy answered {answer.status_code}")


def send_email(channels: ChannelSettings, notice: Notice, timeout_s: float) -> None:
    """Send the notice by SMTP: STARTTLS (or TLS from the start, or plain on a trusted relay), then login."""
    message = EmailMessage()
    message["Subject"], message["From"] = notice.title, channels.smtp_from
    message["To"] = ", ".join(_recipients(channels.smtp_to))
    message.set_content(notice.text)
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if channels.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(channels.smtp_host, channels.smtp_port, timeout=timeout_s, context=context)
        else:
            client = smtplib.SMTP(channels.smtp_host, channels.smtp_port, timeout=timeout_s)
        with client:
            if channels.smtp_security == "starttls":
                client.starttls(context=context)
            if channels.smtp_user:
                client.login(channels.smtp_user, channels.smtp_password)
            client.send_message(message)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"email: {type(exc).__name__}: {exc}") from exc


SENDERS: dict[str, Callable[[ChannelSettings, Notice, float], None]] = {
    "webhook": send_webhook, "ntfy": send_ntfy, "email": send_email}
