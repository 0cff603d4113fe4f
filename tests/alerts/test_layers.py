"""The alerts service keeps to its place in the house (DESIGN.md section 2): it uses acquisition (its one declared
arrow), the store and the leaf modules; nothing below it imports it; its SQL lives in store/alerts.py."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "appliance"
#: What appliance/alerts may import: its arrow, the store, the leaves.
ALLOWED = ("appliance.alerts", "appliance.acquisition", "appliance.store", "appliance.clock", "appliance.errors",
           "appliance.validation", "appliance.vocabulary", "appliance.timefmt", "appliance.jsontypes")
#: Services and layers below the edges: none may import alerts (runtime.py passes it to the web and the rest).
NOT_IMPORTING_ALERTS = ("acquisition", "catalog", "discovery", "energy", "control", "sync", "store", "drivers", "sim",
                        "accounts")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module if node.level == 0 else f"relative:{node.module}")
            if node.module == "appliance":
                found.update(f"appliance.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith(("appliance", "relative:"))}


def test_alerts_imports_only_acquisition_the_store_and_the_leaves():
    for path in sorted((ROOT / "alerts").glob("*.py")):
        bad = {name for name in _imports(path) if name != "appliance" and not name.startswith(ALLOWED)}
        assert not bad, f"{path.name} imports {bad}"


def test_no_layer_below_the_edges_imports_alerts():
    for package in NOT_IMPORTING_ALERTS:
        for path in sorted((ROOT / package).rglob("*.py")):
            assert not any(name.startswith("appliance.alerts") for name in _imports(path)), path


def test_the_alerts_service_writes_no_sql():
    for path in sorted((ROOT / "alerts").glob("*.py")):
        imported = _imports(path) | {n for n in ("peewee", "sqlite3") if f"import {n}" in path.read_text()}
        assert not imported & {"appliance.store.models", "peewee", "sqlite3"}, \
            f"{path.name}: SQL goes in appliance/store/alerts.py, not in the service"
        assert "execute_sql" not in path.read_text(), path.name
