"""Small persistent state of the headend link (sync_state rows) and its settings (app_settings)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from appliance.clock import utc_now_iso
from appliance.errors import ApplianceError
from appliance.store import settings as stored

SETTING_KEYS = ("sync.url", "sync.token", "sync.appliance_id")


class SyncError(ApplianceError):
    """The headend link cannot do what was asked (not configured, headend unreachable or wrong)."""

    code = "sync_error"


def get(key: str, default: Any = None) -> Any:
    """The decoded sync_state value of `key`, or `default`."""
    return stored.decoded(stored.get_state_text(key), default)


def put(key: str, value: Any) -> None:
    """Store a sync_state value (its own short transaction)."""
    stored.put_state_json(key, value, updated_at=utc_now_iso())


def settings() -> dict[str, Any]:
    """The push settings from app_settings: sync.url, sync.token, sync.appliance_id (None when unset)."""
    out: dict[str, Any] = {}
    for key in SETTING_KEYS:
        text = stored.get_text(key)
        try:
            out[key] = json.loads(text) if text is not None else None
        except ValueError:
            out[key] = text
    return out


def hardware_id(cpuinfo: str | Path = "/proc/cpuinfo", machine_id: str | Path = "/etc/machine-id") -> str:
    """The Pi's serial number from /proc/cpuinfo, else the machine id; raises SyncError when neither."""
    try:
        match = re.search(r"^Serial\s*:\s*([0-9a-fA-F]+)\s*$", Path(cpuinfo).read_text(errors="replace"), re.M)
    except OSError:
        match = None
    if match and int(match.group(1), 16) != 0:
        return match.group(1).lower()
    try:
        value = Path(machine_id).read_text().strip()
    except OSError as exc:
        raise SyncError(f"no hardware id: no Pi serial and {machine_id} is unreadable ({exc})") from exc
    if not value:
        raise SyncError(f"no hardware id: no Pi serial and {machine_id} is empty")
    return value
