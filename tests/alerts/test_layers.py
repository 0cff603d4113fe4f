"""The alerts service writes no SQL: it lives in store/alerts.py. (Its imports, acquisition its one declared arrow
and nothing below the edges importing it, are checked with every other unit's by tests/test_layers.py.)"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "appliance"


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


def test_the_alerts_service_writes_no_sql():
    for path in sorted((ROOT / "alerts").glob("*.py")):
        imported = _imports(path) | {n for n in ("peewee", "sqlite3") if f"import {n}" in path.read_text()}
        assert not imported & {"appliance.store.models", "peewee", "sqlite3"}, \
            f"{path.name}: SQL goes in appliance/store/alerts.py, not in the service"
        assert "execute_sql" not in path.read_text(), path.name
