"""The running process's services, as runtime.py hands them to `create_app`; 503 where this process has none.

The web is an edge: it never builds a service of its own (a second dispatcher would open its own links past
the pollers' bus locks; a second discovery would scan beside the first). Without the runtime's object a page
or an API call answers 503 "... does not run in this process", never a silent substitute.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app
from werkzeug.exceptions import ServiceUnavailable

if TYPE_CHECKING:
    from appliance.alerts.service import AlertsService
    from appliance.control.delivery import Dispatcher
    from appliance.discovery.inbox import DiscoveryService
    from appliance.energy.storage import StorageWatch

#: create_app config key -> what the 503 calls it.
SERVICES = {"ALERTS": "the alerts service", "DISPATCHER": "device control", "DISCOVERY": "device discovery",
            "STORAGE": "the storage watch"}


def running(key: str) -> Any:
    """The object runtime.py passed to create_app under `key`; 503 naming it when there is none."""
    found = current_app.config.get(key)
    if found is None:
        raise ServiceUnavailable(f"{SERVICES[key]} does not run in this process")
    return found


def present(key: str) -> Any:
    """The object under `key`, or None where this process does not run it (a page that can do without it)."""
    return current_app.config.get(key)


def alerts() -> AlertsService:
    """The running alerts service."""
    service: AlertsService = running("ALERTS")
    return service


def dispatcher() -> Dispatcher:
    """The running dispatcher (on the pollers' links, so a write holds the same bus lock as a poll)."""
    found: Dispatcher = running("DISPATCHER")
    return found


def discovery() -> DiscoveryService:
    """The running discovery service (one scan at a time, on the pollers' links)."""
    found: DiscoveryService = running("DISCOVERY")
    return found


def storage() -> StorageWatch:
    """The running storage watch (its writes per day are counted since this process started)."""
    found: StorageWatch = running("STORAGE")
    return found
