"""The typed shapes the headend's store takes (frozen dataclasses) and hands back (TypedDicts, JSON as they are)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, TypedDict

#: A decoded JSON object: a feed row's columns, a dispatch body, an acknowledged outcome.
JSONObject = dict[str, Any]


@dataclass(frozen=True)
class Registration:
    """POST /devices/register, in the registration document's shape."""

    name: str
    device_type: str
    hardware_id: str
    firmware_version: str | None = None
    ip_address: str | None = None
    location: Any = None
    metadata: JSONObject | None = None

    @property
    def appliance_id(self) -> str | None:
        """The appliance id an appliance names in its metadata (None for another kind of device)."""
        value = (self.metadata or {}).get("appliance_id")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Heartbeat:
    """POST /devices/heartbeat: who is alive, and how many changes wait on its side."""

    device_id: str
    backlog: int | None = None
    #: Seconds between the appliance's sample writes: its samples arrive up to this late.
    flush_interval_s: float | None = None


class FeedRow(NamedTuple):
    """One row of a feed page (docs/headend.md, "The feed").

    Immutable like the other records, but a NamedTuple: one is built per pushed row, and it builds in
    half the time of a frozen dataclass.
    """

    table: str
    seq: int
    op: str
    key: JSONObject
    kind: str | None = None
    changed_at: int | None = None
    row: JSONObject | None = None


@dataclass(frozen=True)
class FeedPage:
    """A feed page, pushed to /ingest or pulled from an appliance's /api/sync/feed."""

    appliance_id: str
    cursor_from: str
    cursor_to: str
    rows: tuple[FeedRow, ...]


@dataclass(frozen=True)
class DispatchOrder:
    """POST /dispatch: the dispatch body relayed to one appliance, and what names that appliance."""

    params: JSONObject
    appliance_id: str | None = None
    asset_id: str | None = None
    system_id: str | None = None


@dataclass(frozen=True)
class Ack:
    """POST /commands/<id>/ack: the outcome an appliance reports (kept whole), with its status."""

    appliance_id: str
    status: str
    outcome: JSONObject


class Device(TypedDict):
    """A registered device with its derived status (online: a heartbeat within 5 minutes)."""

    id: str
    device_id: str
    hardware_id: str
    name: str
    device_type: str
    appliance_id: str | None
    firmware_version: str | None
    ip_address: str | None
    location: Any
    metadata: JSONObject
    created_at: int
    last_seen: int | None
    heartbeats: int
    backlog: int | None
    flush_interval_s: float | None
    status: str


class Beat(TypedDict):
    """The answer to a heartbeat."""

    device_id: str
    status: str
    last_seen: int | None


class IngestResult(TypedDict):
    """The answer to a feed page: was the page new, how many row versions it changed, the cursor it ends at."""

    accepted: bool
    applied: int
    cursor: str


class HeldRow(TypedDict):
    """A row the headend holds for an appliance, in its latest version."""

    appliance_id: str
    tbl: str
    key: JSONObject
    seq: int
    op: str
    changed_at: int | None
    row: JSONObject | None
    device_id: str | None
    ts: int | None
    versions: int


class LatestSample(TypedDict):
    """The newest sample row of a device."""

    appliance_id: str
    tbl: str
    ts: int
    row: JSONObject


class Command(TypedDict):
    """A command for an appliance, with its outcome once acknowledged."""

    id: str
    appliance_id: str
    type: str
    params: JSONObject
    status: str
    created_at: int
    acked_at: int | None
    outcome: JSONObject | None


class PendingCommand(TypedDict):
    """A command as an appliance's poll receives it."""

    id: str
    type: str
    params: JSONObject
    created_at: int


class PullTotals(TypedDict):
    """What one pull did: rows and pages stored, bytes on the wire, cursor resets after a 410."""

    rows: int
    pages: int
    bytes: int
    resets: int
