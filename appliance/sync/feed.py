"""The sync feed: every change a headend needs, in one global order, read page by page with a cursor.

Triggers of migration 6 append one `sync_feed` entry per changed row inside the writing transaction,
so entries become visible in seq order (SQLite has one writer at a time). A page is read in one
read transaction: the entries and the rows they point at come from the same snapshot.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from appliance.errors import ApplianceError, ValidationError
from appliance.store.models import AppSetting, SyncFeed, SyncState, SyncTable, database

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
DAY_MS = 86_400_000
#: Kinds of table whose rows live on beyond the feed window: pruning re-announces them at the head.
DURABLE_KINDS = ("catalog", "registry")
_CURSOR = re.compile(r"^([0-9a-f]{12})-([0-9]{1,19})$")
_KEYS_PER_QUERY = 300


class FeedGone(ApplianceError):
    """The cursor points before the oldest change still kept (or into another feed): 410."""

    code = "cursor_gone"

    def __init__(self, message: str, oldest_cursor: str) -> None:
        super().__init__(message, field="cursor")
        self.oldest_cursor = oldest_cursor


@dataclass(frozen=True)
class Table:
    """A table the feed carries."""

    tid: int
    name: str
    kind: str
    key_columns: tuple[str, ...]


@dataclass(frozen=True)
class Page:
    """One page of the feed: the rows after `cursor_from`, and the cursor to ask with next."""

    cursor_from: str
    cursor: str
    has_more: bool
    oldest_cursor: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The page as the route answers it."""
        return {"cursor_from": self.cursor_from, "cursor": self.cursor, "has_more": self.has_more,
                "oldest_cursor": self.oldest_cursor, "count": len(self.rows), "rows": self.rows}


def tables() -> dict[int, Table]:
    """The carried tables by their number in sync_feed."""
    return {t.tid: Table(t.tid, t.name, t.kind, tuple(json.loads(t.key_columns))) for t in SyncTable.select()}


def _state(key: str) -> Any:
    row = SyncState.get_or_none(SyncState.key == key)
    return json.loads(row.value) if row is not None else None


def feed_id() -> str:
    """This feed's id; a new database starts a new feed, and cursors of the old one are refused."""
    return str(_state("feed.id"))


def horizon() -> int:
    """The seq up to which changes were pruned: a cursor below it has missed changes."""
    return int(_state("feed.horizon") or 0)


def head() -> int:
    """The highest seq ever given out (0 when the feed is empty)."""
    row = database.execute_sql("SELECT seq FROM sqlite_sequence WHERE name = 'sync_feed'").fetchone()
    return int(row[0]) if row else 0


def encode_cursor(seq: int, fid: str | None = None) -> str:
    """The opaque cursor string of a position in the feed."""
    return f"{fid or feed_id()}-{seq}"


def oldest_cursor() -> str:
    """The oldest cursor still accepted: resuming there misses nothing still kept."""
    return encode_cursor(horizon())


def decode_cursor(cursor: str | None) -> int:
    """The seq of a cursor; None or '' is the start of the feed. Raises ValidationError or FeedGone."""
    if cursor in (None, ""):
        return horizon()
    match = _CURSOR.match(cursor) if isinstance(cursor, str) else None
    if match is None:
        raise ValidationError("cursor is not a cursor of this feed", field="cursor")
    fid, seq = match.group(1), int(match.group(2))
    if fid != feed_id():
        raise FeedGone("the cursor belongs to another feed (the database was replaced); start again from "
                       "oldest_cursor", oldest_cursor())
    if seq < horizon():
        raise FeedGone("the cursor fell behind retention: changes after it were deleted; resume from "
                       "oldest_cursor", oldest_cursor())
    if seq > head():
        raise FeedGone("the cursor is ahead of this feed (the database was restored from a backup); resume "
                       "from oldest_cursor", oldest_cursor())
    return seq


def check_limit(limit: Any) -> int:
    """A page size from a query parameter: 1..MAX_LIMIT, DEFAULT_LIMIT when absent."""
    if limit in (None, ""):
        return DEFAULT_LIMIT
    try:
        value = int(limit)
    except (TypeError, ValueError):
        raise ValidationError("limit must be a whole number", field="limit") from None
    if not 1 <= value <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return value


