"""The layer contract of DESIGN.md section 2, checked on every import of the package.

The contract lives here, in these tables, and nowhere else (docs/decisions.md explains each arrow). A unit is a
top-level package or module of appliance/. Every `import` and `from ... import` counts, at module level, inside
functions and under TYPE_CHECKING alike: a late import is still a dependency.

    edges  ->  services  ->  drivers | store  ->  leaf modules
               (sim: simulated devices, used by the edges; it uses drivers and the leaves)

An edge may use everything below the edges, and the edges named in EDGE_ARROWS. A service may use drivers, store,
the leaves, and another service only along a SERVICE_ARROWS arrow. drivers and store use only the leaves (never a
service, never each other). A leaf uses only the leaves listed before it. Any other import fails the test, which
names the file, the line and what it imported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1] / "appliance"

#: The edges a person, systemd or a test touches.
EDGES = ("cli", "commands", "runtime", "web", "headend")
#: Which edge may use which other edge: the command line builds the process; the process builds the web app.
EDGE_ARROWS = {
    ("cli", "commands"): "`appliance ...` parses its arguments and hands them to the subcommand",
    ("commands", "runtime"): "`appliance run` and `appliance demo` build the one process",
    ("commands", "headend"): "`appliance headend` starts the reference headend",
    ("runtime", "web"): "the composition root builds the web app and hands it the running services",
}
SERVICES = ("catalog", "discovery", "acquisition", "energy", "control", "sync", "mqtt", "alerts", "accounts")
#: The only collaborations between services; any other one is passed in by runtime.py.
SERVICE_ARROWS = {
    ("discovery", "catalog"): "an approved device becomes catalog rows; a probe's config passes the catalog's "
                              "adapter-schema check",
    ("control", "acquisition"): "setpoints are planned on the live readings (SOC, power) and device contexts",
    ("sync", "control"): "a headend's dispatch command runs through control.dispatch as an external dispatch",
    ("mqtt", "control"): "Home Assistant's command topics go through the same control calls as the API",
    ("alerts", "acquisition"): "the alert rules hear every poll (acquisition.events) and read device contexts",
    ("acquisition", "catalog"): "a pack found by discovery takes its units and cells from its first reading "
                                "(catalog.devices.set_pack_layout)",
}
#: Know devices (drivers) or the database (store); never a service, never each other.
BOTTOM = ("drivers", "store")
#: Simulated devices on loopback: they may use drivers' frame builders and constants, and the leaves.
SIM = "sim"
#: Leaf modules every layer may use, in order: a leaf may import only the leaves before it.
LEAVES = ("__init__", "errors", "jsontypes", "clock", "validation", "safe_yaml", "vocabulary", "timefmt", "settings", "backoff",
          "vclock", "malloc", "sdnotify")


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it stands."""

    path: str  # relative to the package's parent, e.g. appliance/store/db.py
    line: int
    source: str  # the importing module, e.g. appliance.store.db
    target: str  # the imported module, e.g. appliance.errors


