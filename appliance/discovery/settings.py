"""Discovery settings in app_settings (JSON values), read per scan so a change applies to the next one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from appliance.clock import utc_now_iso
from appliance.discovery.sources import TcpTargets, parse_unit_ids
from appliance.errors import ValidationError
from appliance.store import settings as stored_settings

AUTO_APPROVE, TCP_TARGETS, UNIT_IDS = "discovery.auto_approve", "discovery.tcp_targets", "discovery.unit_ids"
MAX_FAILURES, IGNORED_PORTS = "discovery.max_failures", "discovery.ignored_ports"
DEFAULTS: dict[str, Any] = {AUTO_APPROVE: False, TCP_TARGETS: [], UNIT_IDS: [1], MAX_FAILURES: 10,
                            IGNORED_PORTS: []}
PORT_PATTERN = re.compile(r"^[^\s;|&$`]{1,255}$")


@dataclass(frozen=True)
class DiscoverySettings:
    """The settings one scan runs with."""

    auto_approve: bool = False
    tcp_targets: tuple[dict[str, Any], ...] = ()
    unit_ids: tuple[int, ...] = (1,)
    max_failures: int = 10
    ignored_ports: frozenset[str] = frozenset()


def _get(key: str) -> Any:
    # A hand-edited non-JSON value falls back to the default rather than stop discovery.
    return stored_settings.get_json(key, DEFAULTS[key])


def check(key: str, value: object) -> Any:
    """A setting value checked for its key; ValidationError names the key."""
    if key not in DEFAULTS:
        raise ValidationError(f"unknown discovery setting {key!r}", field=key)
    if key == AUTO_APPROVE and not isinstance(value, bool):
        raise ValidationError(f"{key} must be true or false", field=key)
    if key == MAX_FAILURES and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000):
        raise ValidationError(f"{key} must be a whole number 1..1000", field=key)
    if key == UNIT_IDS:
        return list(parse_unit_ids(value, key))
    if key == TCP_TARGETS:
        if not isinstance(value, list):
            raise ValidationError(f"{key} must be a list of {{host, ports, unit_ids}}", field=key)
        TcpTargets(value)
    if key == IGNORED_PORTS:
        if not isinstance(value, list) or not all(isinstance(p, str) and PORT_PATTERN.match(p) for p in value):
            raise ValidationError(f"{key} must be a list of port names", field=key)
    return value


def set_value(key: str, value: object) -> None:
    """Store one discovery setting after checking it."""
    value = check(key, value)
    stored_settings.put_json(key, value, updated_at=utc_now_iso())


def load() -> DiscoverySettings:
    """Every discovery setting, defaults filled in; a broken stored value falls back to its default."""
    values = {}
    for key, default in DEFAULTS.items():
        try:
            values[key] = check(key, _get(key))
        except ValidationError:
            values[key] = default
    return DiscoverySettings(auto_approve=values[AUTO_APPROVE], tcp_targets=tuple(values[TCP_TARGETS]),
                             unit_ids=tuple(values[UNIT_IDS]), max_failures=values[MAX_FAILURES],
                             ignored_ports=frozenset(values[IGNORED_PORTS]))


def check_port(port: Any) -> str:
    """A port name as the ignore list stores it."""
    if not isinstance(port, str) or not PORT_PATTERN.match(port):
        raise ValidationError(f"port {port!r} is not a port name", field="port")
    return port


def ignore_port(port: str) -> list[str]:
    """Add a port to the ignore list; return the list."""
    ports = sorted(set(_get(IGNORED_PORTS) or []) | {check_port(port)})
    set_value(IGNORED_PORTS, ports)
    return ports


def unignore_port(port: str) -> list[str]:
    """Remove a port from the ignore list; return the list."""
    ports = sorted(set(_get(IGNORED_PORTS) or []) - {check_port(port)})
    set_value(IGNORED_PORTS, ports)
    return ports
