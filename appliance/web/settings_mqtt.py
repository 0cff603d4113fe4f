"""Settings: MQTT and Home Assistant (broker, TLS files, topics, commands), with the link's live status.

Routes on the settings blueprint (settings_pages.py holds the page). The password is write-only: the
page says whether one is stored and never shows it; an empty field keeps it.
"""

from __future__ import annotations

from typing import Any, Mapping

from flask import current_app, request
from flask.typing import ResponseReturnValue

from appliance.errors import ApplianceError
from appliance.mqtt import settings as mqtt_settings
from appliance.web.settings_pages import bp, page, section

PROTOCOL_CHOICES = [("3.1.1", "MQTT 3.1.1"), ("5", "MQTT 5")]
TEXT_FIELDS = ("url", "username", "password", "protocol", "ca_file", "client_cert", "client_key",
               "discovery_prefix", "topic_base")


@section
def mqtt_context() -> dict[str, object]:
    """What the MQTT section shows: the stored settings (no password) and the running link's status."""
    stored = mqtt_settings.describe()
    status_of = current_app.config.get("MQTT_STATUS")
    form = {f"mqtt.{key}": "" if stored.get(key) is None else str(stored[key])
            for key in ("url", "username", "protocol", "ca_file", "client_cert", "client_key", "discovery_prefix",
                        "topic_base", "queue_size")}
    # The URL field holds the broker; the user has a field of its own.
    form["mqtt.url"] = stored["url"].replace(f"{_quoted(stored['username'])}@", "", 1) if stored["username"] \
        else stored["url"]
    form["mqtt.enabled"] = "on" if stored["enabled"] else ""
    form["mqtt.commands"] = "on" if stored["commands"] else ""
    return {"mqtt": stored, "mqtt_form": form, "mqtt_status": status_of() if status_of else None,
            "mqtt_protocols": PROTOCOL_CHOICES}


def _quoted(user: str) -> str:
    from urllib.parse import quote

    return quote(user, safe="")


def values_from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The form's fields as the settings take them: checkboxes as booleans, empty text as 'not set'."""
    values: dict[str, Any] = {"enabled": form.get("mqtt.enabled") == "on",
                              "commands": form.get("mqtt.commands") == "on"}
    for key in TEXT_FIELDS:
        if f"mqtt.{key}" in form:
            values[key] = form[f"mqtt.{key}"].strip() or None
    if form.get("mqtt.queue_size", "").strip():
        text = form["mqtt.queue_size"].strip()
        values["queue_size"] = int(text) if text.isdigit() else text
    if values.get("url") is None:
        values["url"] = ""
    return values


@bp.post("/settings/mqtt")
def mqtt() -> ResponseReturnValue:
    """Save the MQTT settings; the running link picks them up within seconds (no restart)."""
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        if form.get("mqtt.forget_password") == "on":
            mqtt_settings.clear_password()
        mqtt_settings.update(values_from_form(form), prefix="mqtt.")
    except ApplianceError as exc:
        field = exc.field if exc.field and exc.field.startswith("mqtt.") else "mqtt.url"
        # Shown beside its field: the field's name in front of the message would say it twice.
        message = exc.message.removeprefix(f"{field}: ").removeprefix(f"{field} ")
        return page(400, errors={field: message}, mqtt_form={**form, "mqtt.password": ""})
    return page(notice="MQTT settings saved; the link reconnects with them within 10 s.")
