"""Daily config snapshots under the data directory: the first source for recovery."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from appliance.catalog import config_yaml

PREFIX, SUFFIX = "config-", ".yaml"


def write_snapshot(folder: Path, *, keep: int = 7, now: datetime | None = None) -> Path:
    """Export the catalog to `config-YYYYMMDD.yaml` (one a day) and keep only the newest `keep`."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d")
    path = config_yaml.export_file(folder / f"{PREFIX}{stamp}{SUFFIX}")
    for old in list_snapshots(folder)[keep:]:
        old.unlink()
    return path


def list_snapshots(folder: Path) -> list[Path]:
    """Snapshots, newest first."""
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.glob(f"{PREFIX}*{SUFFIX}") if p.is_file()), key=lambda p: p.name, reverse=True)


def newest_snapshot(folder: Path) -> Path | None:
    """The newest snapshot, if any."""
    snapshots = list_snapshots(folder)
    return snapshots[0] if snapshots else None
