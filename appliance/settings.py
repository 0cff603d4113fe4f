"""Process settings from CLI flags and APPLIANCE_* environment variables only."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

DEFAULT_DATA_DIR = Path("/var/lib/appliance")
DEFAULT_CONFIG_FILE = Path("/etc/appliance/config.yaml")
DB_FILENAME = "appliance.db"


@dataclass(frozen=True)
class Settings:
    """Where the process keeps its data and finds its seed configuration."""

    data_dir: Path = DEFAULT_DATA_DIR
    db_path: Path = field(default=DEFAULT_DATA_DIR / DB_FILENAME)
    config_file: Path = DEFAULT_CONFIG_FILE
    snapshot_keep: int = 7

    @property
    def snapshot_dir(self) -> Path:
        """Folder of the daily config snapshots used for recovery."""
        return self.data_dir / "snapshots"

    def with_db(self, db_path: str | Path | None) -> "Settings":
        """The same settings with another database file (the --db flag)."""
        if db_path is None:
            return self
        path = Path(db_path)
        return replace(self, db_path=path, data_dir=path.parent)


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from APPLIANCE_DATA_DIR, APPLIANCE_DB and APPLIANCE_CONFIG."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("APPLIANCE_DATA_DIR") or DEFAULT_DATA_DIR)
    db_path = Path(env["APPLIANCE_DB"]) if env.get("APPLIANCE_DB") else data_dir / DB_FILENAME
    if env.get("APPLIANCE_DB") and not env.get("APPLIANCE_DATA_DIR"):
        data_dir = db_path.parent
    config_file = Path(env.get("APPLIANCE_CONFIG") or DEFAULT_CONFIG_FILE)
    return Settings(data_dir=data_dir, db_path=db_path, config_file=config_file)
