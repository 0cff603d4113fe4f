"""The schema holds every table, column, key and ON DELETE rule of the hierarchy document."""

from __future__ import annotations

import sqlite3

import peewee
import pytest

from appliance.store.db import latest_version, schema_version
from appliance.store.models import ALL_MODELS, database
from tests.conftest import FIXTURES

DOCUMENT_EXTRA_TABLES = {"device_discovery", "battery_pack_attachments"}
#: Document tables the appliance serves as views of a compact table (docs/decisions.md, migration 13).
DOCUMENT_VIEWS = {"battery_cell_samples": "battery_cell_readings"}
#: Document indexes dropped on purpose by migration 13: no query uses them (test_query_plans.py) and
#: each cost the sample writer a page per flush. Those of battery_cell_samples went with the table.
DROPPED_INDEXES = {f"idx_{t}_{c}" for t in ("energy_samples", "array_samples", "battery_bank_samples",
                                            "battery_unit_samples", "battery_cell_samples", "meter_samples")
                   for c in ("system_id", "ts")} | {"idx_energy_samples_array_id"}
REGISTRY_TABLES = {"device_registry", "device_health", "device_groups", "device_group_members",
                   "market_data_types", "market_data", "system_events", "app_settings"}


def _document() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.executescript((FIXTURES / "document_schema.sql").read_text())
    return conn


def _tables(conn) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")}


def _views(conn) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='view'")}


def _columns(conn, table: str) -> dict[str, tuple]:
    return {r[1]: r for r in conn.execute(f"PRAGMA table_info({table})")}


def _pk(conn, table: str) -> set[str]:
    return {name for name, info in _columns(conn, table).items() if info[5]}


def _fks(conn, table: str) -> set[tuple]:
    return {(r[3], r[2], r[4], r[6]) for r in conn.execute(f"PRAGMA foreign_key_list({table})")}


def test_every_document_table_exists_with_its_columns(db):
    doc = _document()
    ours = db.connection()
    assert len(_tables(doc)) == 28
    for table in _tables(doc):
        if table in DOCUMENT_VIEWS:
            assert table in _views(ours), table
        else:
            assert table in _tables(ours), table
        missing = set(_columns(doc, table)) - set(_columns(ours, table))
        assert not missing, f"{table} lacks {missing}"


def test_keys_and_on_delete_rules_match_the_document(db):
    doc, ours = _document(), db.connection()
    for table in _tables(doc):
        if table in DOCUMENT_VIEWS:
            # A view has no keys; the table behind it keeps the document's rules on what it stores.
            behind = DOCUMENT_VIEWS[table]
            assert {(c, t, r, d) for c, t, r, d in _fks(doc, table) if c != "cell_id" and c != "battery_id"} \
                <= _fks(ours, behind)
            continue
        assert _pk(doc, table) == _pk(ours, table), table
        assert _fks(doc, table) <= _fks(ours, table), f"{table}: {_fks(doc, table) - _fks(ours, table)}"


def test_document_indexes_exist_but_the_unused_sample_indexes(db):
    doc_indexes = {r[0] for r in _document().execute("SELECT name FROM sqlite_master WHERE type='index' "
                                                     "AND name NOT LIKE 'sqlite_%'")}
    ours = {r[0] for r in db.execute_sql("SELECT name FROM sqlite_master WHERE type='index'")}
    assert len(doc_indexes) == 50 and DROPPED_INDEXES <= doc_indexes
    assert doc_indexes - DROPPED_INDEXES <= ours
    assert not DROPPED_INDEXES & ours


def test_sample_timestamps_are_integer_ms_keyed_by_time_then_device(db):
    # The document's key order (ts, device) since migration 13: new rows go to the right edge of the tree
    # (docs/decisions.md "An SD card that lasts"); before it the appliance keyed them (device, ts).
    for table, device in [("energy_samples", "inverter_id"), ("array_samples", "array_id"),
                          ("battery_bank_samples", "pack_id"), ("battery_unit_samples", "battery_id"),
                          ("battery_cell_readings", "pack_id"), ("meter_samples", "meter_id")]:
        info = _columns(db.connection(), table)
        assert info["ts"][2] == "INTEGER"
        pk_order = [name for name, col in sorted(info.items(), key=lambda kv: kv[1][5]) if col[5]]
        assert pk_order == ["ts", device], table
        sql = db.execute_sql("SELECT sql FROM sqlite_master WHERE name=?", (table,)).fetchone()[0]
        assert "WITHOUT ROWID" in sql


def test_registry_and_market_tables_exist(db):
    assert REGISTRY_TABLES | DOCUMENT_EXTRA_TABLES <= _tables(db.connection())
    names = [r[0] for r in db.execute_sql("SELECT name FROM market_data_types ORDER BY type_id")]
    assert names[:4] == ["niv_estimate", "wholesale_price", "imbalance_price", "external_dispatch"]


def test_models_describe_the_migrated_schema(db):
    conn = db.connection()
    assert {m._meta.table_name for m in ALL_MODELS} == _tables(conn) - {"sqlite_sequence"}
    for model in ALL_MODELS:
        table = model._meta.table_name
        assert [f.column_name for f in model._meta.sorted_fields] == list(_columns(conn, table)), table
        pk = model._meta.primary_key
        pk_cols = ({model._meta.fields[n].column_name for n in pk.field_names} if hasattr(pk, "field_names")
                   else {pk.column_name})
        assert pk_cols == _pk(conn, table), table
        model_fks = {(fk.column_name, fk.rel_model._meta.table_name, fk.rel_field.column_name,
                      (fk.on_delete or "NO ACTION").upper()) for fk in model._meta.refs}
        assert model_fks == _fks(conn, table), table


def test_connection_pragmas(db):
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 5000
    # The WAL is checkpointed when the writer is quiet; the automatic one is only a cap (docs: Write path).
    assert db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 8000
    assert db.execute_sql("PRAGMA journal_size_limit").fetchone()[0] == 16 * 1024 * 1024
    assert schema_version(db) == latest_version()


def test_foreign_keys_are_enforced(db):
    with pytest.raises(peewee.IntegrityError, match="FOREIGN KEY constraint failed"):
        with database.atomic():
            database.execute_sql("INSERT INTO arrays (array_id, system_id, name) VALUES ('a', 'nope', 'A')")
