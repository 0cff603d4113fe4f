"""The retained discovery configs the appliance has published, per owner, so the ones it no longer has
(a device gone, an entity a device stopped reporting) are cleared with an empty retained message."""

from __future__ import annotations

import threading
from typing import Callable, Mapping

from appliance.jsontypes import JsonObject
from appliance.mqtt.discovery import encode
from appliance.mqtt.outbox import Message, Outbox


class RetainedConfigs:
    """What is retained on the broker per owner (device id, `appliance`, `energy-<system>`); thread-safe."""

    def __init__(self, load: Callable[[], dict[str, list[str]]], save: Callable[[dict[str, list[str]]], None]) -> None:
        self._save = save
        self._published = load()
        self._dirty = False
        self._lock = threading.Lock()

    def owners(self) -> list[str]:
        """Every owner with configs on the broker."""
        with self._lock:
            return list(self._published)

    def reconcile(self, outbox: Outbox, owner: str, configs: Mapping[str, JsonObject]) -> None:
        """Publish an owner's configs (retained) and clear those it had before and has no more."""
        for topic, payload in configs.items():
            outbox.retain(Message(topic, encode(payload), retain=True))
        with self._lock:
            old = set(self._published.get(owner, ()))
            for topic in old - set(configs):
                outbox.retain(Message(topic, b"", retain=True))
            if old != set(configs):
                self._published[owner] = sorted(configs)
                self._dirty = True

    def clear(self, outbox: Outbox, owner: str) -> None:
        """Clear every config of an owner."""
        with self._lock:
            for topic in self._published.pop(owner, []):
                outbox.retain(Message(topic, b"", retain=True))
            self._dirty = True

    def save(self) -> None:
        """Write the record when it changed (never periodically: the SD card)."""
        with self._lock:
            if not self._dirty:
                return
            record, self._dirty = {k: list(v) for k, v in self._published.items()}, False
        self._save(record)
