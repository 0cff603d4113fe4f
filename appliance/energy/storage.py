"""The disk budget: how big the database is and may grow, how fast, and what to delete when space runs out.

Retention deletes by age; the budget deletes by space. When the database would leave less than
`storage.min_free_pct` of its filesystem free, or grow past `storage.max_db_mb`, the oldest raw
samples go first (only those already rolled up). Rollups are never deleted for space: they are
small, and they are the history a homeowner looks at.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from appliance.clock import now_ms
from appliance.energy.retention import DAY_MS, delete_raw_before
from appliance.errors import ValidationError
from appliance.store import rollup_queue, settings
from appliance.store import space as space_store
from appliance.store.models import database

log = logging.getLogger(__name__)

DEFAULT_MIN_FREE_PCT = 15.0
DEFAULT_MAX_DB_MB = 4096
MIN_FREE_KEY, MAX_DB_KEY = "storage.min_free_pct", "storage.max_db_mb"
#: Persisted measurement anchors (used bytes, bytes freed so far, when): growth survives a restart.
ANCHOR_KEY, FREED_KEY = "storage.anchor", "storage.freed_bytes"
#: A measurement over less time than this says nothing yet.
MIN_WINDOW_MS = 10 * 60_000
HOUR_MS = 3_600_000


@dataclass(frozen=True)
class Budget:
    """What the database may occupy."""

    min_free_pct: float
    max_db_bytes: int


@dataclass(frozen=True)
class StorageStatus:
    """The database's size, growth and the room left, for the settings page and GET /api/storage."""

    database_bytes: int
    wal_bytes: int
    used_bytes: int
    free_page_bytes: int
    filesystem_bytes: int
    filesystem_free_bytes: int
    limit_bytes: int
    min_free_pct: float
    max_db_bytes: int
    growth_bytes_per_day: float | None
    writes_bytes_per_day: float | None
    days_left: float | None
    oldest_raw_ms: int | None
    measured_since_ms: int | None
    #: Seconds between the sample writer's commits, and whether a RAM spool keeps readings through a crash.
    flush_interval_s: float | None = None
    ram_spool: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """The status as the API answers it."""
        return asdict(self)


def budget() -> Budget:
    """The budget from app_settings, defaults filled in."""
    values = settings.get_texts([MIN_FREE_KEY, MAX_DB_KEY])
    try:
        free = float(json.loads(values.get(MIN_FREE_KEY, "null")) or DEFAULT_MIN_FREE_PCT)
        cap = int(json.loads(values.get(MAX_DB_KEY, "null")) or DEFAULT_MAX_DB_MB)
    except (TypeError, ValueError):
        free, cap = DEFAULT_MIN_FREE_PCT, DEFAULT_MAX_DB_MB
    return Budget(min(max(free, 0.0), 90.0), max(cap, 1) * 1024 * 1024)


