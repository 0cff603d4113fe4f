"""One control owner per device: a lease held by one source until it expires; others get 409."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from appliance.clock import iso_ms
from appliance.control import audit
from appliance.control.config import app_setting, whole
from appliance.errors import ConflictError, ValidationError
from appliance.store import control as control_store
from appliance.store.models import ControlLease, database

#: The sources that may control a device, as the refusals name them.
SOURCES = {"ui": "the local UI", "api": "the API or headend dispatch", "schedule": "the schedule", "mqtt": "MQTT"}
LEASE_KEY = "control.lease_s"
DEFAULT_LEASE_S = 900
MIN_LEASE_S, MAX_LEASE_S = 10, 7 * 24 * 3600


class LeaseJson(TypedDict):
    """A lease as the API and pages show it."""

    device_id: str
    source: str
    source_name: str
    holder: str
    acquired_at: int
    expires_at: int
    expires: str | None


@dataclass(frozen=True)
class Lease:
    """Who controls a device, since and until when."""

    device_id: str
    source: str
    holder: str
    acquired_at: int
    expires_at: int

    def to_json(self) -> LeaseJson:
        """The lease as the API and pages show it."""
        return {"device_id": self.device_id, "source": self.source, "source_name": SOURCES[self.source],
                "holder": self.holder, "acquired_at": self.acquired_at, "expires_at": self.expires_at,
                "expires": iso_ms(self.expires_at)}


class LeaseConflict(ConflictError):
    """Another source holds the device's lease: 409, naming the holder and until when."""

    code = "lease_held"

    def __init__(self, lease: Lease) -> None:
        super().__init__(f"{lease.device_id} is controlled by {SOURCES[lease.source]} ({lease.holder}) until "
                         f"{iso_ms(lease.expires_at)}; send takeover: true to take over", field="takeover")
        self.lease = lease

    def to_dict(self) -> dict[str, object]:
        """The error body, with the lease that stands in the way."""
        return {**super().to_dict(), "lease": self.lease.to_json()}


def check_source(source: object) -> str:
    """A control source name, or ValidationError."""
    if source not in SOURCES:
        raise ValidationError(f"source must be one of {', '.join(SOURCES)}", field="source")
    return str(source)


def lease_s(value: object = None) -> int:
    """A lease length in seconds: the request's, else the app setting, else 15 minutes."""
    if value is None:
        value = app_setting(LEASE_KEY, DEFAULT_LEASE_S)
        if not whole(value, MIN_LEASE_S, MAX_LEASE_S):
            value = DEFAULT_LEASE_S
    if not whole(value, MIN_LEASE_S, MAX_LEASE_S):
        raise ValidationError(f"lease_s must be whole seconds from {MIN_LEASE_S} to {MAX_LEASE_S}", field="lease_s")
    return value


def _lease(row: ControlLease) -> Lease:
    return Lease(row.device_id, row.source, row.holder, row.acquired_at, row.expires_at)


def current(device_id: str, now: int) -> Lease | None:
    """The lease in force on a device (an expired one is no lease)."""
    row = ControlLease.get_or_none(ControlLease.device == device_id)
    if row is None or row.expires_at <= now:
        return None
    return _lease(row)


def conflict(device_id: str, source: str, now: int) -> Lease | None:
    """The lease another source holds on the device, if any (what a request would be refused for)."""
    held = current(device_id, now)
    return held if held is not None and held.source != source else None


def acquire(device_id: str, source: str, holder: str, *, now: int, until: int, takeover: bool = False) -> Lease:
    """Hold (or renew) the device's lease until `until`; LeaseConflict when another source holds it (the
    refusal is audited: it is committed before the error is raised)."""
    held = conflict(device_id, source, now)
    if held is not None and not takeover:
        audit.record(device_id, "refused", f"{SOURCES[source]} ({holder}) refused: {SOURCES[held.source]} "
                     f"({held.holder}) holds the lease", now=now, source=source, holder=holder,
                     details={"lease": held.to_json()})
        raise LeaseConflict(held)
    with database.atomic():
        row = ControlLease.get_or_none(ControlLease.device == device_id)
        if row is not None and row.expires_at <= now:
            audit.record(device_id, "lease_expired", f"the lease of {SOURCES[row.source]} ({row.holder}) expired",
                         now=now, source=row.source, holder=row.holder, details={"expired_at": row.expires_at})
            row.delete_instance()
            row = None
        if row is not None and row.source == source:
            expires = max(row.expires_at, until)
            control_store.renew_lease(device_id, holder, expires)
            if expires != row.expires_at:
                audit.record(device_id, "lease_renewed", f"{SOURCES[source]} ({holder}) holds the lease until "
                             f"{iso_ms(expires)}", now=now, source=source, holder=holder,
                             details={"expires_at": expires})
            return Lease(device_id, source, holder, row.acquired_at, expires)
        if row is not None:
            audit.record(device_id, "lease_taken_over", f"{SOURCES[source]} ({holder}) took over from "
                         f"{SOURCES[row.source]} ({row.holder})", now=now, source=source, holder=holder,
                         details={"previous": _lease(row).to_json(), "expires_at": until})
            row.delete_instance()
        else:
            audit.record(device_id, "lease_acquired", f"{SOURCES[source]} ({holder}) holds the lease until "
                         f"{iso_ms(until)}", now=now, source=source, holder=holder, details={"expires_at": until})
        control_store.add_lease(device_id, source, holder, now, until)
        return Lease(device_id, source, holder, now, until)


def release(device_id: str, source: str, *, now: int, reason: str) -> bool:
    """Give up a source's lease on a device (True when it held one)."""
    with database.atomic():
        row = ControlLease.get_or_none(ControlLease.device == device_id)
        if row is None or row.source != source:
            return False
        audit.record(device_id, "lease_released", f"{SOURCES[source]} ({row.holder}) released the lease: {reason}",
                     now=now, source=source, holder=row.holder)
        row.delete_instance()
        return True


def sweep(now: int) -> list[str]:
    """Delete (and audit) the leases that have expired; returns their devices."""
    gone = []
    for row in list(ControlLease.select().where(ControlLease.expires_at <= now)):
        with database.atomic():
            audit.record(row.device_id, "lease_expired", f"the lease of {SOURCES[row.source]} ({row.holder}) "
                         "expired", now=now, source=row.source, holder=row.holder,
                         details={"expired_at": row.expires_at})
            row.delete_instance()
        gone.append(row.device_id)
    return gone
