"""The MQTT service: readings to state messages, devices to HA discovery, health to availability.

Runtime hands it everything it reads (catalog devices, health, energy totals, the appliance's own state,
the command port); it builds no fallback of its own. Pollers call `on_reading`/`on_failure`, which only
encode and queue (never wait on the broker); the scheduler calls `tick` and, after each rollup,
`publish_energy`; the link's thread publishes.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable, Mapping, Sequence

from appliance.drivers.base import Reading
from appliance.mqtt import alerts as mqtt_alerts
from appliance.mqtt import discovery, entities
from appliance.mqtt import settings as mqtt_settings
from appliance.mqtt.config import MqttConfig
from appliance.mqtt.discovery import OFFLINE, ONLINE, ApplianceInfo, DeviceInfo, Topics, encode
from appliance.mqtt.identity import Identity, device_info
from appliance.mqtt.identity import signature as signature_of
from appliance.mqtt.link import Link
from appliance.mqtt.outbox import Message, Outbox
from appliance.mqtt.retained import RetainedConfigs
from appliance.mqtt.status import health_of, status_of

log = logging.getLogger(__name__)

#: A state message goes out at most once per poll interval (with this much slack for a poll's jitter).
MIN_GAP = 0.8
APPLIANCE_EVERY_S = 60.0
STALE_AFTER_POLLS = 3
#: Where a device is parked: no polls, so no failure event says so; the tick does.
PARKED = ("maintenance", "decommissioned")


@dataclass(frozen=True)
class Sources:
    """What the service reads, handed in by runtime."""

    devices: Callable[[], Sequence[Mapping[str, Any]]]
    health: Callable[[str], str | None] | None  # None: the health the catalog rows hold
    systems: Callable[[], Sequence[tuple[str, str]]]
    energy: Callable[[str], Mapping[str, Any]]
    appliance: Callable[[], Mapping[str, Any]]
    commands: Any = None  # appliance.mqtt.commands.Commands, or None
    #: Logical batteries (control's battery arrays): [{device_id, name, system_id, health_status, values}].
    logical: Callable[[], Sequence[Mapping[str, Any]]] | None = None
    #: Active alerts (the alerts service's): [{device_id, kind, message}, ...], newest first.
    alerts: Callable[[], Sequence[Mapping[str, Any]]] | None = None


@dataclass
class _Device:
    info: DeviceInfo
    interval_s: float = 5.0
    signature: tuple = ()
    raw_signature: tuple = ()
    #: Every value seen this session (lists at their longest): entities only grow, so a value a device
    #: skips in one reading does not remove its entity from HA (it reads unknown until it comes back).
    seen: dict[str, Any] = field(default_factory=dict)
    entity_list: list[entities.Entity] = field(default_factory=list)
    values: Mapping[str, Any] | None = None
    ts: int | None = None
    sent_at: float = -1e18
    available: bool | None = None


def widen(seen: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The values seen so far with a new reading's: absent or null values keep the old, lists the longer."""
    out = dict(seen)
    for key, value in values.items():
        if value is None:
            continue
        old = out.get(key)
        if isinstance(value, list) and isinstance(old, list) and len(old) > len(value):
            continue
        out[key] = value
    return out


