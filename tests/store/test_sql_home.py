"""SQL has one home (issue 14, item 7): no module outside appliance/store holds SQL text or runs a statement.

Services and edges call the typed functions of the store's query modules. They may still read rows
through the peewee models (a query built from model fields, no SQL text: peewee for what it does well)
and group store calls in `database.atomic()`; every statement they run goes through a store function.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "appliance"
#: The reference headend keeps its own SQLite file, not the appliance's database, behind a store module of
#: its own (its schema and its statements; issue 16 item 4).
OWN_DATABASE = {Path("headend/store.py"), Path("headend/schema.py")}
STATEMENT_CALLS = {"execute", "executemany", "execute_sql", "executescript"}
#: Uppercase SQL shapes; prose ("select a device") and HTTP verbs ("DELETE") do not match.
SQL_TEXT = re.compile(r"\bSELECT\b[\s\S]+\bFROM\b|\bINSERT\s+(OR\s+[A-Z]+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|"
                      r"\bDELETE\s+FROM\b|\bPRAGMA\s+\w+|^\s*(BEGIN|COMMIT|ROLLBACK)\b|"
                      r"\bCREATE\s+(TABLE|INDEX|VIEW|TRIGGER)\b|\bWHERE\s+\w+\s*(=|<|>|IN\b|IS\b)")


def _outside_store() -> list[Path]:
    files = [p for p in sorted(PACKAGE.rglob("*.py")) if "store" not in p.relative_to(PACKAGE).parts[:1]]
    assert all((PACKAGE / own).is_file() for own in OWN_DATABASE), "the headend's store moved: update OWN_DATABASE"
    return [p for p in files if p.relative_to(PACKAGE) not in OWN_DATABASE]


def _text(node: ast.AST) -> str | None:
    """The literal text of a string constant or f-string (placeholders left out)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def _findings(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skipped = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.body
                  and isinstance(n.body[0], ast.Expr)}
    # An f-string is read whole; its literal parts are not read again on their own.
    skipped |= {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    where = path.relative_to(root)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in STATEMENT_CALLS:
            out.append(f"{where}:{node.lineno}: .{node.func.attr}(...) runs a statement")
        if isinstance(node, ast.ImportFrom) and node.module == "peewee" and any(a.name == "SQL" for a in node.names):
            out.append(f"{where}:{node.lineno}: peewee's SQL() is SQL text")
        text = _text(node) if id(node) not in skipped else None
        if text and SQL_TEXT.search(text):
            out.append(f"{where}:{node.lineno}: SQL text {text[:60]!r}")
    return out


def test_the_pattern_finds_sql_and_not_prose():
    for sql in ("SELECT ts FROM energy_samples", "INSERT OR IGNORE INTO rollup_dirty VALUES (?)",
                "UPDATE device_registry SET last_seen = ?", "DELETE FROM market_data WHERE ts >= ?",
                "PRAGMA foreign_keys = OFF", "BEGIN IMMEDIATE", "WHERE system_id = ?"):
        assert SQL_TEXT.search(sql), sql
    for prose in ("DELETE", "select a device from the list", "the UPDATE button", "Choose which to DELETE"):
        assert not SQL_TEXT.search(prose), prose


def test_a_statement_and_its_sql_are_found(tmp_path):
    sample = tmp_path / "service.py"
    sample.write_text('"""A service."""\n\n\ndef prune(conn, table):\n'
                      '    conn.execute(f"DELETE FROM {table} WHERE ts < ?", (1,))\n'
                      '    Model.update(x=1).where(Model.id == 2).execute()\n')
    found = {(int(f.split(":")[1]), "SQL text" in f) for f in _findings(sample, tmp_path)}
    assert found == {(5, False), (5, True), (6, False)}


def test_no_statement_or_sql_text_outside_the_store():
    files = _outside_store()
    assert len(files) > 100, "the scan found too few modules to mean anything"
    findings = [f for path in files for f in _findings(path)]
    assert not findings, "SQL belongs in an appliance/store query module:\n" + "\n".join(findings)