def unit(module: str) -> str:
    """The unit of a module name: appliance.store.db -> store; appliance -> __init__ (the package's face)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path, root: Path) -> str:
    """The dotted name of a file under `root` (the package directory)."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def imports(root: Path) -> list[Import]:
    """Every import of the package's own modules in every file under `root`, relative ones resolved."""
    package, found = root.name, []
    for path in sorted(root.rglob("*.py")):
        source = module_name(path, root)
        is_package = path.name == "__init__.py"
        for node in _statements(ast.parse(path.read_text(), str(path)).body):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = source.split(".")[: len(source.split(".")) - node.level + (1 if is_package else 0)]
                    base = ".".join(up + ([node.module] if node.module else []))
                # `from appliance import clock` imports the module appliance.clock; `from appliance import
                # __version__` a name of the package's face; `from appliance.web import running` the module.
                targets = [f"{base}.{alias.name}" if _is_module(root, f"{base}.{alias.name}") else base
                           for alias in node.names]
            where = str(path.relative_to(root.parent))
            found += [Import(where, node.lineno, source, target) for target in targets
                      if target == package or target.startswith(package + ".")]
    return found


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included (functions, classes, if/try/with blocks): imports are statements,
    so expressions need not be walked."""
    for node in body:
        yield node
        for block in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, block, None)
            if isinstance(inner, list):
                yield from _statements([n for n in inner if isinstance(n, ast.stmt)] +
                                       [s for h in inner if isinstance(h, (ast.ExceptHandler, ast.match_case))
                                        for s in h.body])


def _is_module(root: Path, dotted: str) -> bool:
    """Whether `dotted` (appliance.web.running) names a module or package of the package under `root`."""
    path = root.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def allowed(source: str, target: str) -> str | None:
    """None when unit `source` may import unit `target`, else the rule it breaks."""
    if source == target:
        return None
    if source not in (*EDGES, *SERVICES, *BOTTOM, SIM, *LEAVES):
        return f"{source} is in no layer of the contract: add it to tests/test_layers.py"
    if source in LEAVES:
        earlier = LEAVES[:LEAVES.index(source)]
        if target in earlier:
            return None
        return f"{source} is a leaf: it may import only {', '.join(earlier) or 'nothing'}"
    if target in LEAVES:
        return None
    if source in BOTTOM:
        return f"{source} may import only the leaf modules (never a service, never {' or '.join(BOTTOM)})"
    if source == SIM:
        return None if target == "drivers" else "sim may import only drivers and the leaf modules"
    if source in SERVICES:
        if target in BOTTOM or (source, target) in SERVICE_ARROWS:
            return None
        if target in SERVICES:
            return (f"{source} may use another service only along a declared arrow; {source} -> {target} is not one "
                    f"(pass the collaborator in from runtime.py, or declare the arrow with its reason)")
        return f"a service may import drivers, store, the leaves and its declared services, not {target}"
    if target in EDGES and (source, target) not in EDGE_ARROWS:
        return f"{source} -> {target}: an edge may use another edge only along EDGE_ARROWS"
    return None


def violations(found: list[Import]) -> list[str]:
    """One line per import that breaks the contract: file:line, what was imported, and what the rule is."""
    out = []
    for item in found:
        reason = allowed(unit(item.source), unit(item.target))
        if reason is not None:
            out.append(f"{item.path}:{item.line}: {item.source} imports {item.target}: {reason}")
    return out


def units_of(root: Path) -> set[str]:
    """The units the package holds today."""
    return {path.stem if path.is_file() else path.name for path in root.iterdir()
            if (path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists()))}


def test_every_import_of_the_package_keeps_the_layer_contract():
    broken = violations(imports(ROOT))
    assert not broken, "imports against the layers of DESIGN.md section 2:\n" + "\n".join(broken)


def test_every_unit_of_the_package_is_in_a_layer():
    known = set(EDGES) | set(SERVICES) | set(BOTTOM) | {SIM} | set(LEAVES)
    assert not units_of(ROOT) - known, f"units in no layer: {sorted(units_of(ROOT) - known)}"


def test_every_declared_arrow_is_used_and_the_arrows_make_no_circle():
    used = {(unit(i.source), unit(i.target)) for i in imports(ROOT)}
    present = units_of(ROOT)
    stale = [arrow for arrow in (*SERVICE_ARROWS, *EDGE_ARROWS) if set(arrow) <= present and arrow not in used]
    assert not stale, f"declared arrows no import uses any more (remove them here and in docs/decisions.md): {stale}"
    arrows = {**SERVICE_ARROWS, **EDGE_ARROWS}
    for start in {a for a, _ in arrows}:
        seen, frontier = set(), [start]
        while frontier:
            for (a, b) in arrows:
                if a == frontier[-1] and b not in seen:
                    assert b != start, f"the declared arrows make a circle through {start}"
                    seen.add(b)
                    frontier.append(b)
                    break
            else:
                frontier.pop()


def cycles(found: list[Import]) -> list[list[str]]:
    """The modules that import themselves through others (imports inside functions included), one list per
    circle: each such circle is a module that cannot be read, tested or loaded without the rest."""
    graph: dict[str, set[str]] = {}
    for item in found:
        if item.target != item.source:
            graph.setdefault(item.source, set()).add(item.target)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        order[module] = low[module] = len(order)
        stack.append(module)
        for target in graph.get(module, ()):
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            part = stack[stack.index(module):]
            del stack[stack.index(module):]
            if len(part) > 1:
                circles.append(sorted(part))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return circles


def test_no_module_imports_itself_through_others():
    assert not cycles(imports(ROOT)), f"import circles: {cycles(imports(ROOT))}"


def test_the_checker_names_each_import_that_breaks_the_contract(tmp_path):
    package = tmp_path / "appliance"
    files = {
        "__init__.py": "",
        "errors.py": "",
        "clock.py": "from appliance import validation\n",  # a leaf importing a later leaf
        "validation.py": "from appliance.errors import ValidationError\n",
        "store/__init__.py": "",
        "store/db.py": "import json\n\n\ndef late():\n    from appliance.acquisition import live\n",
        "drivers/__init__.py": "",
        "drivers/base.py": "from ..store import db\n",  # relative, and across the bottom layer
        "acquisition/__init__.py": "",
        "acquisition/live.py": "from appliance.clock import now_ms\nfrom appliance.store import db\n",
        "energy/__init__.py": "",
        "energy/history.py": "if True:\n    import appliance.acquisition.live\n",  # no declared arrow
        "control/__init__.py": "",
        "control/plan.py": "from appliance.acquisition.live import x\n",  # a declared arrow: fine
        "sim/__init__.py": "",
        "sim/site.py": "from appliance.web import create_app\n",
        "web/__init__.py": "from appliance.runtime import Runtime\n",  # an edge against EDGE_ARROWS
        "runtime.py": "from appliance import web\n",
        "gadgets.py": "from appliance import errors\n",  # in no layer
    }
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    broken = violations(imports(package))
    expected = [
        "appliance/clock.py:1: appliance.clock imports appliance.validation: clock is a leaf",
        "appliance/drivers/base.py:1: appliance.drivers.base imports appliance.store.db: drivers may import only",
        "appliance/energy/history.py:2: appliance.energy.history imports appliance.acquisition.live: energy may use "
        "another service only along a declared arrow",
        "appliance/gadgets.py:1: appliance.gadgets imports appliance.errors: gadgets is in no layer",
        "appliance/sim/site.py:1: appliance.sim.site imports appliance.web: sim may import only drivers",
        "appliance/store/db.py:5: appliance.store.db imports appliance.acquisition.live: store may import only",
        "appliance/web/__init__.py:1: appliance.web imports appliance.runtime: web -> runtime",
    ]
    assert len(broken) == len(expected), "\n".join(broken)
    for line, start in zip(sorted(broken), expected):
        assert line.startswith(start), (line, start)
    # Two of the wrong imports also close circles: live and db import each other (db inside a function),
    # and so do the web and the runtime.
    assert sorted(cycles(imports(package))) == [["appliance.acquisition.live", "appliance.store.db"],
                                                ["appliance.runtime", "appliance.web"]]
