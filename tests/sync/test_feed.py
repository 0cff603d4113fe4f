"""The sync feed: stable order, every row exactly once while rows arrive, rewrites, deletes, retention."""

from __future__ import annotations

import random
import threading
import time

import pytest

from appliance.catalog import devices
from appliance.energy.retention import apply_retention
from appliance.errors import ValidationError
from appliance.store.models import database
from appliance.sync import feed

from tests.sync.conftest import START_MS, energy_row, follow, key_of, meter_row, sample_keys

DAY_MS = 86_400_000


def test_a_client_following_the_cursor_gets_every_row_exactly_once_while_rows_arrive(writer):
    rng = random.Random(7)
    done = threading.Event()

    def produce() -> None:
        for i in range(150):
            ts = START_MS + i * 10_000
            rows = {"energy_samples": [energy_row("inv1", ts, pv=i)], "meter_samples": [meter_row("m1", ts)]}
            if i % 10 == 5:  # a late sample: an old timestamp written now
                rows["meter_samples"].append(meter_row("m1", START_MS - 3_600_000 - i))
            writer.submit(rows)
            if rng.random() < 0.3:
                time.sleep(0.002)
        writer.flush_now()
        done.set()

    thread = threading.Thread(target=produce)
    thread.start()
    seen, cursor = [], None
    while True:
        finished = done.is_set()  # read before the page: a page read after `done` holds everything
        page = feed.read_page(cursor, rng.choice([1, 7, 50]))
        seen.extend(page.rows)
        cursor = page.cursor
        if finished and not page.has_more:
            break
    thread.join()
    samples = [key_of(r) for r in seen if r["kind"] == "sample"]
    assert len(samples) == len(set(samples)), "a row was delivered twice"
    assert set(samples) == sample_keys()
    assert len(samples) == 150 * 2 + 15 + len({k for k in samples if k[0] == "array_samples"})
    seqs = [r["seq"] for r in seen]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))


def test_a_rewritten_row_comes_again_in_its_latest_version(writer):
    writer.submit({"energy_samples": [energy_row("inv1", START_MS, pv=1)]})
    writer.flush_now()
    _, cursor = follow()
    writer.submit({"energy_samples": [energy_row("inv1", START_MS, pv=2)]})  # same (device, ts): replaced
    writer.flush_now()
    rows, _ = follow(cursor)
    energy = [r for r in rows if r["table"] == "energy_samples"]
    assert [r["row"]["pv_power_w"] for r in energy] == [2]
    everything, _ = follow(None)
    assert [r["row"]["pv_power_w"] for r in everything if r["table"] == "energy_samples"] == [2]


def test_catalog_and_registry_changes_and_deletes_are_in_the_feed(home):
    _, cursor = follow()
    devices.create_meter("m2", "home", "Second meter")
    devices.delete_meter("m2")
    rows, _ = follow(cursor)
    meters = [(r["op"], r["key"]) for r in rows if r["table"] == "meters"]
    assert meters == [("delete", {"meter_id": "m2"})]  # the insert was superseded by the delete
    registry = [r for r in rows if r["table"] == "device_registry"]
    assert registry and registry[-1]["op"] == "delete"


def test_cursor_behind_retention_is_refused_with_the_oldest_cursor(writer):
    writer.submit({"energy_samples": [energy_row("inv1", START_MS)]})
    writer.flush_now()
    old_cursor = feed.read_page(None, 1).cursor
    later = int(time.time() * 1000) + 100 * DAY_MS
    apply_retention(later, {"raw_days": 90})
    result = feed.prune(later, keep_days=90)
    assert result["pruned"] > 0 and result["reannounced"] > 0
    with pytest.raises(feed.FeedGone) as gone:
        feed.read_page(old_cursor)
    assert gone.value.oldest_cursor == feed.oldest_cursor()
    rows, _ = follow(gone.value.oldest_cursor)
    tables = {r["table"] for r in rows}
    assert "systems" in tables and "inverters" in tables  # the catalog outlives the window
    assert "energy_samples" not in tables


def test_bad_cursors_and_limits_are_validation_errors(home):
    for cursor in ("nonsense", "zz-1", "0123456789ab-x"):
        with pytest.raises(ValidationError):
            feed.read_page(cursor)
    with pytest.raises(feed.FeedGone):
        feed.read_page("0123456789ab-1")  # another feed's cursor
    with pytest.raises(feed.FeedGone):
        feed.read_page(feed.encode_cursor(feed.head() + 10))  # from a restored backup
    for limit in (0, feed.MAX_LIMIT + 1, "x"):
        with pytest.raises(ValidationError):
            feed.check_limit(limit)


def test_rows_deleted_before_they_were_read_are_skipped_not_failed(writer):
    writer.submit({"energy_samples": [energy_row("inv1", START_MS + i) for i in range(3)]})
    writer.flush_now()
    database.execute_sql("DELETE FROM energy_samples WHERE ts = ?", (START_MS + 1,))
    rows, _ = follow()
    assert sorted(r["key"]["ts"] for r in rows if r["table"] == "energy_samples") == [START_MS, START_MS + 2]


def test_rows_written_before_migration_6_enter_the_feed_once(tmp_path):
    from appliance.store.db import migrate, open_database

    handle = open_database(tmp_path / "old.db", migrate_to=5)
    handle.execute_sql("INSERT INTO systems (system_id, name) VALUES ('home', 'Home')")
    handle.execute_sql("INSERT INTO arrays (array_id, system_id, name) VALUES ('roof', 'home', 'Roof')")
    handle.execute_sql("INSERT INTO meters (meter_id, system_id, name) VALUES ('m1', 'home', 'Meter')")
    handle.execute_sql("INSERT INTO meter_samples (ts, meter_id, system_id) VALUES (1, 'm1', 'home'), "
                       "(2, 'm1', 'home')")
    migrate(handle)
    rows, _ = follow()
    assert sorted(key_of(r) for r in rows) == sorted([
        ("systems", '{"system_id": "home"}'), ("arrays", '{"array_id": "roof"}'), ("meters", '{"meter_id": "m1"}'),
        ("meter_samples", '{"meter_id": "m1", "ts": 1}'), ("meter_samples", '{"meter_id": "m1", "ts": 2}'),
    ] + [key_of(r) for r in rows if r["table"] in ("market_data_types",)])
    handle.close()
