"""What waits to be published: retained messages (never dropped) and a bounded queue of state messages.

Producers (pollers, the rollup job) only append under a short lock and return: publishing never holds
a poller. When the broker is slow or away and the state queue is full, its oldest message is dropped
and counted; retained messages (discovery configs, availability) are kept, the newest per topic.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Message:
    """One MQTT message to publish."""

    topic: str
    payload: bytes
    retain: bool = False
    qos: int = 1


class Outbox:
    """Thread-safe: any thread offers, the link's thread takes."""

    def __init__(self, capacity: int, wake: Callable[[], None] | None = None) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._wake = wake or (lambda: None)
        self._lock = threading.Lock()
        self._retained: OrderedDict[str, Message] = OrderedDict()
        self._states: deque[Message] = deque()
        self.dropped = 0
        self.offered = 0

    def set_wake(self, wake: Callable[[], None]) -> None:
        """Who to tell that something waits (the link's select loop)."""
        self._wake = wake

    def retain(self, message: Message) -> None:
        """Queue a retained message; a newer one for the same topic replaces it (never dropped)."""
        with self._lock:
            self._retained.pop(message.topic, None)
            self._retained[message.topic] = message
            self.offered += 1
        self._wake()

    def state(self, message: Message) -> None:
        """Queue a state message; when the queue is full the oldest state message goes and is counted."""
        with self._lock:
            if len(self._states) >= self.capacity:
                self._states.popleft()
                self.dropped += 1
            self._states.append(message)
            self.offered += 1
        self._wake()

    def take(self) -> Message | None:
        """The next message to publish: retained ones first, then states oldest first."""
        with self._lock:
            if self._retained:
                return self._retained.popitem(last=False)[1]
            if self._states:
                return self._states.popleft()
            return None

    def put_back(self, message: Message) -> None:
        """A message the client could not take now goes back to the front (a newer retained one wins)."""
        with self._lock:
            if message.retain:
                if message.topic not in self._retained:
                    self._retained[message.topic] = message
                    self._retained.move_to_end(message.topic, last=False)
                return
            if len(self._states) >= self.capacity:
                self.dropped += 1  # the queue filled meanwhile: this one is the oldest
                return
            self._states.appendleft(message)

    def clear_states(self) -> int:
        """Forget queued state messages (a new broker gets fresh ones); return how many."""
        with self._lock:
            count = len(self._states)
            self._states.clear()
            return count

    def __len__(self) -> int:
        with self._lock:
            return len(self._retained) + len(self._states)

    def depth(self) -> tuple[int, int]:
        """(retained waiting, states waiting)."""
        with self._lock:
            return len(self._retained), len(self._states)
