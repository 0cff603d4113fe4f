"""config.yaml import and export: the round trip, and bad files that write nothing."""

from __future__ import annotations

import pytest

from appliance.catalog import adapters, config_yaml, devices, systems
from appliance.catalog.config_import import MAX_ENTRIES
from appliance.errors import ConfigFileError
from appliance.store.db import open_database
from appliance.catalog.adapters import sync_adapter_types
from tests.conftest import table_rows

CATALOG_TABLES = ("systems", "arrays", "inverters", "battery_arrays", "battery_packs", "batteries", "battery_cells",
                  "battery_array_attachments", "meters", "adapters", "battery_pack_adapters")


def _catalog() -> dict[str, list[tuple]]:
    # Timestamps of creation differ between databases; everything else must match.
    out = {}
    for table in CATALOG_TABLES:
        cols = [r[1] for r in __import__("appliance.store.models", fromlist=["database"]).database
                .execute_sql(f"PRAGMA table_info({table})") if r[1] not in ("created_at", "updated_at")]
        rows = __import__("appliance.store.models", fromlist=["database"]).database.execute_sql(
            f"SELECT {', '.join(cols)} FROM {table}").fetchall()
        out[table] = sorted(rows, key=repr)
    return out


def test_example_config_imports_the_whole_hierarchy(db, example_config):
    counts = config_yaml.import_file(example_config)
    assert counts["inverters"] == 3 and counts["battery_banks"] == 2
    assert devices.get_inverter("powdrive1")["array_id"] == "array2"
    assert devices.get_inverter("senergy1")["array_id"] == "array1"
    pack = devices.get_battery_pack("battery1")
    assert (pack["batteries"], pack["cells_per_battery"], pack["battery_array_id"]) == (4, 15, "battery_array2")
    failover = adapters.pack_adapters("jkbms_bank_ble")
    assert [(a["adapter_id"], a["adapter_type"], a["priority"]) for a in failover] == [
        ("jkbms_bank_ble_adapter_primary", "jkbms_tcpip", 1), ("jkbms_bank_ble_adapter_failover", "jkbms_ble", 2)]
    assert devices.get_meter("grid_meter_1")["adapter_id"] == "grid_meter_1_adapter"
    assert systems.get_battery_array("battery_array1")["attached_inverter_array_id"] == "array1"


def test_export_then_import_into_an_empty_database_gives_the_same_catalog(db, example_config, tmp_path):
    config_yaml.import_file(example_config)
    before = _catalog()
    exported = tmp_path / "exported.yaml"
    config_yaml.export_file(exported)
    db.close()
    other = open_database(tmp_path / "other.db")
    sync_adapter_types()
    config_yaml.import_file(exported)
    assert _catalog() == before
    assert config_yaml.export_text() == exported.read_text()
    other.close()


def test_importing_the_same_file_twice_changes_nothing(db, example_config):
    config_yaml.import_file(example_config)
    before = _catalog()
    config_yaml.import_file(example_config)
    assert _catalog() == before


def _bad(tmp_path, text: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, line, key", [
    ("home:\n  id: system\n  name: Home\narrays: [\n", None, None),
    ("home:\n  id: system\n  name: Home\n  timezone: Mars/Base\n", 4, "home.timezone"),
    ("home:\n  id: system\n  name: Home\ncolour: red\n", 4, "colour"),
    ("home: {id: system, name: Home}\narrays:\n  - id: a1\n    name: A\n"
     "inverters:\n  - id: i1\n    name: I\n    array_id: nowhere\n", 8, "inverters[0].array_id"),
    ("home: {id: system, name: Home}\narrays:\n  - id: a1\n    name: A\n"
     "inverters:\n  - id: i1\n    name: ''\n    array_id: a1\n", 7, "inverters[0].name"),
    ("home: {id: system, name: Home}\narrays:\n  - id: a1\n    name: A\n"
     "inverters:\n  - id: i1\n    name: I\n    array_id: a1\n    adapter:\n      type: powdrive\n"
     "      transport: rtu\n      serial_port: /dev/ttyUSB0\n      baudrate: 12345\n", 13,
     "inverters[0].adapter.baudrate"),
    ("home: {id: system, name: Home}\nmeters:\n  - id: m1\n    name: M\n    adapter:\n      type: toaster\n", 6,
     "meters[0].adapter.type"),
])
def test_a_bad_file_writes_nothing_and_names_file_line_and_key(db, tmp_path, text, line, key):
    path = _bad(tmp_path, text)
    with pytest.raises(ConfigFileError) as err:
        config_yaml.import_file(path)
    message = err.value.message
    assert message.startswith(f"{path}:{line}:" if line else f"{path}:")
    if key:
        assert key in message
    for table in CATALOG_TABLES:
        assert table_rows(table) == [], table


def test_a_bad_file_leaves_an_existing_catalog_untouched(db, example_config, tmp_path):
    config_yaml.import_file(example_config)
    before = _catalog()
    bad = example_config.read_text().replace("baudrate: 9600", "baudrate: 9601")
    with pytest.raises(ConfigFileError, match="baudrate"):
        config_yaml.import_file(_bad(tmp_path, bad))
    assert _catalog() == before


def test_yaml_tags_are_refused(db, tmp_path):
    with pytest.raises(ConfigFileError, match="not valid YAML"):
        config_yaml.import_file(_bad(tmp_path, "home: !!python/object/apply:os.system ['true']\n"))


def test_replace_drops_what_the_file_does_not_hold(db, example_config, tmp_path):
    config_yaml.import_file(example_config)
    small = _bad(tmp_path, "home:\n  id: other\n  name: Other\n  timezone: UTC\n")
    config_yaml.import_file(small, replace=True)
    assert [s["system_id"] for s in systems.list_systems()] == ["other"]
    assert table_rows("adapters") == []


def test_nan_in_an_adapter_is_refused_naming_file_and_line(db, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("home: {id: home, name: Home}\narrays: [{id: a1, name: A1}]\ninverters:\n"
                    "  - id: inv1\n    name: Inverter\n    array_id: a1\n"
                    "    adapter: {type: powdrive, transport: tcp, host: 127.0.0.1, poll_interval_s: .nan}\n")
    with pytest.raises(ConfigFileError, match=r"config.yaml:7: .*finite"):
        config_yaml.import_file(path)
    assert table_rows("systems") == []


def test_an_alias_bomb_is_refused_before_it_expands(db, tmp_path):
    lines = ['home: {id: home, name: Home}', 'arrays:', '  - id: a1', '    name: &a0 "lol"']
    lines += [f"x{i}: &a{i + 1} [{', '.join(['*a%d' % i] * 9)}]" for i in range(8)]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigFileError, match="not allowed"):
        config_yaml.import_file(path)
    assert table_rows("systems") == []


def test_a_config_with_too_many_entries_is_refused_before_writing(db, tmp_path):
    path = tmp_path / "config.yaml"
    count = MAX_ENTRIES + 1
    path.write_text("homes:\n" + "".join(f"  - {{id: s{i}, name: S{i}}}\n" for i in range(count)))
    with pytest.raises(ConfigFileError, match=f"at most {MAX_ENTRIES} entries"):
        config_yaml.import_file(path)
    assert table_rows("systems") == []


def test_an_oversized_file_is_refused_without_reading_it_all(db, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("# padding\n" * 200_000)
    with pytest.raises(ConfigFileError, match="larger than"):
        config_yaml.import_file(path)
