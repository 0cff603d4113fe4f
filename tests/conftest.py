"""Shared fixtures: a fresh migrated database per test, with adapter types registered."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.catalog.adapters import sync_adapter_types
from appliance.store.db import open_database
from appliance.store.models import database

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test's database lives."""
    return tmp_path / "appliance.db"


@pytest.fixture
def db(db_path: Path):
    """An open, migrated database bound to the models; closed after the test."""
    handle = open_database(db_path)
    sync_adapter_types()
    yield handle
    handle.close()


@pytest.fixture
def example_config() -> Path:
    """The document's full example configuration."""
    return FIXTURES / "config.yaml"


def table_rows(table: str) -> list[tuple]:
    """Every row of a table, sorted, for whole-table comparisons."""
    cursor = database.execute_sql(f"SELECT * FROM {table}")  # noqa: S608 - test helper, fixed table names
    return sorted(cursor.fetchall(), key=repr)
