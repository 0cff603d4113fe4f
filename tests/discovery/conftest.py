"""Discovery fixtures: simulators on ptys and 127.0.0.1, a short probe timeout, a controllable clock."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from appliance.discovery.probe import Prober
from appliance.drivers.connect import LinkPool

#: Short enough to keep the negative probes fast, long enough for a simulator thread on a loaded machine
#: (0.3 s missed an answer at load 10).
PROBE_TIMEOUT_S = 1.0
T0_MS = 1_700_000_000_000


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now_ms: int = T0_MS) -> None:
        self.now = now_ms

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += int(seconds * 1000)


class SpyPool(LinkPool):
    """A LinkPool that records the bus key of every bus it opens."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.opened: list[str] = []

    def _open(self, key: str, adapter_type: str, config: Any) -> Any:
        self.opened.append(key)
        return super()._open(key, adapter_type, config)


@pytest.fixture
def clock() -> Clock:
    """A controllable clock."""
    return Clock()


@pytest.fixture
def pool() -> Iterator[SpyPool]:
    """A recording pool, closed after the test."""
    spy = SpyPool()
    yield spy
    spy.close_all()


@pytest.fixture
def prober(pool: SpyPool) -> Prober:
    """A prober with the short test timeout on the recording pool."""
    return Prober(pool, timeout_s=PROBE_TIMEOUT_S)
