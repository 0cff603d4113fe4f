"""Compact storage: cell readings in a versioned blob, details deflated against a dictionary, old forms still read."""

from __future__ import annotations

import json
import sqlite3

import pytest

from appliance.acquisition.writer import SampleWriter
from appliance.catalog import devices, systems
from appliance.errors import StoreError
from appliance.store import cells
from appliance.store.db import migrate, open_database
from appliance.store.details import CODEC, DetailsCodec, compact_json
from appliance.store.models import database

START = 1_780_000_000_000


def test_a_cell_reading_round_trips_with_missing_cells_probes_and_balancing():
    units = [cells.CellUnit(0, 1, (3.301, 3.299, None, 3.4), (24.5, -3.2), (True, False, False, True)),
             cells.CellUnit(2, 3, (3.2, 3.201), (), None)]
    blob = cells.encode(units)
    assert blob[0] == cells.VERSION and len(blob) == 5 + 3 + 2 * 3 * 4 + 2 * 3 * 2 + 3
    back = cells.decode(blob)
    assert [u.position for u in back] == [0, 2]  # the absent unit in slot 1 is not invented
    assert back[0].voltages_v == (3.301, 3.299, None, 3.4) and back[0].temperatures_c == (24.5, -3.2)
    assert back[0].balancing == (True, False, False, True) and back[1].number == 3
    assert back[1].voltages_v == (3.2, 3.201) and back[1].temperatures_c == (None, None)


def test_a_blob_of_an_unknown_version_or_length_is_refused():
    blob = cells.encode([cells.CellUnit(0, 1, (3.3,))])
    with pytest.raises(StoreError, match="version 9"):
        cells.decode(bytes([9]) + blob[1:])
    with pytest.raises(StoreError, match="header says"):
        cells.decode(blob[:-1])


def test_a_pack_reading_is_one_row_and_reads_back_through_the_store(db):
    systems.create_system("home", "Home")
    systems.create_battery_array("bank", "home", "Bank")
    devices.create_battery_pack("p1", "bank", "Pack", batteries=2, cells_per_battery=4)
    from appliance.acquisition.context import load
    from appliance.acquisition.rows import battery_rows
    from appliance.drivers.base import Reading
    from appliance.store.models import RegistryDevice

    ctx = load(RegistryDevice.get(RegistryDevice.catalog_id == "p1"))
    reading = Reading("battery", {"voltage_v": 52.0, "batteries": [
        {"index": 1, "cell_voltages_v": [3.31, 3.32, 3.33, 3.34], "cell_temperatures_c": [25.0]},
        {"index": 2, "cell_voltages_v": [3.21, 3.22, 3.23, 3.24], "status": "Normal"}]})
    rows = battery_rows(ctx, START, reading)
    assert len(rows["battery_cell_readings"]) == 1
    writer = SampleWriter(flush_interval_s=60).start()
    writer.submit(rows)
    writer.stop()
    got = cells.latest_cells("p1")
    assert got is not None and got.ts == START
    assert [u.voltages_v for u in got.units] == [(3.31, 3.32, 3.33, 3.34), (3.21, 3.22, 3.23, 3.24)]
    assert cells.read_cells("p1", START, START + 1)[0] == got
    # The document's table, as a view: one row per catalogued cell, as before.
    view = database.execute_sql("SELECT cell_id, power, cell, voltage, temperature FROM battery_cell_samples "
                                "ORDER BY power, cell").fetchall()
    assert [(r[1], r[2], r[3]) for r in view] == [(1, i, round(3.31 + i / 100, 3)) for i in range(4)] + \
        [(2, i, round(3.21 + i / 100, 3)) for i in range(4)]
    assert view[0][4] == 25.0 and view[1][4] is None


