"""The RAM spool: every reading the sample writer holds is also appended to a file in RAM (tmpfs).

A crash (kill -9, an exception, the watchdog) then loses nothing the writer had not committed: the
next start reads the spool back. That lets the writer commit to the SD card seldom (docs/performance.md,
"Write path"), where without it each commit interval is what a crash loses. A power cut still empties
RAM: it loses at most one interval, as before.

The spool is a folder of generations, `gen-<N>.spool`, each a text file of records, one per submit:
`<crc32 hex> <json>`. At a flush the writer closes the current generation, commits its rows with the
number of that generation (`committed` in the same transaction), then deletes the generations up to it.
A crash between the commit and the delete leaves generations the database already holds; the number
stored with them says so, and they are dropped instead of written twice.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any, Mapping

Rows = dict[str, list[tuple[Any, ...]]]

log = logging.getLogger(__name__)

#: File systems whose files live in RAM: writing to them costs the SD card nothing.
RAM_FILESYSTEMS = ("tmpfs", "ramfs")
#: A spool never grows past this (a disk that stays full for days): beyond it, rows are held in memory only.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
SUFFIX = ".spool"
_BYTES = "$b64"


def filesystem_of(path: Path) -> str | None:
    """The type of the file system that holds `path` (from /proc/self/mounts), or None when unknown."""
    try:
        mounts = Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    target, best, kind = os.path.realpath(path), -1, None
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > best:
            best, kind = len(point), fields[2]
    return kind


#: APPLIANCE_SPOOL_DIR values that turn the spool off.
OFF = ("off", "none", "no")


def default_folder(db_path: Path, env: Mapping[str, str] | None = None) -> Path | None:
    """Where the spool of the database at `db_path` lives: APPLIANCE_SPOOL_DIR, else systemd's
    RuntimeDirectory, else /dev/shm; one subfolder per database, so two databases never share one.
    None when APPLIANCE_SPOOL_DIR says off."""
    env = os.environ if env is None else env
    chosen = env.get("APPLIANCE_SPOOL_DIR", "").strip()
    if chosen.lower() in OFF:
        return None
    base = chosen or env.get("RUNTIME_DIRECTORY", "").split(":")[0] or "/dev/shm"
    digest = hashlib.sha256(str(Path(db_path).resolve()).encode()).hexdigest()[:16]
    return Path(base) / f"appliance-spool-{os.getuid()}-{digest}"


def for_database(db_path: Path, env: Mapping[str, str] | None = None) -> "Spool | None":
    """The RAM spool of the database at `db_path`, or None (turned off, or no RAM file system there)."""
    folder = default_folder(db_path, env)
    return Spool.in_ram(folder) if folder is not None else None


def _encode(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {_BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    raise TypeError(f"a sample value of type {type(value).__name__} cannot be spooled")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and _BYTES in obj:
        return base64.b64decode(obj[_BYTES])
    return obj


def encode_record(rows: Rows) -> bytes:
    """One record: a checksum, a space, the rows as JSON (bytes as base64), a newline."""
    body = json.dumps(rows, default=_encode, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return b"%08x " % binascii.crc32(body) + body + b"\n"


def decode_record(line: bytes) -> Rows | None:
    """The rows of a record, or None when it is torn or damaged (its checksum does not match)."""
    head, _, body = line.rstrip(b"\n").partition(b" ")
    try:
        if len(head) != 8 or int(head, 16) != binascii.crc32(body):
            return None
        data = json.loads(body, object_hook=_decode)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    rows: Rows = {}
    for table, items in data.items():
        if not isinstance(table, str) or not isinstance(items, list) or not all(isinstance(r, list) for r in items):
            return None
        rows[table] = [tuple(r) for r in items]
    return rows


class Spool:
    """The spool of one database in a RAM folder; used by the writer thread only."""

    def __init__(self, folder: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self._fd: int | None = None
        self._generation = 0
        self._bytes = 0
        self._full_warned = False

    @classmethod
    def in_ram(cls, folder: Path, **kwargs: Any) -> "Spool | None":
        """A spool in `folder` if that folder is (or would be) on tmpfs or ramfs; None otherwise, with why."""
        probe = Path(folder)
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        kind = filesystem_of(probe)
        if kind not in RAM_FILESYSTEMS:
            log.info("no RAM spool: %s is on %s, not tmpfs; the writer commits at its no-spool interval",
                     folder, kind or "an unknown file system")
            return None
        try:
            Path(folder).mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("no RAM spool: cannot make %s (%s)", folder, exc)
            return None
        return cls(folder, **kwargs)

    def _path(self, generation: int) -> Path:
        return self.folder / f"gen-{generation:012d}{SUFFIX}"

    def generations(self) -> list[int]:
        """The generations on file, oldest first."""
        found = []
        for entry in self.folder.glob(f"gen-*{SUFFIX}"):
            number = entry.name[4:-len(SUFFIX)]
            if number.isdigit():
                found.append(int(number))
        return sorted(found)

    def recover(self, committed: int) -> list[Rows]:
        """The records of every generation after `committed`, oldest first; deletes the committed ones.
        Afterwards new records go to a generation after all of them."""
        records: list[Rows] = []
        damaged = 0
        generations = self.generations()
        for generation in generations:
            path = self._path(generation)
            if generation <= committed:
                path.unlink(missing_ok=True)
                continue
            for line in path.read_bytes().splitlines(keepends=True):
                rows = decode_record(line)
                if rows is None:
                    damaged += 1
                else:
                    records.append(rows)
            self._bytes += path.stat().st_size
        if damaged:
            log.warning("RAM spool %s: %d damaged record(s) skipped (a write cut short by the crash)",
                        self.folder, damaged)
        self._generation = max([committed, *generations]) + 1
        return records

    def append(self, rows: Rows) -> bool:
        """Add a record to the current generation; False when the spool is full or cannot be written."""
        try:
            record = encode_record(rows)
        except (TypeError, ValueError) as exc:  # a value JSON cannot hold: the rows stay in memory only
            log.warning("RAM spool %s: rows not spooled (%s)", self.folder, exc)
            return False
        if self._bytes + len(record) > self.max_bytes:
            if not self._full_warned:
                log.warning("RAM spool %s is full (%d bytes): newer rows are held in memory only until a flush "
                            "succeeds", self.folder, self._bytes)
                self._full_warned = True
            return False
        try:
            if self._fd is None:
                self._fd = os.open(self._path(self._generation), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.write(self._fd, record)  # one write per record: a crash tears at most the last line
        except OSError as exc:
            log.warning("RAM spool %s: cannot append (%s)", self.folder, exc)
            return False
        self._bytes += len(record)
        return True

    def rotate(self) -> int:
        """Close the current generation and return its number: every record so far is in it or before it."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        closed = self._generation
        self._generation += 1
        return closed

    def drop_through(self, generation: int) -> None:
        """Delete the generations up to `generation` (committed to the database)."""
        for number in self.generations():
            if number <= generation:
                self._path(number).unlink(missing_ok=True)
        self._bytes = sum(self._path(n).stat().st_size for n in self.generations())
        self._full_warned = False

    def close(self) -> None:
        """Close the open generation (its file stays until a commit drops it); an empty folder goes."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if not self.generations():
            try:
                self.folder.rmdir()
            except OSError:
                pass  # something else in it: left alone
