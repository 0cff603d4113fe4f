"""The tunables of the energy computation; what each sample table rolls up into is store.rollup_sources."""

from __future__ import annotations

from dataclasses import dataclass

from appliance.errors import ValidationError
from appliance.store.rollup_sources import BUCKET_MS, HOUR_MS

__all__ = ["BUCKET_MS", "HOUR_MS", "RollupConfig"]


@dataclass(frozen=True)
class RollupConfig:
    """Tunables of the energy computation."""

    gap_limit_ms: int = 300_000  # pairs further apart are not integrated (a device offline, a restart)
    max_counter_power_w: float = 200_000.0  # a counter rising faster than this is a glitch, not energy
    chunk_buckets: int = 288  # 5-minute buckets recomputed per transaction (one day): writer waits little

    def __post_init__(self) -> None:
        if not 1_000 <= self.gap_limit_ms <= 6 * HOUR_MS:
            raise ValidationError("gap_limit_ms must be between 1 s and 6 h", field="gap_limit_ms")
        if self.max_counter_power_w <= 0:
            raise ValidationError("max_counter_power_w must be positive", field="max_counter_power_w")
        if self.chunk_buckets < 1:
            raise ValidationError("chunk_buckets must be at least 1", field="chunk_buckets")
