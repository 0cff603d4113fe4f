"""What every template sees: the system selector's state, formatting filters, the CSRF token."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g, request, session

from appliance.catalog import systems

NAV = (("pages.dashboard", "Dashboard"), ("pages.history", "History"), ("pages.energy", "Energy"),
       ("devices.devices_list", "Devices"), ("devices.discovery", "Discovery"), ("config.overview", "Configuration"),
       ("settings.settings", "Settings"))


def all_systems() -> list[dict[str, Any]]:
    """Every system, read once per request."""
    if "systems" not in g:
        g.systems = systems.list_systems()
    return g.systems


def current_system() -> dict[str, Any] | None:
    """The system the header selector scopes pages to: the chosen one, else the first."""
    found = all_systems()
    chosen = request.args.get("system_id") or session.get("system_id")
    return next((s for s in found if s["system_id"] == chosen), found[0] if found else None)


def current_system_id() -> str | None:
    """The selected system's id, or None when there is no system."""
    system = current_system()
    return system["system_id"] if system else None


def system_zone() -> ZoneInfo:
    """The selected system's time zone (UTC when there is none)."""
    system = current_system()
    return ZoneInfo(system["timezone"]) if system and system.get("timezone") else ZoneInfo("UTC")


def fmt_ts(value: Any) -> str:
    """Epoch ms as local date and time of the selected system."""
    if value in (None, ""):
        return "—"
    try:
        moment = datetime.fromtimestamp(int(value) / 1000, timezone.utc).astimezone(system_zone())
    except (TypeError, ValueError, OverflowError):
        return str(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def fmt_num(value: Any, digits: int = 1, unit: str = "") -> str:
    """A number with fixed decimals and a unit; '—' for none."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—" if value is None else str(value)
    text = f"{value:,.{digits}f}".replace(",", "\u202f")
    return f"{text} {unit}".strip()


def stringify(values: dict[str, Any]) -> dict[str, str]:
    """Values as form input text (None becomes empty)."""
    return {k: "" if v is None else str(v) for k, v in values.items()}


def init_templates(app: Flask) -> None:
    """Register the globals and filters."""
    app.jinja_env.globals.update(nav=NAV, all_systems=all_systems, current_system=current_system)
    app.jinja_env.filters.update(ts=fmt_ts, num=fmt_num, stringify=stringify,
                                 zip_pairs=lambda values: [(v, v) for v in values])
