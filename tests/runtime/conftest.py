"""The demo home built in-process, and helpers to wait for and read what the runtime stored."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import pytest

from appliance.commands.main_job import build_demo
from appliance.runtime import RuntimeOptions
from appliance.settings import Settings
from appliance.store.models import RegistryDevice, database

SAMPLE_TABLE = {"inverter": ("energy_samples", "inverter_id"), "meter": ("meter_samples", "meter_id"),
                "battery_pack": ("battery_bank_samples", "pack_id")}
EXPECTED_DEVICES = 4  # Powdrive inverter, iammeter, Pylontech console bank, JK pack


def wait_until(predicate: Callable[[], Any], timeout_s: float, step_s: float = 0.25) -> Any:
    """Poll `predicate` until it returns something truthy; fail the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step_s)
    pytest.fail(f"not reached within {timeout_s} s: {getattr(predicate, '__name__', predicate)}")


def devices() -> list[RegistryDevice]:
    """Every registry row."""
    return list(RegistryDevice.select().order_by(RegistryDevice.device_id))


def sample_times(kind: str, catalog_id: str, since_ms: int = 0) -> list[int]:
    """Sample timestamps of one device, oldest first."""
    table, column = SAMPLE_TABLE[kind]
    cursor = database.execute_sql(f"SELECT ts FROM {table} WHERE {column} = ? AND ts >= ? ORDER BY ts",  # noqa: S608
                                  (catalog_id, since_ms))
    return [row[0] for row in cursor.fetchall()]


def all_active_with_samples() -> bool:
    """Every simulated device is registered, active and has samples."""
    rows = devices()
    return len(rows) >= EXPECTED_DEVICES and all(
        d.lifecycle_state == "active" and d.catalog_id and sample_times(d.kind, d.catalog_id) for d in rows)


@pytest.fixture
def demo(tmp_path: Path):
    """The demo home started in-process (no web UI); stopped with its simulators after the test."""
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "demo.db", config_file=tmp_path / "none.yaml",
                        flush_interval_s=1.0)  # samples reach the database within a second
    runtime, site = build_demo(settings, RuntimeOptions(web=False, discovery_interval_s=3600))
    try:
        runtime.start()
        wait_until(all_active_with_samples, 60)
        yield runtime, site
    finally:
        runtime.stop()
        site.stop()
