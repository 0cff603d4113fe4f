"""Daily config snapshots under the data directory: the first source for recovery.

A snapshot is the catalog as config.yaml plus, when the runtime gives it, a `state` section with
what else a recovered box needs to stay the owner's: the admin password hash, the API token
hashes, the sync, retention and discovery settings. It is written readable by the service user
alone (0600, folder 0700), and a snapshot that holds more than the catalog of the moment is kept
aside rather than overwritten (a box that came up empty must not erase the day's good snapshot).
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

import yaml

from appliance import safe_yaml
from appliance.catalog import config_yaml
from appliance.jsontypes import JsonObject

log = logging.getLogger(__name__)

PREFIX, SUFFIX = "config-", ".yaml"
FILE_MODE, FOLDER_MODE = 0o600, 0o700
#: Sections whose entries count towards how much a snapshot holds.
COUNTED = ("homes", "arrays", "inverters", "battery_bank_arrays", "battery_banks",
           "battery_bank_array_attachments", "meters", "adapters")


def write_snapshot(folder: Path, *, keep: int = 7, now: datetime | None = None,
                   state: JsonObject | None = None) -> Path:
    """Export the catalog (and `state`) to `config-YYYYMMDD.yaml` (one a day); keep only the newest `keep`."""
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    os.chmod(folder, FOLDER_MODE)
    moment = now or datetime.now(timezone.utc)
    path = folder / f"{PREFIX}{moment.strftime('%Y%m%d')}{SUFFIX}"
    document = config_yaml.export_dict()
    if state is not None:
        document["state"] = dict(state)
    if path.exists() and size_of(path) > size_of_document(document):
        kept = path.with_name(f"{PREFIX}{moment.strftime('%Y%m%d-%H%M%S')}{SUFFIX}")
        path.replace(kept)
        log.warning("the catalog now holds less than %s; that snapshot is kept as %s", path.name, kept.name)
    _write_private(path, config_yaml.HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True,
                                                             default_flow_style=False))
    for old in list_snapshots(folder)[keep:]:
        old.unlink()
    return path


def _write_private(path: Path, text: str) -> None:
    """Write a file only the service user may read, atomically (temp file, then rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # an older temp file may have had another mode
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fd = -1
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    finally:
        if fd != -1:
            os.close(fd)
    tmp.replace(path)


def size_of_document(document: Mapping[str, object]) -> int:
    """How much a snapshot document holds: catalog entries, plus accounts and tokens in its state."""
    count = 1 if isinstance(document.get("home"), Mapping) else 0
    for key in COUNTED:
        value = document.get(key)
        count += len(value) if isinstance(value, list) else 0
    state = document.get("state")
    if isinstance(state, Mapping):
        for key in ("users", "api_tokens"):
            value = state.get(key)
            count += len(value) if isinstance(value, list) else 0
    return count


def size_of(path: Path) -> int:
    """How much the snapshot file holds; a file that cannot be read counts as holding everything (keep it)."""
    try:
        document = safe_yaml.load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return 1 << 30
    return size_of_document(document) if isinstance(document, Mapping) else 1 << 30


def list_snapshots(folder: Path) -> list[Path]:
    """Snapshots, newest first (a kept-aside `config-YYYYMMDD-HHMMSS.yaml` sorts after its day's file)."""
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.glob(f"{PREFIX}*{SUFFIX}") if p.is_file()), key=lambda p: p.name, reverse=True)


def newest_snapshot(folder: Path) -> Path | None:
    """The newest snapshot, if any."""
    snapshots = list_snapshots(folder)
    return snapshots[0] if snapshots else None
