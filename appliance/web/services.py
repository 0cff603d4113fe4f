"""Services the web calls that other issues deliver; until they exist their pages say "not available yet"."""

from __future__ import annotations

import importlib
from typing import Any

from appliance.errors import ApplianceError

#: The seams, by exact module and function name; nothing here invents data.
HISTORY = "appliance.energy.history"
LIVE = "appliance.acquisition.live"
INBOX = "appliance.discovery.inbox"


class NotAvailable(ApplianceError):
    """A service module of a later issue is not installed yet."""

    code = "not_available"


def _function(module: str, name: str) -> Any:
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        # Only a missing seam module means "not yet"; a broken import inside it is a real error.
        if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
            raise NotAvailable(f"{module}.{name} is not available yet") from exc
        raise
    func = getattr(loaded, name, None)
    if not callable(func):
        raise NotAvailable(f"{module}.{name} is not available yet")
    return func


def available(module: str, name: str) -> bool:
    """Whether a seam function exists."""
    try:
        _function(module, name)
    except NotAvailable:
        return False
    return True


def call(module: str, name: str, *args: Any) -> Any:
    """Call a seam function; NotAvailable when its module or function is missing."""
    return _function(module, name)(*args)


def series(level: str, entity_id: str, resolution: str, start_ms: int, end_ms: int) -> Any:
    """Chart series from the rollups."""
    return call(HISTORY, "series", level, entity_id, resolution, start_ms, end_ms)


def daily_energy(system_id: str, start_date: str, end_date: str) -> Any:
    """Daily-summary rows of a system."""
    return call(HISTORY, "daily_energy", system_id, start_date, end_date)


def monthly_energy(system_id: str, year: int) -> Any:
    """Monthly totals of a system for a year."""
    return call(HISTORY, "monthly_energy", system_id, year)


def today_totals(system_id: str) -> Any:
    """Today's totals of a system (local day)."""
    return call(HISTORY, "today_totals", system_id)


def power_flow(system_id: str) -> Any:
    """The live power flow of a system: pv_w, load_w, grid_w, battery_w, soc_pct, ts, stale."""
    return call(LIVE, "power_flow", system_id)


def latest_reading(device_id: str) -> Any:
    """A device's latest reading (with ts and stale) or None."""
    return call(LIVE, "latest_reading", device_id)


def inbox(name: str, *args: Any) -> Any:
    """A discovery inbox function: list_inbox, approve, reject, ignore_port, scan_now, scan_status."""
    return call(INBOX, name, *args)


def columns(result: Any) -> tuple[list[int], dict[str, list[Any]]]:
    """Normalise a series (a dict of columns with `ts`, or a list of rows with `ts`) to (ts, columns)."""
    if isinstance(result, dict) and "ts" in result:
        ts = list(result["ts"])
        return ts, {k: list(v) for k, v in result.items() if k != "ts" and isinstance(v, (list, tuple))}
    rows = result.get("rows", []) if isinstance(result, dict) else list(result or [])
    rows = sorted((r for r in rows if isinstance(r, dict) and "ts" in r), key=lambda r: r["ts"])
    names: list[str] = []
    for r in rows:
        names.extend(k for k in r if k != "ts" and k not in names and isinstance(r[k], (int, float, type(None))))
    return [r["ts"] for r in rows], {n: [r.get(n) for r in rows] for n in names}
