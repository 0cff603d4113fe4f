"""The kinds of alert: label, severity, where each shows on the power flow, and how it ends."""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("info", "warning", "critical")
#: Parts of the dashboard an alert can belong to: the flow's nodes, its hub (the inverter), the box, the link.
PARTS = ("grid", "pv", "load", "battery", "hub", "appliance", "headend")
#: A device's alerts show next to the part of the flow its kind of device feeds.
DEVICE_PARTS = {"meter": "grid", "inverter": "hub", "battery_pack": "battery"}


@dataclass(frozen=True)
class Kind:
    """One kind of alert."""

    key: str
    label: str
    severity: str
    part: str  # a PARTS entry; "device" kinds take the part of their device's kind
    #: An event has no condition that clears: it ends when acknowledged, or when its clearing event comes.
    event: bool = False
    #: Who it is about: "device", "system", "appliance" or "headend".
    scope: str = "device"


KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("grid_outage", "Grid outage", "critical", "grid", scope="system"),
    Kind("device_offline", "Device offline", "warning", "device"),
    Kind("device_degraded", "Device slow or garbled", "info", "device"),
    Kind("adapter_failover", "Read through a backup adapter", "warning", "device"),
    Kind("cell_imbalance", "Cells out of balance", "warning", "battery"),
    Kind("cell_voltage", "Cell voltage out of range", "critical", "battery"),
    Kind("pack_temperature_high", "Battery too hot", "critical", "battery"),
    Kind("pack_temperature_low", "Battery too cold", "warning", "battery"),
    Kind("soc_low", "Battery charge low", "warning", "battery"),
    Kind("bms_alarm", "BMS alarm or protection", "warning", "battery"),
    Kind("disk_nearly_full", "Disk nearly full", "critical", "appliance", scope="appliance"),
    Kind("database_error", "Database error", "critical", "appliance", scope="appliance"),
    Kind("clock_unsynced", "Clock not synchronised", "warning", "appliance", scope="appliance"),
    Kind("headend_unreachable", "Headend unreachable", "warning", "headend", scope="headend"),
    Kind("sync_backlog", "Data waiting to reach the headend", "warning", "headend", scope="headend"),
    Kind("write_mismatch", "Control write not applied", "warning", "device", event=True),
    Kind("write_budget_exhausted", "Write budget used up", "warning", "device", event=True),
    Kind("watchdog_restart", "Restarted by the watchdog", "warning", "appliance", event=True, scope="appliance"),
    Kind("unclean_stop", "Did not shut down cleanly", "info", "appliance", event=True, scope="appliance"),
)}
APPLIANCE, HEADEND = "appliance", "headend"


def kind(key: str) -> Kind:
    """The kind of alert named `key` (KeyError names it when unknown)."""
    return KINDS[key]


def label(key: str) -> str:
    """A kind as people read it; an unknown kind (from a newer version's records) in words."""
    found = KINDS.get(key)
    return found.label if found else key.replace("_", " ").capitalize()


def part_of(key: str, device_kind: str | None) -> str:
    """Where an alert of kind `key` about a device of `device_kind` shows on the dashboard."""
    found = KINDS.get(key)
    if found is None:
        return "appliance"
    if found.part == "device":
        return DEVICE_PARTS.get(device_kind or "", "hub")
    return found.part


def rank(severity: str) -> int:
    """0 for info, 1 warning, 2 critical (worst first sorts by -rank)."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0
