"""The MQTT link's status in words and numbers, for the settings page and the /health check."""

from __future__ import annotations

from typing import Any

from appliance.mqtt.config import MqttConfig
from appliance.mqtt.discovery import Topics
from appliance.mqtt.link import LinkStatus


def status_of(config: MqttConfig, link: LinkStatus | None, *, client_id: str, topics: Topics | None,
              from_command_line: bool, devices: int, dropped: int) -> dict[str, Any]:
    """On or off, the link's state, its last error, what it published and dropped."""
    out: dict[str, Any] = {"enabled": config.configured, "broker": config.broker,
                           "from_command_line": from_command_line, "base": topics.base if topics else None,
                           "prefix": topics.prefix if topics else None, "commands": config.commands,
                           "devices": devices, "dropped": dropped}
    if link is not None:
        out.update(state=link.state, last_error=link.last_error, failures=link.failures, published=link.published,
                   waiting=link.waiting, since_ms=link.since_ms, retry_in_s=link.retry_in_s,
                   client_id=link.client_id, protocol=link.protocol)
    else:
        out.update(state="off", last_error=None, failures=0, published=0, waiting=0, since_ms=None,
                   retry_in_s=None, client_id=client_id, protocol=config.protocol)
    return out


def health_of(status: dict[str, Any]) -> tuple[bool, str]:
    """The /health check: ok when off or connected; the drops are always told."""
    drops = f"{status['dropped']} state messages dropped"
    if not status["enabled"]:
        return True, "off"
    if status["state"] == "connected":
        return True, f"connected to {status['broker']}; {status['published']} published, {drops}"
    return False, f"{status['state']}: {status['last_error'] or 'connecting'}; {drops}"