def _fetch(table: Table, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The current rows of `table` with these primary keys, by key."""
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    cols = table.key_columns
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start:start + _KEYS_PER_QUERY]
        one = "(" + ", ".join("?" * len(cols)) + ")"
        # Table and column names come from sync_tables (written by the migration), never from a client.
        sql = (f"SELECT * FROM {table.name} WHERE ({', '.join(cols)}) IN "  # noqa: S608
               f"(VALUES {', '.join([one] * len(chunk))})")
        cursor = database.execute_sql(sql, [value for key in chunk for value in key])
        names = [d[0] for d in cursor.description]
        for values in cursor.fetchall():
            item = dict(zip(names, values))
            found[tuple(item[c] for c in cols)] = item
    return found


def read_page(cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    """The changes after `cursor`, oldest first, at most `limit` of them."""
    limit = check_limit(limit)
    # One read snapshot (WAL): entries and rows agree. DEFERRED: a reader must not take the write lock
    # the database's default IMMEDIATE transactions take, or every page would stall the sample writer.
    with database.atomic(lock_type="DEFERRED"):
        fid = feed_id()
        start = decode_cursor(cursor)
        known = tables()
        entries: list[tuple[Any, ...]] = database.execute_sql(
            "SELECT seq, tid, key, op, ts FROM sync_feed WHERE seq > ? ORDER BY seq LIMIT ?", (start, limit)).fetchall()
        wanted: dict[int, list[tuple[Any, ...]]] = {}
        for _, tid, key, op, _ in entries:
            if op == "upsert":
                wanted.setdefault(tid, []).append(tuple(json.loads(key)))
        current = {tid: _fetch(known[tid], keys) for tid, keys in wanted.items()}
        oldest = encode_cursor(horizon(), fid)
    rows = []
    for seq, tid, key, op, ts in entries:
        table, key_values = known[tid], json.loads(key)
        row = None
        if op == "upsert":
            row = current[tid].get(tuple(key_values))
            if row is None:
                continue  # deleted since (retention, a deleted device): there is nothing left to send
        rows.append({"seq": seq, "table": table.name, "kind": table.kind, "op": op,
                     "key": dict(zip(table.key_columns, key_values)), "changed_at": ts, "row": row})
    end = entries[-1][0] if entries else start
    return Page(cursor or encode_cursor(start, fid), encode_cursor(end, fid), len(entries) == limit, oldest, rows)


def backlog(cursor: str | None) -> int:
    """How many changes lie after `cursor` (all of them when it is None)."""
    with database.atomic(lock_type="DEFERRED"):
        start = decode_cursor(cursor)
        return SyncFeed.select().where(SyncFeed.seq > start).count()


def oldest_pending(cursor: str | None) -> int | None:
    """When the oldest change after `cursor` was made (epoch ms); None when nothing waits."""
    with database.atomic(lock_type="DEFERRED"):
        try:
            start = decode_cursor(cursor)
        except FeedGone:
            start = horizon()
        row = SyncFeed.select(SyncFeed.ts).where(SyncFeed.seq > start).order_by(SyncFeed.seq).limit(1).first()
    return int(row.ts) if row is not None else None


def raw_retention_days(default: int = 90) -> int:
    """Days of raw samples kept (app setting retention.raw_days): the feed keeps changes as long."""
    setting = AppSetting.get_or_none(AppSetting.key == "retention.raw_days")
    try:
        days = int(json.loads(setting.value)) if setting is not None else default
    except (TypeError, ValueError):
        days = default
    return days if days >= 1 else default


def prune(now_ms: int, keep_days: int | None = None) -> dict[str, int]:
    """Drop changes older than the feed window; re-announce catalog and registry rows still present."""
    keep_days = raw_retention_days() if keep_days is None else keep_days
    if keep_days < 1:
        raise ValidationError("keep_days must be at least 1", field="keep_days")
    cutoff = now_ms - keep_days * DAY_MS
    conn = database.connection()
    with database.atomic():
        # Change times grow with seq, so the window starts at the first change inside it: a walk of the
        # oldest entries only (an index on ts would cost the sample writer on every row).
        first = conn.execute("SELECT seq FROM sync_feed WHERE ts >= ? ORDER BY seq LIMIT 1", (cutoff,)).fetchone()
        new_horizon = first[0] - 1 if first else head()
        if new_horizon <= horizon():
            return {"horizon": horizon(), "pruned": 0, "reannounced": 0}
        durable = [t.tid for t in tables().values() if t.kind in DURABLE_KINDS]
        marks = ", ".join("?" * len(durable))
        keep = conn.execute(f"SELECT tid, key FROM sync_feed WHERE seq <= ? AND op = 'upsert' "  # noqa: S608
                            f"AND tid IN ({marks}) ORDER BY seq", (new_horizon, *durable)).fetchall()
        pruned = conn.execute("DELETE FROM sync_feed WHERE seq <= ?", (new_horizon,)).rowcount
        # A catalog row unchanged for the whole window must still reach a headend that starts now.
        conn.executemany("INSERT INTO sync_feed (tid, key, op, ts) VALUES (?, ?, 'upsert', ?)",
                         [(tid, key, now_ms) for tid, key in keep])
        conn.execute("UPDATE sync_state SET value = ?, updated_at = CURRENT_TIMESTAMP WHERE key = 'feed.horizon'",
                     (json.dumps(new_horizon, allow_nan=False),))
    return {"horizon": new_horizon, "pruned": pruned - len(keep), "reannounced": len(keep)}
