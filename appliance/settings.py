"""Process settings from CLI flags and APPLIANCE_* environment variables only."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

DEFAULT_DATA_DIR = Path("/var/lib/appliance")
DEFAULT_CONFIG_FILE = Path("/etc/appliance/config.yaml")
DB_FILENAME = "appliance.db"
#: Bounds of the sample writer's flush interval in seconds (APPLIANCE_FLUSH_INTERVAL_S, --flush-interval).
MIN_FLUSH_INTERVAL_S = 0.01
MAX_FLUSH_INTERVAL_S = 3600.0


def check_flush_interval(value: object, name: str = "flush interval") -> float:
    """A flush interval in seconds, validated; raises ValueError naming what is wrong."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} {value!r} is not a number of seconds") from None
    if not MIN_FLUSH_INTERVAL_S <= seconds <= MAX_FLUSH_INTERVAL_S:
        raise ValueError(f"{name} must be between {MIN_FLUSH_INTERVAL_S:g} and {MAX_FLUSH_INTERVAL_S:g} s, "
                         f"not {seconds:g}")
    return seconds


@dataclass(frozen=True)
class Settings:
    """Where the process keeps its data and finds its seed configuration."""

    data_dir: Path = DEFAULT_DATA_DIR
    db_path: Path = field(default=DEFAULT_DATA_DIR / DB_FILENAME)
    config_file: Path = DEFAULT_CONFIG_FILE
    snapshot_keep: int = 7
    #: Seconds between the sample writer's commits; None = its measured default (docs/performance.md).
    flush_interval_s: float | None = None

    @property
    def snapshot_dir(self) -> Path:
        """Folder of the daily config snapshots used for recovery."""
        return self.data_dir / "snapshots"

    def with_flush_interval(self, seconds: float | None) -> "Settings":
        """The same settings with another flush interval (the --flush-interval flag)."""
        if seconds is None:
            return self
        return replace(self, flush_interval_s=check_flush_interval(seconds, "--flush-interval"))

    def with_db(self, db_path: str | Path | None) -> "Settings":
        """The same settings with another database file (the --db flag)."""
        if db_path is None:
            return self
        path = Path(db_path)
        return replace(self, db_path=path, data_dir=path.parent)


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from APPLIANCE_DATA_DIR, APPLIANCE_DB, APPLIANCE_CONFIG and APPLIANCE_FLUSH_INTERVAL_S."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("APPLIANCE_DATA_DIR") or DEFAULT_DATA_DIR)
    db_path = Path(env["APPLIANCE_DB"]) if env.get("APPLIANCE_DB") else data_dir / DB_FILENAME
    if env.get("APPLIANCE_DB") and not env.get("APPLIANCE_DATA_DIR"):
        data_dir = db_path.parent
    config_file = Path(env.get("APPLIANCE_CONFIG") or DEFAULT_CONFIG_FILE)
    flush = env.get("APPLIANCE_FLUSH_INTERVAL_S")
    interval = check_flush_interval(flush, "APPLIANCE_FLUSH_INTERVAL_S") if flush else None
    return Settings(data_dir=data_dir, db_path=db_path, config_file=config_file, flush_interval_s=interval)