def test_old_cell_samples_are_folded_into_readings_by_the_migration(db_path):
    old = open_database(db_path, migrate_to=12)
    old.execute_sql("INSERT INTO systems (system_id, name) VALUES ('s', 'S')")
    old.execute_sql("INSERT INTO battery_arrays (battery_array_id, system_id, name) VALUES ('ba', 's', 'B')")
    old.execute_sql("INSERT INTO battery_packs (pack_id, battery_array_id, system_id, name) VALUES ('p', 'ba', 's', 'P')")
    old.execute_sql("INSERT INTO batteries (battery_id, pack_id, battery_array_id, system_id, battery_index) "
                    "VALUES ('b0', 'p', 'ba', 's', 0)")
    for i in range(3):
        old.execute_sql("INSERT INTO battery_cells (cell_id, battery_id, pack_id, battery_array_id, system_id, "
                        "cell_index) VALUES (?, 'b0', 'p', 'ba', 's', ?)", (f"c{i}", i))
        old.execute_sql("INSERT INTO battery_cell_samples (ts, cell_id, battery_id, pack_id, battery_array_id, "
                        "system_id, power, cell, voltage, temperature) VALUES (?, ?, 'b0', 'p', 'ba', 's', 1, ?, ?, ?)",
                        (START, f"c{i}", i, round(3.3 + i / 1000, 3), 20.0 + i if i < 2 else None))
    before = old.execute_sql("SELECT * FROM battery_cell_samples ORDER BY cell_id").fetchall()
    migrate(old)
    assert old.execute_sql("SELECT * FROM battery_cell_samples ORDER BY cell_id").fetchall() == before
    assert old.execute_sql("SELECT COUNT(*) FROM battery_cell_readings").fetchone()[0] == 1
    # The three cells' feed entries became one, for the reading.
    keys = old.execute_sql("SELECT key FROM sync_feed WHERE tid = 5").fetchall()
    assert keys == [(json.dumps(["p", START], separators=(",", ":")),)]
    old.close()


def test_details_deflate_against_a_dictionary_and_every_stored_form_reads_back(db):
    conn = database.connection()
    codec = DetailsCodec()
    first = compact_json({"pv_powers_w": [635, 519, 0, 0], "state": "standby", "details": {"fault_word_1": 0,
                                                                                            "grid_relay": True}})
    second = first.replace("635", "640")
    with database.atomic():
        a = codec.encode(conn, "energy_samples:i1", first, START)
        b = codec.encode(conn, "energy_samples:i1", second, START)
    assert isinstance(a, bytes) and len(b) < len(second) / 4
    fresh = DetailsCodec()  # another process: dictionaries come from the table
    assert fresh.decode(conn, b) == json.loads(second)
    assert fresh.decode(conn, '{"old": 1}') == {"old": 1}  # text JSON of rows before migration 13
    assert fresh.decode(conn, None) == {} and codec.encode(conn, "x", "{}", START) is None
    assert database.execute_sql("SELECT COUNT(*) FROM sample_dictionaries").fetchone()[0] == 1


def test_a_device_whose_details_keep_changing_gets_a_new_dictionary_at_most_hourly(db):
    conn = database.connection()
    codec = DetailsCodec()
    with database.atomic():
        for n in range(30):
            text = compact_json({f"key_{n}_{i}": i * n for i in range(20)})
            codec.encode(conn, "meter_samples:m", text, START + n * 60_000)
        codec.encode(conn, "meter_samples:m", compact_json({"other": list(range(40))}), START + 2 * 3_600_000)
    assert database.execute_sql("SELECT COUNT(*) FROM sample_dictionaries").fetchone()[0] == 2


def test_a_missing_dictionary_is_a_clear_error(db):
    with pytest.raises(StoreError, match="dictionary 99 is missing"):
        CODEC.decode(database.connection(), bytes([1, 99]) + b"\x03\x00")


def test_the_writer_forgets_a_dictionary_made_in_a_rolled_back_flush(db):
    conn = database.connection()
    codec = DetailsCodec()
    try:
        with database.atomic():
            codec.encode(conn, "energy_samples:i9", compact_json({"a": "b" * 60}), START)
            raise sqlite3.OperationalError("disk full")
    except sqlite3.OperationalError:
        codec.forget()
    with database.atomic():
        packed = codec.encode(conn, "energy_samples:i9", compact_json({"a": "b" * 60}), START)
    assert DetailsCodec().decode(conn, packed) == {"a": "b" * 60}


def test_the_history_service_serves_cell_readings_as_plain_values(db):
    from appliance.energy import history

    systems.create_system("home", "Home")
    systems.create_battery_array("bank", "home", "Bank")
    devices.create_battery_pack("p1", "bank", "Pack")
    with database.atomic():
        database.execute_sql("INSERT INTO battery_cell_readings (pack_id, ts, battery_array_id, system_id, cells) "
                             "VALUES ('p1', ?, 'bank', 'home', ?)",
                             (START, cells.encode([cells.CellUnit(0, 1, (3.3, 3.31), (20.5,))])))
    got = history.cell_history("p1", START, START + 1)
    assert got == [{"pack_id": "p1", "ts": START, "flags": 0, "units": [
        {"position": 0, "number": 1, "voltages_v": [3.3, 3.31], "temperatures_c": [20.5]}]}]
    assert history.latest_cells("p1") == got[0] and history.latest_cells("nope") is None
    with pytest.raises(Exception, match="end after start"):
        history.cell_history("p1", START, START)