class MqttService:
    """One per process; `start`, `tick`, `stop` from runtime."""

    def __init__(self, config: Callable[[], MqttConfig], identity: Identity, sources: Sources, *,
                 override_url: str | None = None, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic, link_options: Mapping[str, Any] | None = None,
                 tick_s: float = 10.0) -> None:
        self._config_source, self.identity, self.sources = config, identity, sources
        self.override_url = override_url
        self.clock, self.monotonic = clock, monotonic
        self.link_options = dict(link_options or {})
        self.tick_s = tick_s
        self.config = MqttConfig()
        self.topics: Topics | None = None
        self.link: Link | None = None
        self.outbox = Outbox(self.config.queue_size)
        self._lock = threading.RLock()
        self._devices: dict[str, _Device] = {}
        self._catalog: dict[str, Mapping[str, Any]] = {}
        self._systems: list[tuple[str, str]] = []
        self.retained = RetainedConfigs(mqtt_settings.load_published, mqtt_settings.save_published)
        self._appliance_sent = -1e18
        self._control: dict[str, bytes] = {}
        self._alert_states = mqtt_alerts.AlertStates()
        self.dropped_before = 0

    # -- configuration and the link -------------------------------------------------------------------------

    def current_config(self) -> MqttConfig:
        """The stored settings with `--mqtt` on top."""
        return mqtt_settings.with_override(self._config_source(), self.override_url)

    def start(self) -> "MqttService":
        """Read the catalog and the settings; connect when MQTT is on."""
        if self.sources.commands is not None:
            self.sources.commands.on_described = self._control_described
        self._refresh_catalog()
        self._apply(self.current_config())
        return self

    def _topics_for(self, config: MqttConfig) -> Topics:
        first = self._systems[0][0] if self._systems else "appliance"
        return Topics(config.discovery_prefix, config.topic_base or f"appliance/{first}", self.identity.node)

    def _apply(self, config: MqttConfig) -> None:
        """Use new settings: stop the old link, start a new one when configured."""
        if self.link is not None:
            self.link.stop()
            self.dropped_before += self.outbox.dropped
            self.link = None
        self.config = config
        self.outbox = Outbox(config.queue_size)
        with self._lock:
            for device in self._devices.values():
                device.available, device.sent_at = None, -1e18
            self._control.clear()
        if not config.configured:
            self.topics = None
            return
        self.topics = topics = self._topics_for(config)
        subscriptions = (topics.ha_status,) + ((topics.commands,) if config.commands else ())
        self.link = Link(config, self.outbox, client_id=self.identity.client_id,
                         will=Message(topics.status, OFFLINE.encode(), retain=True),
                         online=Message(topics.status, ONLINE.encode(), retain=True), subscriptions=subscriptions,
                         on_connected=self._on_connected, on_message=self._on_message, **self.link_options).start()
        log.info("MQTT: publishing to %s under %s (discovery prefix %s, commands %s)", config.broker, topics.base,
                 topics.prefix, "on" if config.commands else "off")

    def stop(self) -> None:
        """Say offline and disconnect."""
        if self.link is not None:
            self.link.stop()
            self.link = None
        if self.sources.commands is not None:
            self.sources.commands.stop()
        self.retained.save()

    # -- the scheduler's tick --------------------------------------------------------------------------------

    def tick(self) -> None:
        """Settings changed? Devices removed? Availability, the appliance's state, the published record."""
        config = self.current_config()
        self._refresh_catalog()
        if config != self.config or (self.topics is not None and self._topics_for(config) != self.topics):
            self._apply(config)
        if self.topics is None:
            return
        self._remove_gone()
        self._publish_logical()
        self._sweep_availability()
        self._publish_control()
        self.publish_alerts()
        if self.monotonic() - self._appliance_sent >= APPLIANCE_EVERY_S:
            self.publish_appliance()
        self.retained.save()

    def _refresh_catalog(self) -> None:
        self._catalog = {d["device_id"]: d for d in self.sources.devices()}
        self._systems = list(self.sources.systems())

    def _remove_gone(self) -> None:
        """A device gone from the catalog: its retained configs and availability are cleared."""
        if self.link is None or not self.link.connected or self.topics is None:
            return  # cleared only when the clears can go out now (the record keeps them until then)
        systems = {f"energy-{s}" for s, _ in self._systems}
        logical = {b["device_id"] for b in self.sources.logical()} if self.sources.logical is not None else set()
        for owner in self.retained.owners():
            if owner == "appliance" or owner in systems or owner in self._catalog or owner in logical:
                continue
            self.retained.clear(self.outbox, owner)
            if not owner.startswith("energy-"):
                self.outbox.retain(Message(self.topics.availability(owner), b"", retain=True))
                log.info("MQTT: %s left the catalog; its Home Assistant entities are removed", owner)
            with self._lock:
                self._devices.pop(owner, None)

    def _publish_control(self) -> None:
        """Each device's command state (maintenance on or off), retained, when it changed."""
        if self.topics is None or not self.config.commands:
            return
        commands = self.sources.commands
        for device_id, row in self._catalog.items():
            extra = commands.program_state(device_id) if commands is not None else {}
            state = encode({"maintenance": row.get("lifecycle_state") == "maintenance", **extra})
            if self._control.get(device_id) != state:
                self._control[device_id] = state
                self.outbox.retain(Message(self.topics.command_state(device_id), state, retain=True))

    def _publish_logical(self) -> None:
        """Each logical battery as a device of its own, its values as a reading (once per tick)."""
        if self.sources.logical is None:
            return
        for battery in self.sources.logical():
            ctx = SimpleNamespace(device_id=battery["device_id"], kind="battery_array", name=battery["name"],
                                  system_id=battery.get("system_id"), poll_interval_s=self.tick_s, adapters=())
            values = {k: v for k, v in battery["values"].items() if v is not None}
            # Every key, whatever the packs report now: a logical battery's entities do not come and go.
            basis = {k: 0.0 for k in battery["values"]}
            self.on_reading(ctx, Reading("battery", values, {}, int(self.clock() * 1000)), basis=basis)
            if battery.get("health_status") in ("offline", "unknown"):
                self.on_failure(battery["device_id"], "no pack of it answers")

    def _control_described(self, device_id: str) -> None:
        """A device's controls are known or changed (the command worker read it): announce, tell the state."""
        with self._lock:
            device = self._devices.get(device_id)
        if device is not None:
            self._announce(device_id, device)
        self._publish_control()

    def _sweep_availability(self) -> None:
        now_ms = int(self.clock() * 1000)
        with self._lock:
            devices = list(self._devices.items())
        for device_id, device in devices:
            # A failed poll says offline at once (on_failure); a catalog row read before the poll that just
            # succeeded must not say it again, so only parking and silence are read here.
            row = self._catalog.get(device_id, {})
            known = self.sources.health(device_id) if self.sources.health is not None else None
            health = known or row.get("health_status")
            parked = health in PARKED or row.get("lifecycle_state") in PARKED
            stale = device.ts is None or now_ms - device.ts > STALE_AFTER_POLLS * device.interval_s * 1000
            if parked or stale:
                self._set_available(device_id, device, False)

    # -- readings (poller threads: encode and queue, never wait) ---------------------------------------------

    def on_reading(self, ctx: Any, reading: Any, basis: Mapping[str, Any] | None = None) -> None:
        """A device's new reading: its state (once per poll interval), its entities when new ones came
        (`basis`: the values to make entities of, when not the reading's own)."""
        topics = self.topics
        if topics is None:
            return
        device_id = ctx.device_id
        with self._lock:
            device = self._devices.get(device_id)
            if device is None:
                device = self._devices[device_id] = _Device(device_info(ctx, reading, self._catalog.get(ctx.device_id, {})))
            device.interval_s = float(getattr(ctx, "poll_interval_s", 5.0))
            device.values, device.ts = reading.values, reading.ts_ms
            now = self.monotonic()
            due = now - device.sent_at >= MIN_GAP * device.interval_s
            if due:
                device.sent_at = now
            raw = signature_of(basis if basis is not None else reading.values)
            changed = False
            if raw != device.raw_signature:  # rare: only then is the wider set worked out
                device.raw_signature = raw
                device.seen = widen(device.seen, basis if basis is not None else reading.values)
                signature = signature_of(device.seen)
                changed = signature != device.signature
                if changed:
                    device.signature = signature
                    device.info = device_info(ctx, reading, self._catalog.get(ctx.device_id, {}))
                    device.entity_list = entities.for_reading(reading.kind, device.seen)
        if changed:
            self._announce(device_id, device)
        self._set_available(device_id, device, True)
        if due:
            self.outbox.state(Message(topics.state(device_id), discovery.state_payload(reading.values, reading.ts_ms)))

    def on_failure(self, device_id: str, error: str) -> None:
        """A failed poll: the device is unavailable in HA until it answers again."""
        with self._lock:
            device = self._devices.get(device_id)
        if device is not None:
            self._set_available(device_id, device, False)

    def _set_available(self, device_id: str, device: _Device, available: bool) -> None:
        if device.available == available or self.topics is None:
            return
        device.available = available
        self.outbox.retain(Message(self.topics.availability(device_id), (ONLINE if available else OFFLINE).encode(),
                                   retain=True))

    def _announce(self, device_id: str, device: _Device) -> None:
        """Publish a device's configs (retained) and clear the ones it no longer has."""
        if self.topics is None:
            return
        extra = self.sources.commands.entities(device.info, self.topics) if (
            self.config.commands and self.sources.commands is not None) else []
        if self.sources.alerts is not None:
            extra.append(mqtt_alerts.device_entity(self.topics, device_id))
        configs = discovery.device_configs(device.info, device.entity_list + extra, self.topics, self._appliance())
        self.retained.reconcile(self.outbox, device_id, configs)

    # -- the appliance, energy totals ------------------------------------------------------------------------

    def _appliance(self) -> ApplianceInfo:
        return ApplianceInfo(self.identity.node, self.identity.name, self.identity.serial_number)

    def publish_appliance(self) -> None:
        """The appliance's own state: health, devices online, disk, backlogs, clock, MQTT drops."""
        if self.topics is None:
            return
        self._appliance_sent = self.monotonic()
        state = dict(self.sources.appliance())
        state["mqtt_dropped"] = self.dropped_before + self.outbox.dropped
        state.update(self.publish_alerts())
        self.outbox.state(Message(self.topics.appliance_state, encode(state)))

    def publish_alerts(self) -> dict[str, Any]:
        """Each device's alert state when it changed (the alerts service calls this on a change too)."""
        if self.topics is None or self.sources.alerts is None:
            return {}
        with self._lock:
            device_ids = list(self._devices)
        return self._alert_states.publish(self.outbox, self.topics, list(self.sources.alerts()), device_ids)

    def publish_energy(self) -> None:
        """Each system's energy totals (after a rollup)."""
        if self.topics is None:
            return
        for system_id, _ in self._systems:
            totals = self.sources.energy(system_id)
            if totals:
                self.outbox.state(Message(self.topics.energy_state(system_id), encode(dict(totals))))

    # -- (re)connection, HA's birth, commands ----------------------------------------------------------------

    def _on_connected(self) -> None:
        """Everything again: configs, availability, the newest state of each device (in the link's thread)."""
        self._republish()

    def _republish(self) -> None:
        if self.topics is None:
            return
        extra = mqtt_alerts.APPLIANCE_ENTITIES if self.sources.alerts is not None else ()
        self.retained.reconcile(self.outbox, "appliance", discovery.appliance_configs(self.topics, self._appliance(),
                                                                                       extra))
        self._alert_states.forget()
        for system_id, name in self._systems:
            self.retained.reconcile(self.outbox, f"energy-{system_id}", discovery.energy_configs(system_id, name, self.topics,
                                                                            self._appliance()))
        with self._lock:
            devices = list(self._devices.items())
        for device_id, device in devices:
            self._announce(device_id, device)
            if device.available is not None:
                self.outbox.retain(Message(self.topics.availability(device_id),
                                           (ONLINE if device.available else OFFLINE).encode(), retain=True))
            if device.values is not None:
                self.outbox.state(Message(self.topics.state(device_id),
                                          discovery.state_payload(device.values, device.ts)))
        with self._lock:
            self._control.clear()
        self._publish_control()
        self._appliance_sent = -1e18

    def _on_message(self, topic: str, payload: bytes, retained: bool) -> None:
        if self.topics is None:
            return
        if topic == self.topics.ha_status:
            if payload.strip().lower() == b"online":
                log.info("MQTT: Home Assistant (re)started; sending the discovery configs again")
                self._republish()
            return
        parsed = self.topics.parse_command(topic)
        if parsed is None or retained or not self.config.commands or self.sources.commands is None:
            return  # a retained command is an old one: never replayed
        device_id, name = parsed
        topics = self.topics

        def reply(outcome: dict[str, Any]) -> None:
            self.outbox.state(Message(topics.result(device_id), encode(outcome)))
            if outcome.get("ok"):
                # The switch and the availability follow at once, not at the next tick.
                self._refresh_catalog()
                self._publish_control()
                self._sweep_availability()

        self.sources.commands.submit(device_id, name, payload, reply)

    # -- status ---------------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """For the settings page and /health: on or off, the link's state and counts."""
        link = self.link.status() if self.link is not None else None
        return status_of(self.config, link, client_id=self.identity.client_id, topics=self.topics,
                         from_command_line=bool(self.override_url), devices=len(self._devices),
                         dropped=self.dropped_before + self.outbox.dropped)

    def health(self) -> tuple[bool, str]:
        """The /health check: ok when off or connected; the drops are always told."""
        return health_of(self.status())
