"""Write transactions on the raw connection: BEGIN IMMEDIATE, so a transaction reads what it will write.

peewee's `database.atomic()` serves the short configuration writes; the batch jobs (rollups,
retention) run many statements on the sqlite3 connection and take the write lock up front, so a
reader-turned-writer never fails with SQLITE_BUSY half-way.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Iterator

from appliance.errors import StoreError


@contextmanager
def immediate(conn: sqlite3.Connection, failure: str) -> Iterator[sqlite3.Connection]:
    """One short write transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on an error); inside a transaction
    already it adds nothing, so a small run commits once. A BEGIN that fails is a StoreError("failure: ...")."""
    if conn.in_transaction:
        yield conn
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise StoreError(f"{failure}: {exc}") from exc
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


@contextmanager
def guarded(conn: sqlite3.Connection, what: str) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, turning any SQLite error (begin, statements, commit) into
    StoreError(f"{what} failed: ...") after a rollback."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise StoreError(f"{what} failed: {exc}") from exc
    try:
        yield
    except BaseException as exc:
        if conn.in_transaction:
            conn.rollback()
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"{what} failed: {exc}") from exc
        raise
    try:
        conn.commit()
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.rollback()
        raise StoreError(f"{what} failed: {exc}") from exc