def set_budget(changes: dict[str, Any]) -> Budget:
    """Store `min_free_pct` (0-90) and/or `max_db_mb` (at least 16); unknown keys and bad values are errors."""
    known = {"min_free_pct": MIN_FREE_KEY, "max_db_mb": MAX_DB_KEY}
    for key in changes:
        if key not in known:
            raise ValidationError(f"unknown storage setting {key!r}", field=key)
    checked: dict[str, float | int] = {}
    if "min_free_pct" in changes:
        value = changes["min_free_pct"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 90:
            raise ValidationError("min_free_pct must be a number from 0 to 90", field="min_free_pct")
        checked["min_free_pct"] = float(value)
    if "max_db_mb" in changes:
        value = changes["max_db_mb"]
        if isinstance(value, bool) or not isinstance(value, int) or not 16 <= value <= 10_000_000:
            raise ValidationError("max_db_mb must be a whole number of MB from 16", field="max_db_mb")
        checked["max_db_mb"] = value
    with database.atomic():
        for key, value in checked.items():
            _put(known[key], value)
    return budget()


def limit_bytes(space: space_store.Space, fs_total: int, fs_free: int, policy: Budget) -> int:
    """The most the database may hold: under the cap, leaving min_free_pct of the filesystem free.

    A database limited by SQLite's max_page_count is treated as a filesystem of that size."""
    reserve = policy.min_free_pct / 100
    room_fs = space.file_bytes + space.wal_bytes + fs_free - int(reserve * fs_total)
    room_pages = int(space.max_page_count * space.page_size * (1 - reserve))
    return max(0, min(policy.max_db_bytes, room_fs, room_pages))


def _write_bytes() -> int | None:
    try:
        for line in Path(f"/proc/{os.getpid()}/io").read_text().splitlines():
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _setting(key: str) -> Any:
    return settings.get_json(key)


def _put(key: str, value: Any) -> None:
    settings.put_json(key, value)


class StorageWatch:
    """Measures growth and writes, enforces the budget, checkpoints; one per process (runtime.py)."""

    def __init__(self, *, io_bytes: Callable[[], int | None] = _write_bytes,
                 wall_ms: Callable[[], int] = now_ms,
                 write_policy: Callable[[], tuple[float, bool]] | None = None) -> None:
        self._io_bytes = io_bytes
        self._write_policy = write_policy
        self._wall_ms = wall_ms
        self._started = (wall_ms(), io_bytes())
        self._lock = threading.Lock()
        self._warned = False

    def _space(self) -> tuple[space_store.Space, int, int]:
        conn = database.connection()
        space = space_store.space(conn)
        path = space_store.database_file(conn)
        stat = os.statvfs(path.parent if path else Path.cwd())
        return space, stat.f_frsize * stat.f_blocks, stat.f_frsize * stat.f_bavail

    def growth_per_day(self, used: int) -> float | None:
        """Bytes the database gains per day (before retention), from the persisted anchor."""
        anchor = _setting(ANCHOR_KEY)
        now = self._wall_ms()
        freed = int(_setting(FREED_KEY) or 0)
        if not isinstance(anchor, dict) or now - int(anchor.get("ms", now)) > 2 * DAY_MS:
            with database.atomic():
                _put(ANCHOR_KEY, {"ms": now, "used": used, "freed": freed, "previous": None})
            return None
        if now - int(anchor["ms"]) > DAY_MS:  # a new anchor a day; measure from the one before
            with database.atomic():
                _put(ANCHOR_KEY, {"ms": now, "used": used, "freed": freed, "previous": anchor})
        base = anchor.get("previous") or anchor
        window = now - int(base["ms"])
        if window < MIN_WINDOW_MS:
            base = anchor
            window = now - int(base["ms"])
            if window < MIN_WINDOW_MS:
                return None
        gained = used + freed - int(base["used"]) - int(base["freed"])
        return max(gained, 0) * DAY_MS / window

    def writes_per_day(self) -> float | None:
        """Bytes this process has written to disk per day since it started (/proc/self/io)."""
        start_ms, start_bytes = self._started
        now_bytes, window = self._io_bytes(), self._wall_ms() - start_ms
        if start_bytes is None or now_bytes is None or window < MIN_WINDOW_MS:
            return None
        return (now_bytes - start_bytes) * DAY_MS / window

    def status(self) -> StorageStatus:
        """The database's size, growth, writes and the days left at the current rate."""
        space, fs_total, fs_free = self._space()
        policy = budget()
        limit = limit_bytes(space, fs_total, fs_free, policy)
        growth = self.growth_per_day(space.used_bytes)
        left = (limit - space.used_bytes) / growth if growth else None
        anchor = _setting(ANCHOR_KEY)
        since = int((anchor.get("previous") or anchor)["ms"]) if isinstance(anchor, dict) else None
        interval, spooled = self._write_policy() if self._write_policy is not None else (None, None)
        return StorageStatus(
            database_bytes=space.file_bytes, wal_bytes=space.wal_bytes, used_bytes=space.used_bytes,
            free_page_bytes=space.freelist_count * space.page_size, filesystem_bytes=fs_total,
            filesystem_free_bytes=fs_free, limit_bytes=limit, min_free_pct=policy.min_free_pct,
            max_db_bytes=policy.max_db_bytes, growth_bytes_per_day=growth, writes_bytes_per_day=self.writes_per_day(),
            days_left=max(left, 0.0) if left is not None else None,
            oldest_raw_ms=space_store.oldest_raw(database.connection()), measured_since_ms=since,
            flush_interval_s=interval, ram_spool=spooled)

    def note_freed(self, before_used: int, after_used: int) -> None:
        """Count bytes freed by deletions (retention, budget), so growth stays the gross growth."""
        if after_used < before_used:
            with database.atomic():
                _put(FREED_KEY, int(_setting(FREED_KEY) or 0) + before_used - after_used)

    def used_bytes(self) -> int:
        """Bytes in pages that hold data."""
        return space_store.space(database.connection()).used_bytes

    def enforce(self, now_ms: int) -> dict[str, Any]:
        """Delete the oldest rolled-up raw samples until the database fits its budget with room for
        two hours of growth; return what was done ({} when nothing had to go)."""
        with self._lock:
            space, fs_total, fs_free = self._space()
            limit = limit_bytes(space, fs_total, fs_free, budget())
            growth = self.growth_per_day(space.used_bytes) or 0.0
            margin = max(int(growth * 2 * HOUR_MS / DAY_MS), limit // 100, 256 * 1024)
            if space.used_bytes + margin <= limit:
                self._warned = False
                return {}
            start_used = used = space.used_bytes
            rolled = rollup_queue.watermarks(database.connection())
            newest_allowed = min(rolled) if rolled else None
            deleted: dict[str, int] = {}
            cutoff = None
            while used + margin > limit:
                oldest = space_store.oldest_raw(database.connection())
                if oldest is None or newest_allowed is None or oldest >= newest_allowed:
                    if not self._warned:
                        log.error("disk budget: %d bytes used of %d allowed and no rolled-up raw samples left to "
                                  "delete (rollups are kept)", used, limit)
                        self._warned = True
                    break
                cutoff = min(oldest + HOUR_MS, newest_allowed)
                for table, count in delete_raw_before(cutoff).items():
                    deleted[table] = deleted.get(table, 0) + count
                used = self.used_bytes()
            self.note_freed(start_used, used)
        if cutoff is not None:
            log.warning("disk budget: deleted raw samples older than %s to keep %d bytes under %d",
                        time.strftime("%Y-%m-%d %H:%M", time.gmtime(cutoff / 1000)), used, limit)
        return {"deleted": deleted, "cutoff_ms": cutoff, "used_bytes": used, "limit_bytes": limit} if cutoff else {}

    def checkpoint(self, *, truncate: bool = False) -> tuple[int, int, int]:
        """A WAL checkpoint: passive after a flush (a quiet moment), truncating at the end of a batch job."""
        return space_store.checkpoint(database.connection(), truncate=truncate)

