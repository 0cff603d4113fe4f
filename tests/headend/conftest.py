"""Headend fixtures: the app on its own database with a clock the test moves, and a client for it."""

from __future__ import annotations

import pytest

from appliance.headend.app import create_app
from appliance.headend.context import store_of

START_MS = 1_780_000_000_000


class MsClock:
    """A wall clock in epoch ms that moves only when told (the headend's store reads it)."""

    def __init__(self, start_ms: int = START_MS) -> None:
        self.now = start_ms

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)


@pytest.fixture
def clock() -> MsClock:
    return MsClock()


@pytest.fixture
def app(tmp_path, clock):
    app = create_app(tmp_path / "h.db", now_ms=clock)
    yield app
    store_of(app).close()


@pytest.fixture
def client(app):
    return app.test_client()
