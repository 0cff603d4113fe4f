"""Health in memory: a poll that changes nothing writes nothing; changes at once; a summary rides on a flush."""

from __future__ import annotations

import re

from appliance.acquisition.health import HealthBook, PollOutcome
from appliance.acquisition.writer import SampleWriter
from appliance.catalog import devices, systems
from appliance.catalog.registry import get_device
from appliance.store.models import DeviceHealth, database

T0 = 1_780_000_000_000
DEVICE = "meter:m1"


def _home() -> None:
    systems.create_system("home", "Home")
    devices.create_meter("m1", "home", "Grid meter")


def _registry_writes(run) -> int:
    """How many distinct statements that change device_registry `run` sends (the trace repeats a statement
    for each trigger it fires)."""
    seen: list[str] = []
    conn = database.connection()
    conn.set_trace_callback(seen.append)
    try:
        run()
    finally:
        conn.set_trace_callback(None)
    return len({sql for sql in seen if re.match(r'\s*UPDATE\s+"?device_registry"?\s', sql, re.IGNORECASE)})


def test_polls_that_change_nothing_are_not_written_and_changes_are_written_at_once(db):
    _home()
    book = HealthBook(summary_every_s=900)
    assert _registry_writes(lambda: book.record(DEVICE, PollOutcome(True, response_time_ms=40), T0, failures=0)) == 1
    steady = _registry_writes(lambda: [book.record(DEVICE, PollOutcome(True, response_time_ms=40 + i), T0 + i * 5000,
                                                   failures=0) for i in range(1, 100)])
    assert steady == 0, "99 polls of an online device cost the SD card nothing"
    assert get_device(DEVICE)["last_seen"] == T0  # the database is behind until the summary...
    assert book.state(DEVICE).last_seen == T0 + 99 * 5000  # ...memory is not
    # A change of state is written at once, with a device_health row.
    book.record(DEVICE, PollOutcome(False, error="timeout"), T0 + 500_000, failures=1)
    row = get_device(DEVICE)
    assert row["health_status"] == "offline" and row["error_count"] == 1
    assert [h.status for h in DeviceHealth.select().order_by(DeviceHealth.ts)] == ["online", "offline"]


def test_the_summary_is_written_in_the_writers_flush_when_due(db):
    _home()
    book = HealthBook(summary_every_s=900)
    writer = SampleWriter(flush_interval_s=3600)
    writer.add_participant(book)
    writer.start()
    book.record(DEVICE, PollOutcome(True, response_time_ms=40), T0, failures=0)
    for i in range(1, 20):
        book.record(DEVICE, PollOutcome(True, response_time_ms=35), T0 + i * 5000, failures=0)
    writer.flush_now()  # nothing pending, but a summary is due (the first one after start)
    assert get_device(DEVICE)["last_seen"] == T0 + 19 * 5000
    book.record(DEVICE, PollOutcome(True, response_time_ms=35), T0 + 20 * 5000, failures=0)
    writer.flush_now()  # the next summary is not due for 15 minutes: nothing is written
    assert get_device(DEVICE)["last_seen"] == T0 + 19 * 5000
    writer.stop()
