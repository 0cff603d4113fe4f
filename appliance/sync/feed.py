"""The sync feed: every change a headend needs, in one global order, read page by page with a cursor.

Two logs share one sequence (store/feedlog.py). Triggers of migration 6 append a `sync_feed` entry
per changed catalog, registry, dispatch or rollup row; the sample writer gives each sample row its
own position and logs one `feed_spans` entry per run of a device's rows (migration 13). Both are
written inside the writing transaction, so positions become visible in order (SQLite has one writer
at a time). A page is read in one read transaction: entries and rows come from the same snapshot.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from typing import TypedDict

from appliance.errors import ApplianceError, ValidationError
from appliance.jsontypes import JsonValue, to_int
from appliance.store import feedlog, settings
from appliance.store.models import database

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
DAY_MS = 86_400_000
#: Kinds of table whose rows live on beyond the feed window: pruning re-announces them at the head.
DURABLE_KINDS = ("catalog", "registry")
_CURSOR = re.compile(r"^([0-9a-f]{12})-([0-9]{1,19})$")
#: Entries looked at per page at most, so a page over rows deleted since stays short.
_EXAMINE_PER_ROW = 20


class FeedGone(ApplianceError):
    """The cursor points before the oldest change still kept (or into another feed): 410."""

    code = "cursor_gone"

    def __init__(self, message: str, oldest_cursor: str) -> None:
        super().__init__(message, field="cursor")
        self.oldest_cursor = oldest_cursor


class FeedRow(TypedDict):
    """One change of a feed page: which row of which table, upserted (with its columns) or deleted."""

    seq: int
    table: str
    kind: str
    op: str
    key: dict[str, object]
    changed_at: int
    row: dict[str, object] | None


class PageJson(TypedDict):
    """A feed page as the route answers it."""

    cursor_from: str
    cursor: str
    has_more: bool
    oldest_cursor: str
    count: int
    rows: list[FeedRow]


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
    rows: list[FeedRow] = field(default_factory=list)

    def to_dict(self) -> PageJson:
        """The page as the route answers it."""
        return {"cursor_from": self.cursor_from, "cursor": self.cursor, "has_more": self.has_more,
                "oldest_cursor": self.oldest_cursor, "count": len(self.rows), "rows": self.rows}


def tables() -> dict[int, Table]:
    """The carried tables by their number in sync_feed."""
    return {tid: Table(tid, name, kind, keys) for tid, name, kind, keys in feedlog.carried_tables(database.connection())}


def _state(key: str) -> JsonValue:
    text = settings.get_state_text(key)
    return json.loads(text) if text is not None else None


def feed_id() -> str:
    """This feed's id; a new database starts a new feed, and cursors of the old one are refused."""
    return str(_state("feed.id"))


def horizon() -> int:
    """The seq up to which changes were pruned: a cursor below it has missed changes."""
    return to_int(_state("feed.horizon") or 0, "feed.horizon")


def head() -> int:
    """The highest seq ever given out (0 when the feed is empty)."""
    return feedlog.head(database.connection())


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


def check_limit(limit: object) -> int:
    """A page size from a query parameter: 1..MAX_LIMIT, DEFAULT_LIMIT when absent."""
    if limit in (None, ""):
        return DEFAULT_LIMIT
    try:
        if not isinstance(limit, (int, float, str)):
            raise TypeError(limit)
        value = int(limit)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError("limit must be a whole number", field="limit") from None
    if not 1 <= value <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return value


def _row(conn: sqlite3.Connection, table: Table, values: dict[str, object]) -> dict[str, object]:
    return feedlog.decoded(conn, table.name, values) if table.name in feedlog.SPAN_TABLES else values


