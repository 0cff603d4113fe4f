"""The mqtt service imports what DESIGN.md section 2 lets it: itself, control (its one arrow), store, drivers and
the leaf modules; everything else (catalog, acquisition, energy, alerts) is handed in by runtime.py."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "appliance" / "mqtt"
ALLOWED = ("appliance.mqtt", "appliance.control", "appliance.store", "appliance.drivers", "appliance.errors",
           "appliance.clock", "appliance.validation", "appliance.vocabulary", "appliance.jsontypes",
           "appliance.__version__")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module if node.module != "appliance" else f"appliance.{node.names[0].name}")
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_mqtt_uses_only_its_declared_arrow_and_the_layers_below():
    wrong = {f"{path.name}: {name}" for path in PACKAGE.glob("*.py") for name in _imports(path)
             if name.startswith("appliance") and not name.startswith(ALLOWED) and name != "appliance"}
    assert not wrong, sorted(wrong)


def test_paho_is_wrapped_in_one_module():
    users = {path.name for path in PACKAGE.parents[0].rglob("*.py") if any(
        name.startswith("paho") for name in _imports(path))}
    assert users == {"link.py"}
