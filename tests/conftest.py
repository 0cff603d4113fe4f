"""Shared fixtures: a fresh migrated database per test, with adapter types registered."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from appliance.catalog.adapters import sync_adapter_types
from appliance.store.db import open_database
from appliance.store.models import database

# Some shells set PYTHONDONTWRITEBYTECODE (this build VM's does): every test process, and the hundreds of
# appliance processes the tests start, would then compile the package from source again, about 0.5 s of
# CPU each. The tests keep bytecode in __pycache__ (ignored by git), as an installed appliance does.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def ram_spools(tmp_path_factory: pytest.TempPathFactory):
    """The writers' RAM spools (acquisition/spool.py) of this run, appliance processes the tests start included,
    in one folder of /dev/shm removed at the end, not one per test database left behind."""
    import tempfile

    from appliance.acquisition.spool import RAM_FILESYSTEMS, filesystem_of

    ram = Path("/dev/shm")
    in_ram = ram.is_dir() and filesystem_of(ram) in RAM_FILESYSTEMS
    folder = Path(tempfile.mkdtemp(prefix="appliance-test-spools-", dir=ram)) if in_ram else None
    previous = os.environ.get("APPLIANCE_SPOOL_DIR")
    os.environ["APPLIANCE_SPOOL_DIR"] = str(folder) if folder else "off"
    yield folder
    if previous is None:
        os.environ.pop("APPLIANCE_SPOOL_DIR", None)
    else:
        os.environ["APPLIANCE_SPOOL_DIR"] = previous
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test's database lives."""
    return tmp_path / "appliance.db"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once per test process, with adapter types registered (a fresh migration costs
    about 0.35 s of CPU, a copy of the file about 20 ms, and most tests want a database)."""
    path = tmp_path_factory.mktemp("template") / "appliance.db"
    handle = open_database(path)
    sync_adapter_types()
    handle.close()  # the last connection checkpoints: the file alone holds everything
    assert not Path(f"{path}-wal").exists()
    return path


@pytest.fixture
def db(db_path: Path, migrated_template: Path):
    """An open, migrated database bound to the models; closed after the test."""
    shutil.copyfile(migrated_template, db_path)
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


def _long(item: pytest.Item) -> bool:
    """A test of a module that drives a real browser (it names CHROMIUM), or one marked slow."""
    module = getattr(item, "module", None)
    return item.get_closest_marker("slow") is not None or (module is not None and hasattr(module, "CHROMIUM"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long modules first: `--dist loadscope` hands modules out in collection order, and a browser module
    of 110 s handed out last finishes the run alone (longest first keeps the workers busy to the end)."""
    items.sort(key=lambda item: not _long(item))  # stable: each module keeps its own order
