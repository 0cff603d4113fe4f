"""Types of what sqlite3 hands back: its rows are untyped tuples (typeshed says Any), so they are named here once."""

from __future__ import annotations

from typing import Any, TypeAlias

#: One row of a query: column values in SELECT order (None, int, float, str or bytes; sqlite3 types it Any).
SqlRow: TypeAlias = tuple[Any, ...]
