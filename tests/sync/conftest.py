"""Sync fixtures: a home with an inverter and a meter, the sample writer, a reference headend on 127.0.0.1."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from appliance.acquisition.rows import ENERGY_COLUMNS, METER_COLUMNS
from appliance.acquisition.writer import SampleWriter
from appliance.catalog import devices, systems
from appliance.store.models import database
from appliance.sync import feed
from appliance.headend.server import LocalHeadend
from appliance.headend.store import HeadendStore

START_MS = 1_780_000_000_000
SAMPLE_TABLES = ("energy_samples", "array_samples", "meter_samples")


def energy_row(inverter: str, ts: int, pv: int = 1000) -> tuple[Any, ...]:
    """An energy_samples row of the test home."""
    values = dict.fromkeys(ENERGY_COLUMNS)
    values.update(ts=ts, inverter_id=inverter, array_id="roof", system_id="home", pv_power_w=pv, load_power_w=400,
                  grid_power_w=-600, battery_soc=55.0, details="{}")
    return tuple(values[c] for c in ENERGY_COLUMNS)


def meter_row(meter: str, ts: int, power: int = 250) -> tuple[Any, ...]:
    """A meter_samples row of the test home."""
    values = dict.fromkeys(METER_COLUMNS)
    values.update(ts=ts, meter_id=meter, system_id="home", grid_power_w=power, details="{}")
    return tuple(values[c] for c in METER_COLUMNS)


def sample_keys() -> set[tuple[str, str]]:
    """(table, key) of every sample row the appliance holds."""
    keys = set()
    for table in SAMPLE_TABLES:
        device = {"energy_samples": "inverter_id", "array_samples": "array_id", "meter_samples": "meter_id"}[table]
        for dev, ts in database.execute_sql(f"SELECT {device}, ts FROM {table}").fetchall():  # noqa: S608
            keys.add((table, json.dumps({device: dev, "ts": ts}, sort_keys=True)))
    return keys


def key_of(row: dict[str, Any]) -> tuple[str, str]:
    """(table, key) of a feed row, comparable with sample_keys()."""
    return row["table"], json.dumps(row["key"], sort_keys=True)


def headend_keys(store: HeadendStore, appliance_id: str) -> set[tuple[str, str]]:
    """(table, key) of every sample row the headend holds for an appliance."""
    return {(r["tbl"], json.dumps(r["key"], sort_keys=True)) for r in store.rows(appliance_id)
            if r["tbl"] in SAMPLE_TABLES}


def follow(cursor: str | None = None, limit: int = 100) -> tuple[list[dict[str, Any]], str]:
    """Read the feed from `cursor` until caught up; return the rows and the last cursor."""
    rows: list[dict[str, Any]] = []
    while True:
        page = feed.read_page(cursor, limit)
        rows.extend(page.rows)
        cursor = page.cursor
        if not page.has_more:
            return rows, cursor


class Clock:
    """A controllable wall clock in seconds (PushClient's clock)."""

    def __init__(self, start_s: float = START_MS / 1000) -> None:
        self.now = start_s

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Faults:
    """WSGI middleware that makes the headend fail on purpose: 500, garbage, slow answers."""

    def __init__(self, app: Any) -> None:
        self.app, self.mode, self.calls = app, None, 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.calls += 1
        if self.mode == "500":
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"boom"]
        if self.mode == "garbage":
            start_response("200 OK", [("Content-Type", "text/html")])
            return [b"<html>captive portal</html>"]
        if self.mode == "slow":
            time.sleep(0.6)  # longer than the client's timeout: the headend still stores the page
        return self.app(environ, start_response)


@pytest.fixture
def home(db):
    systems.create_system("home", "Home", timezone="UTC")
    systems.create_array("roof", "home", "Roof")
    devices.create_inverter("inv1", "roof", "Inverter 1")
    devices.create_meter("m1", "home", "Grid meter")
    return "home"


@pytest.fixture
def writer(home):
    w = SampleWriter(flush_interval_s=0.02).start()
    yield w
    w.stop()


@pytest.fixture
def headend_store(tmp_path):
    store = HeadendStore(tmp_path / "headend.db")
    yield store
    store.close()


class FaultyHeadend(LocalHeadend):
    """The reference headend on 127.0.0.1 behind a fault switch (.faults.mode); .store, .url, .stop(), .start()."""

    def __init__(self, db_path: Any) -> None:
        super().__init__(db_path)
        self.faults = Faults(self.app.wsgi_app)
        self.app.wsgi_app = self.faults


@pytest.fixture
def headend(tmp_path):
    """A reference headend the push client talks to, made to fail on purpose when a test says so."""
    running = FaultyHeadend(tmp_path / "headend.db")
    yield running
    running.close()
