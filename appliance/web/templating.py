"""What every template sees: the navigation, the system selector's state, the vocabulary and time formatters."""

from __future__ import annotations

from datetime import tzinfo
from typing import Mapping

from flask import Flask, current_app, g, request, session

from appliance import timefmt, vocabulary
from appliance.alerts import kinds as alert_kinds
from appliance.catalog import systems
from appliance.clock import now_ms

#: The navigation, in order: (endpoint, label). A later page adds itself here.
NAV = [("dashboard.dashboard", "Home"), ("energy.energy", "Energy"), ("energy.history", "History"),
       ("devices.devices_list", "Devices"), ("status.status_page", "Status"), ("discovery.discovery", "Discovery"),
       ("config.overview", "Configuration"), ("settings.settings", "Settings")]


def all_systems() -> list[systems.SystemRow]:
    """Every system, read once per request."""
    if "systems" not in g:
        g.systems = systems.list_systems()
    found: list[systems.SystemRow] = g.systems
    return found


def current_system() -> systems.SystemRow | None:
    """The system the header selector scopes pages to: the chosen one, else the first."""
    found = all_systems()
    chosen = request.args.get("system_id") or session.get("system_id")
    return next((s for s in found if s["system_id"] == chosen), found[0] if found else None)


def current_system_id() -> str | None:
    """The selected system's id, or None when there is no system."""
    system = current_system()
    return system["system_id"] if system else None


def system_zone() -> tzinfo:
    """The selected system's time zone (UTC when there is none)."""
    system = current_system()
    return timefmt.zone_of(system["timezone"] if system else None)


def fmt_ts(value: object, seconds: bool = False) -> str:
    """An instant as local date and time of the selected system: '2026-05-14 13:05'."""
    return timefmt.datetime_text(value, system_zone(), seconds=seconds)


def fmt_age(value: object) -> str:
    """How long ago: '4 s ago'."""
    return timefmt.age_text(value, now_ms())


def stringify(values: Mapping[str, object]) -> dict[str, str]:
    """Values as form input text (None becomes empty)."""
    return {k: "" if v is None else str(v) for k, v in values.items()}


def words(value: object) -> str:
    """A machine word ('self_check', 'battery_pack') as people read it ('self check', 'battery pack')."""
    if value is None or value == "":
        return vocabulary.DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("_", " ")


def alerts_summary() -> dict[str, object] | None:
    """The bell's figures (active, unacknowledged, worst severity), or None when no alerts service runs here."""
    service = current_app.config.get("ALERTS")
    if service is None:
        return None
    if "alerts_summary" not in g:
        g.alerts_summary = service.summary()
    return dict(g.alerts_summary)


def init_templates(app: Flask) -> None:
    """Register the globals and filters."""
    app.jinja_env.globals.update(nav=NAV, all_systems=all_systems, current_system=current_system, now_ms=now_ms,
                                 label=vocabulary.label, label_unit=vocabulary.label_with_unit,
                                 facts=vocabulary.facts, DASH=vocabulary.DASH, alerts_summary=alerts_summary,
                                 alert_label=alert_kinds.label)
    app.jinja_env.filters.update(
        ts=fmt_ts, age=fmt_age, ago=timefmt.ago_text, duration=timefmt.duration_text,
        ago_from=timefmt.age_text, duration_s=lambda s: timefmt.duration_text(s * 1000 if s is not None else None), num=vocabulary.number, power=vocabulary.power, stringify=stringify, words=words,
        value=lambda v, key, kind=None: vocabulary.format_value(key, v, kind),
        date=lambda v: timefmt.date_text(v, system_zone()), clock=lambda v: timefmt.time_text(v, system_zone()),
        zip_pairs=lambda values: [(v, v) for v in values])
