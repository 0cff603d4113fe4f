"""The `details` column of the sample tables: a device family's extra values, stored compactly.

A reading's details are JSON. Most of a row's JSON is key names and values that barely change
from one poll to the next, so each row is stored deflated against a dictionary: an earlier details
text of the same device (table `sample_dictionaries`, migration 13). A row then costs tens of bytes
instead of hundreds. Every reader decodes through `decode`; rows written before migration 13 (JSON
text) and NULL (no details) read the same way.

Encoding, version 1: byte 0 = 1, then the dictionary id as an unsigned LEB128 varint, then raw
deflate (RFC 1951) of the compact JSON with the dictionary as its preset dictionary.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import zlib
from typing import Any

from appliance.errors import StoreError

VERSION = 1
#: A new dictionary is taken when a row compresses worse than this share of its JSON...
POOR_RATIO = 0.3
#: ...but at most once per source in this many ms (a device whose details always differ).
NEW_DICTIONARY_EVERY_MS = 3_600_000
#: Shorter JSON is stored as text: deflate would not win.
MIN_COMPRESS = 48


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data):
            raise StoreError("details blob ends inside its dictionary id")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return value, at
        shift += 7


def _window(size: int) -> int:
    """The smallest deflate window (wbits 9..15) holding the dictionary and the data."""
    bits = 9
    while bits < 15 and (1 << bits) < size:
        bits += 1
    return bits


def compact_json(value: object) -> str:
    """JSON without spaces, keys sorted (the form that compresses best against a dictionary)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str, allow_nan=False)


class DetailsCodec:
    """Encodes details per source (table and device) and decodes any stored form; thread-safe."""

    def __init__(self) -> None:
        self._bodies: dict[int, bytes] = {}
        self._packers: dict[int, zlib._Compress] = {}  # dict_id -> a compressor primed with it (copied per row)
        self._current: dict[str, tuple[int, int]] = {}  # source -> (dict_id, created_ms)
        self._lock = threading.Lock()

    def encode(self, conn: sqlite3.Connection, source: str, text: str | None, now_ms: int) -> str | bytes | None:
        """The value to store for a details JSON text (inside the caller's write transaction)."""
        if text is None or text in ("", "{}"):
            return None
        data = text.encode()
        if len(data) < MIN_COMPRESS:
            return text
        with self._lock:
            current = self._current.get(source)
            if current is None:
                current = self._load_current(conn, source)
            if current is None:
                current = self._create(conn, source, data, now_ms)
            packed = self._pack(current[0], data)
            if len(packed) > POOR_RATIO * len(data) and now_ms - current[1] >= NEW_DICTIONARY_EVERY_MS:
                current = self._create(conn, source, data, now_ms)
                packed = self._pack(current[0], data)
        return packed

    def _pack(self, dict_id: int, data: bytes) -> bytes:
        primed = self._packers.get(dict_id)
        if primed is None:
            body = self._bodies[dict_id]
            # A small window and memory level: the dictionary and one row fit, and priming is cheap.
            primed = self._packers[dict_id] = zlib.compressobj(6, zlib.DEFLATED, -_window(2 * len(body)), 2,
                                                               zlib.Z_DEFAULT_STRATEGY, zdict=body)
        packer = primed.copy()
        return bytes((VERSION,)) + _varint(dict_id) + packer.compress(data) + packer.flush()

    def _load_current(self, conn: sqlite3.Connection, source: str) -> tuple[int, int] | None:
        row = conn.execute("SELECT dict_id, created_ms, body FROM sample_dictionaries WHERE source = ? "
                           "ORDER BY dict_id DESC LIMIT 1", (source,)).fetchone()
        if row is None:
            return None
        self._bodies[row[0]] = bytes(row[2])
        self._current[source] = (row[0], row[1])
        return self._current[source]

    def _create(self, conn: sqlite3.Connection, source: str, body: bytes, now_ms: int) -> tuple[int, int]:
        cursor = conn.execute("INSERT INTO sample_dictionaries (source, created_ms, body) VALUES (?, ?, ?)",
                              (source, now_ms, body))
        dict_id = int(cursor.lastrowid or 0)
        self._bodies[dict_id] = body
        self._current[source] = (dict_id, now_ms)
        return self._current[source]

    def forget(self) -> None:
        """Drop cached dictionaries (after a rollback that may have undone a new one)."""
        with self._lock:
            self._current.clear()
            self._bodies.clear()
            self._packers.clear()

    def decode(self, conn: sqlite3.Connection, value: object) -> dict[str, Any]:
        """The details as a dict, whatever form they were stored in."""
        if value is None or value == "":
            return {}
        if isinstance(value, str):
            return _loads(value)
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise StoreError(f"details stored as {type(value).__name__}, neither JSON text nor a blob")
        data = bytes(value)
        if not data or data[0] != VERSION:
            raise StoreError(f"details stored in an unknown encoding (version {data[:1].hex() or 'none'})")
        dict_id, at = _read_varint(data, 1)
        body = self._body(conn, dict_id)
        try:
            text = zlib.decompressobj(-15, zdict=body).decompress(data[at:])
        except zlib.error as exc:
            raise StoreError(f"details cannot be inflated: {exc}") from exc
        return _loads(text.decode())

    def _body(self, conn: sqlite3.Connection, dict_id: int) -> bytes:
        with self._lock:
            body = self._bodies.get(dict_id)
        if body is None:
            row = conn.execute("SELECT body FROM sample_dictionaries WHERE dict_id = ?", (dict_id,)).fetchone()
            if row is None:
                raise StoreError(f"details dictionary {dict_id} is missing")
            body = bytes(row[0])
            with self._lock:
                self._bodies[dict_id] = body
        return body


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise StoreError(f"details are not JSON: {exc}") from exc
    return value if isinstance(value, dict) else {"value": value}


#: The process's codec (dictionaries are cached per process).
CODEC = DetailsCodec()


def read(value: object) -> dict[str, Any]:
    """A stored details value (text, deflated blob or NULL) as a dict, on the open database."""
    from appliance.store.models import database

    return CODEC.decode(database.connection(), value)