class _Reader:
    """One page's walk over both logs, in position order."""

    def __init__(self, conn: sqlite3.Connection, known: dict[int, Table], start: int, limit: int) -> None:
        self.conn, self.known, self.pos, self.limit = conn, known, start, limit
        self.rows: list[FeedRow] = []
        self.examined = 0
        self.current: dict[int, dict[tuple[object, ...], dict[str, object]]] = {}

    def full(self) -> bool:
        return len(self.rows) >= self.limit

    def run(self) -> bool:
        """Fill the page; return whether more may follow."""
        batch = self.limit
        while not self.full():
            singles = feedlog.singles_after(self.conn, self.pos, batch)
            spans = feedlog.spans_after(self.conn, self.pos, batch)
            if not singles and not spans:
                return False
            # A list cut at `batch` only tells what comes before its last entry.
            bound = min([lst[-1].seq for lst in (singles, spans) if len(lst) == batch], default=None)
            merged = sorted([(e.seq, e) for e in singles] + [(max(e.seq_from, self.pos + 1), e) for e in spans],
                            key=lambda pair: pair[0])
            self._prefetch([e for _, e in merged if isinstance(e, feedlog.Single)])
            for begin, entry in merged:
                if bound is not None and begin > bound:
                    break
                if isinstance(entry, feedlog.Single):
                    self._single(entry)
                elif not self._span(entry):
                    return True  # the page filled up inside a run of rows
                self.examined += 1
                if self.full() or self.examined >= _EXAMINE_PER_ROW * self.limit:
                    return True
        return True

    def _prefetch(self, singles: list[feedlog.Single]) -> None:
        wanted: dict[int, list[tuple[object, ...]]] = {}
        for entry in singles:
            if entry.op == "upsert":
                wanted.setdefault(entry.tid, []).append(entry.key)
        self.current = {tid: feedlog.fetch(self.conn, self.known[tid].name, self.known[tid].key_columns, keys)
                        for tid, keys in wanted.items()}

    def _single(self, entry: feedlog.Single) -> None:
        self.pos = entry.seq
        table = self.known[entry.tid]
        row = None
        if entry.op == "upsert":
            row = self.current[entry.tid].get(entry.key)
            if row is None:
                return  # deleted since (retention, a deleted device): there is nothing left to send
            if table.name in feedlog.SPAN_TABLES and row.get("seq") is not None:
                return  # written again after migration 13: its newer place in the feed serves it
            row = _row(self.conn, table, dict(row))
        self.rows.append({"seq": entry.seq, "table": table.name, "kind": table.kind, "op": entry.op,
                          "key": dict(zip(table.key_columns, entry.key)), "changed_at": entry.ts, "row": row})

    def _span(self, span: feedlog.Span) -> bool:
        """Add a run's rows; False when the page filled before the run's end."""
        table = self.known[span.tid]
        room = self.limit - len(self.rows)
        found = feedlog.span_rows(self.conn, table.name, span, self.pos, room)
        for values in found:
            seq = values["seq"]
            key = {c: values[c] for c in table.key_columns}
            self.rows.append({"seq": seq, "table": table.name, "kind": table.kind, "op": "upsert", "key": key,
                              "changed_at": span.ts, "row": _row(self.conn, table, values)})
            self.pos = seq
        if len(found) == room:
            return False
        self.pos = span.seq
        return True


def read_page(cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    """The changes after `cursor`, oldest first, at most `limit` of them."""
    limit = check_limit(limit)
    # One read snapshot (WAL): entries and rows agree. DEFERRED: a reader must not take the write lock
    # the database's default IMMEDIATE transactions take, or every page would stall the sample writer.
    with database.atomic(lock_type="DEFERRED"):
        fid = feed_id()
        start = decode_cursor(cursor)
        reader = _Reader(database.connection(), tables(), start, limit)
        more = reader.run()
        oldest = encode_cursor(horizon(), fid)
    return Page(cursor or encode_cursor(start, fid), encode_cursor(reader.pos, fid), more, oldest, reader.rows)


def backlog(cursor: str | None) -> int:
    """How many changes lie after `cursor` (all of them when it is None)."""
    with database.atomic(lock_type="DEFERRED"):
        start = decode_cursor(cursor)
        return feedlog.backlog(database.connection(), start)


def oldest_pending(cursor: str | None) -> int | None:
    """When the oldest change after `cursor` was made (epoch ms); None when nothing waits."""
    with database.atomic(lock_type="DEFERRED"):
        try:
            start = decode_cursor(cursor)
        except FeedGone:
            start = horizon()
        return feedlog.oldest_after(database.connection(), start)


def raw_retention_days(default: int = 90) -> int:
    """Days of raw samples kept (app setting retention.raw_days): the feed keeps changes as long."""
    text = settings.get_text("retention.raw_days")
    try:
        days = int(json.loads(text)) if text is not None else default
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
        first = feedlog.first_kept(conn, cutoff)
        new_horizon = first - 1 if first is not None else head()
        if new_horizon <= horizon():
            return {"horizon": horizon(), "pruned": 0, "reannounced": 0}
        durable = [t.tid for t in tables().values() if t.kind in DURABLE_KINDS]
        keep = feedlog.durable_upserts(conn, new_horizon, durable)
        pruned = feedlog.drop_upto(conn, new_horizon)
        # A catalog row unchanged for the whole window must still reach a headend that starts now.
        feedlog.reannounce(conn, keep, now_ms)
        feedlog.set_horizon(conn, new_horizon)
    return {"horizon": new_horizon, "pruned": pruned - len(keep), "reannounced": len(keep)}
