"""paho is wrapped in one module of the mqtt service. (What mqtt imports, control its one arrow, store, drivers and
the leaves, everything else handed in by runtime.py, is checked with every other unit's by tests/test_layers.py.)"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "appliance" / "mqtt"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module if node.module != "appliance" else f"appliance.{node.names[0].name}")
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_paho_is_wrapped_in_one_module():
    users = {path.name for path in PACKAGE.parents[0].rglob("*.py") if any(
        name.startswith("paho") for name in _imports(path))}
    assert users == {"link.py"}
