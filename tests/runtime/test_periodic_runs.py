"""What follows a flush: rollups hourly while nobody looks and every 15 minutes while someone does, the WAL
checkpointed at the start and every two hours, none put off by a flush that comes a moment early."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from appliance.discovery.process import Sources
from appliance.discovery.sources import StaticPortSource
from appliance.runtime import Runtime, RuntimeOptions
from appliance.settings import Settings

FLUSH_S = 1800.0


@pytest.fixture
def box(tmp_path, monkeypatch):
    """A runtime opened on a stepped clock; counts its rollups and checkpoints."""
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "a.db", config_file=tmp_path / "none.yaml")
    runtime = Runtime(settings, RuntimeOptions(web=False), discovery_sources=Sources(usb=StaticPortSource([])))
    clock = {"now": 1000.0}
    runtime.monotonic = lambda: clock["now"]
    runs: dict[str, list[float]] = {"rollup": [], "checkpoint": []}
    monkeypatch.setattr(runtime, "roll_up", lambda: runs["rollup"].append(clock["now"]))
    runtime.open()
    real_checkpoint = runtime.storage.checkpoint

    def checkpoint(**kwargs: Any) -> tuple[int, int, int]:
        runs["checkpoint"].append(clock["now"])
        return real_checkpoint(**kwargs)

    monkeypatch.setattr(runtime.storage, "checkpoint", checkpoint)

    def flush_at(t: float) -> None:
        clock["now"] = t
        runtime.writer.flush_now()

    try:
        yield runtime, flush_at, runs
    finally:
        runtime.stop()


def test_nobody_looking_rolls_up_hourly_and_checkpoints_every_two_hours_even_with_early_flushes(box):
    runtime, flush_at, runs = box
    # Flushes every half hour, each one a second early: the hourly runs must not slip to the flush after.
    times = [1000.0 + n * (FLUSH_S - 1) for n in range(1, 9)]
    for t in times:
        flush_at(t)
    assert runs["rollup"] == times[0::2]  # the first flush, then every second one: hourly
    assert runs["checkpoint"] == [times[3], times[7]]  # two hours after the start's checkpoint, then two more


def test_someone_looking_gets_rollups_every_quarter_hour(box):
    runtime, flush_at, runs = box
    runtime.writer.freshen()  # a page view
    times = [1000.0 + n * 900 for n in range(1, 5)]
    for t in times:
        flush_at(t)
    assert runs["rollup"] == times


def _contents(path: Path) -> dict[str, int]:
    """Rows per table of a database file."""
    conn = sqlite3.connect(path)
    try:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608
    finally:
        conn.close()


def test_the_start_copies_what_the_migrations_and_seeds_wrote_into_the_database_file(tmp_path):
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "a.db", config_file=tmp_path / "none.yaml")
    runtime = Runtime(settings, RuntimeOptions(web=False), discovery_sources=Sources(usb=StaticPortSource([])))
    try:
        runtime.open()
        # The database file alone (no WAL beside the copy) already holds everything the start wrote: the first
        # two-hour checkpoint then copies only what the flushes wrote.
        alone = tmp_path / "file-alone.db"
        shutil.copyfile(tmp_path / "a.db", alone)
        assert _contents(alone) == _contents(tmp_path / "a.db")
    finally:
        runtime.stop()
