"""Device health and lifecycle: stored in the registry, and in device_health on every change."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from appliance.store.models import DeviceHealth, RegistryDevice, database

log = logging.getLogger(__name__)

DEGRADED_ABOVE_MS = 1000


@dataclass(frozen=True)
class PollOutcome:
    """The result of one poll, as health sees it."""

    ok: bool
    response_time_ms: int | None = None
    error: str | None = None
    garbled: bool = False  # the device answered, but with data that could not be decoded


def status_of(outcome: PollOutcome) -> str:
    """online, degraded (slower than 1000 ms), offline (no answer) or error (a wrong answer)."""
    if outcome.ok:
        slow = outcome.response_time_ms is not None and outcome.response_time_ms > DEGRADED_ABOVE_MS
        return "degraded" if slow else "online"
    return "error" if outcome.garbled else "offline"


def record(device_id: str, outcome: PollOutcome, now_ms: int, *, failures: int,
           failed_after: int = 3) -> tuple[str, str]:
    """Store a poll's outcome; return (health status, lifecycle state) after it."""
    status = status_of(outcome)
    with database.atomic():
        device = RegistryDevice.get_or_none(RegistryDevice.device_id == device_id)
        if device is None:
            return status, "decommissioned"
        lifecycle = _next_lifecycle(device.lifecycle_state, outcome.ok, failures, failed_after)
        changes: dict[str, Any] = {"health_status": status, "lifecycle_state": lifecycle}
        if outcome.ok:
            changes.update(last_seen=now_ms, response_time_ms=outcome.response_time_ms)
        else:
            changes["error_count"] = RegistryDevice.error_count + 1
        (RegistryDevice.update(**changes).where(RegistryDevice.device_id == device_id).execute())
        if status != device.health_status or lifecycle != device.lifecycle_state:
            DeviceHealth.insert(device_id=device_id, ts=now_ms, status=status,
                                response_time_ms=outcome.response_time_ms, error_count=failures,
                                last_successful_poll=now_ms if outcome.ok else device.last_seen,
                                diagnostics=json.dumps({"error": outcome.error, "lifecycle": lifecycle},
                                                       allow_nan=False)
                                ).on_conflict_replace().execute()
        if lifecycle != device.lifecycle_state:
            log.info("%s: lifecycle %s -> %s", device_id, device.lifecycle_state, lifecycle)
    return status, lifecycle


def _next_lifecycle(state: str, ok: bool, failures: int, failed_after: int) -> str:
    """The registry document's transitions driven by polls."""
    if state == "configured":
        # First poll attempt: Configured -> Testing, and on to Active or Failed at once.
        state = "testing"
    if state == "testing":
        if ok:
            return "active"
        return "failed" if failures >= failed_after else "testing"
    if state == "failed" and ok:
        # A failed device that answers again was retried: back through Configured and Testing to Active.
        return "active"
    return state


def disable(device_id: str, reason: str, now_ms: int) -> None:
    """A device whose stored configuration cannot be polled: Failed, health error, the reason in its history."""
    with database.atomic():
        device = RegistryDevice.get_or_none(RegistryDevice.device_id == device_id)
        if device is None:
            return
        (RegistryDevice.update(health_status="error", lifecycle_state="failed",
                               error_count=RegistryDevice.error_count + 1)
         .where(RegistryDevice.device_id == device_id).execute())
        DeviceHealth.insert(device_id=device_id, ts=now_ms, status="error", error_count=device.error_count + 1,
                            last_successful_poll=device.last_seen,
                            diagnostics=json.dumps({"error": reason, "lifecycle": "failed"}, allow_nan=False)
                            ).on_conflict_replace().execute()
    if device.lifecycle_state != "failed":
        log.info("%s: lifecycle %s -> failed", device_id, device.lifecycle_state)
