"""Alerts in Home Assistant: a problem binary_sensor on each device (on while an alert of it is active) and
on the appliance (on while any is), with the messages as attributes; retained, sent when they change.

The alerts come from the alerts service, handed in by runtime as a list of active alerts (dicts with
`device_id`, `kind`, `message`); this module only shapes them for HA.
"""

from __future__ import annotations

import threading
from typing import Any, Iterable, Mapping, Sequence

from appliance.mqtt.discovery import Topics, encode
from appliance.mqtt.entities import Entity
from appliance.mqtt.outbox import Message, Outbox

MAX_MESSAGES = 10

#: The appliance's alert entities (read from its state message).
APPLIANCE_ENTITIES = (
    Entity("binary_sensor", "alert", "Alert", "{{ 'ON' if (value_json.alerts_active or 0) > 0 else 'OFF' }}",
           "problem", extra={"payload_on": "ON", "payload_off": "OFF"}),
    Entity("sensor", "alerts_active", "Active alerts", "{{ value_json.alerts_active | default(none) }}",
           state_class="measurement", icon="mdi:alert-circle"),
    Entity("sensor", "alert_newest", "Newest alert", "{{ value_json.alert_newest | default(none) }}",
           icon="mdi:alert"),
)


def device_entity(topics: Topics, device_id: str) -> Entity:
    """A device's Alert entity: on while one of its alerts is active; the messages are its attributes."""
    topic = topics.alert_state(device_id)
    return Entity("binary_sensor", "alert", "Alert", "{{ 'ON' if value_json.active else 'OFF' }}", "problem",
                  extra={"state_topic": topic, "json_attributes_topic": topic, "payload_on": "ON",
                         "payload_off": "OFF"})


class AlertStates:
    """What was last said per device, so a state goes out only when it changes."""

    def __init__(self) -> None:
        self._sent: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def forget(self) -> None:
        """A new connection: say everything again."""
        with self._lock:
            self._sent.clear()

    def publish(self, outbox: Outbox, topics: Topics, active: Sequence[Mapping[str, Any]],
                device_ids: Iterable[str]) -> dict[str, Any]:
        """Each device's alert state (retained, on change); return the appliance's summary."""
        by_device: dict[str, list[str]] = {}
        for alert in active:
            if alert.get("device_id"):
                by_device.setdefault(str(alert["device_id"]), []).append(str(alert.get("message") or alert.get("kind")))
        with self._lock:
            for device_id in device_ids:
                messages = by_device.get(device_id, [])[:MAX_MESSAGES]
                payload = encode({"active": bool(messages), "messages": messages})
                if self._sent.get(device_id) != payload:
                    self._sent[device_id] = payload
                    outbox.retain(Message(topics.alert_state(device_id), payload, retain=True))
        newest = str(active[0].get("message") or active[0].get("kind"))[:250] if active else "none"
        return {"alerts_active": len(active), "alert_newest": newest}
