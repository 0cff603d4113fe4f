"""Energy of a device's consecutive sample pairs, summed into 5-minute buckets.

Per pair (a, b) of one quantity:

* from the cumulative counter when both samples carry it and it rose by a plausible amount
  (0 <= delta <= max_counter_power_w x dt). A fall (reset, wrap-around) or a jump that implies
  more power than the limit counts as a counter reset, and that pair falls back to power;
* else the trapezoid of the power, split exactly where the power changes sign, so a signed
  power (grid, battery) gives its positive and negative energies separately;
* never across a gap: a pair further apart than the gap limit gives no energy and is counted.

A pair that crosses a bucket boundary is shared between the buckets in proportion to time.
Inside a bucket the common case (no gap, no reset, no sign change, no missing value) is summed
with C-level map/sum over list slices; anything else takes the per-pair path. Measured ~10x
faster than a per-pair Python loop and than SQLite window functions (one LAG per column).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from operator import add, mul, sub
from typing import Any, Sequence

from appliance.energy.sources import BUCKET_MS

KWH_PER_W_MS = 1.0 / 1000.0 / 3_600_000.0
#: (powers, sign, counters or None); a column holds numbers and None, which the list-wide checks below
#: ("None in values") rule out where it matters: mypy cannot follow those, so the columns are Any.
Quantity = tuple[Sequence[Any], int, "Sequence[Any] | None"]


@dataclass
class PairTotals:
    """Per-bucket energies (kWh, None when unknown) and the counts of skipped gaps and counter resets."""

    energies: dict[int, list[float | None]] = field(default_factory=dict)
    gaps: int = 0
    gap_ms: int = 0
    resets: int = 0


class _Pairs:
    """The samples of one device and the rules of one computation."""

    def __init__(self, ts: Sequence[int], quantities: Sequence[Quantity], lo: int, hi: int, gap_limit_ms: int,
                 max_counter_power_w: float) -> None:
        self.ts, self.quantities, self.lo, self.hi = ts, quantities, lo, hi
        self.gap_limit = gap_limit_ms
        self.kwh_per_ms = max_counter_power_w * KWH_PER_W_MS
        self.totals = PairTotals({s: [None] * len(quantities) for s in range(lo, hi, BUCKET_MS)})

    def add(self, bucket: int, column: int, energy: float) -> None:
        """Add energy to a bucket of the computed range (others are outside it and ignored)."""
        row = self.totals.energies.get(bucket)
        if row is not None:
            known = row[column]
            row[column] = energy if known is None else known + energy

    def energy(self, j: int, powers: Sequence[Any], sign: int, counters: Sequence[Any] | None) -> float | None:
        """Energy of pair j (samples j-1 and j) of one quantity, in kWh."""
        dt = self.ts[j] - self.ts[j - 1]
        if counters is not None:
            ca: float | None = counters[j - 1]
            cb: float | None = counters[j]
            if ca is not None and cb is not None:
                delta = cb - ca
                if 0.0 <= delta <= self.kwh_per_ms * dt:
                    return delta
                if self.lo <= self.ts[j - 1] - self.ts[j - 1] % BUCKET_MS < self.hi:
                    self.totals.resets += 1
        pa: float | None = powers[j - 1]
        pb: float | None = powers[j]
        if pa is None or pb is None:
            return None
        if sign < 0:
            pa, pb = -pa, -pb
        if pa >= 0 and pb >= 0:
            return (pa + pb) * 0.5 * dt * KWH_PER_W_MS
        if pa <= 0 and pb <= 0:
            return 0.0
        if pa > 0:
            return pa * pa * 0.5 * dt * KWH_PER_W_MS / (pa - pb)
        return pb * pb * 0.5 * dt * KWH_PER_W_MS / (pb - pa)

    def crossing(self, j: int) -> None:
        """A pair whose samples lie in different buckets: shared by time, or a gap."""
        ta, tb = self.ts[j - 1], self.ts[j]
        if tb - ta > self.gap_limit:
            if self.lo <= ta - ta % BUCKET_MS < self.hi:
                self.totals.gaps += 1
                self.totals.gap_ms += tb - ta
            return
        for column, (powers, sign, counters) in enumerate(self.quantities):
            energy = self.energy(j, powers, sign, counters)
            if energy is None:
                continue
            start = ta - ta % BUCKET_MS
            while start < tb:
                self.add(start, column, energy * (min(tb, start + BUCKET_MS) - max(ta, start)) / (tb - ta))
                start += BUCKET_MS

    def slow(self, bucket: int, column: int, a: int, b: int) -> None:
        """Pairs a..b-1 inside one bucket, one by one."""
        powers, sign, counters = self.quantities[column]
        for j in range(a, b):
            if self.ts[j] - self.ts[j - 1] > self.gap_limit:
                continue
            energy = self.energy(j, powers, sign, counters)
            if energy is not None:
                self.add(bucket, column, energy)

    def inside(self, bucket: int, a: int, b: int, dts: list[int]) -> None:
        """Pairs a..b-1, all inside one bucket: the fast path where it applies."""
        span = dts[a - 1:b - 1]
        if max(span) > self.gap_limit:
            self.totals.gaps += sum(1 for d in span if d > self.gap_limit)
            self.totals.gap_ms += sum(d for d in span if d > self.gap_limit)
            for column in range(len(self.quantities)):
                self.slow(bucket, column, a, b)
            return
        for column, (powers, sign, counters) in enumerate(self.quantities):
            if counters is not None:
                values = counters[a - 1:b]
                if None not in values:
                    steps = list(map(sub, values[1:], values[:-1]))
                    if min(steps) >= 0 and max(steps) <= self.kwh_per_ms * min(span):
                        self.add(bucket, column, values[-1] - values[0])
                        continue
                if values.count(None) < len(values):
                    self.slow(bucket, column, a, b)
                    continue
            values = powers[a - 1:b]
            if None in values:
                self.slow(bucket, column, a, b)
                continue
            low, high = min(values), max(values)
            if sign > 0 and high <= 0 or sign < 0 and low >= 0:
                self.add(bucket, column, 0.0)
            elif sign > 0 and low >= 0 or sign < 0 and high <= 0:
                area = sum(map(mul, map(add, values[:-1], values[1:]), span))
                self.add(bucket, column, abs(area) * 0.5 * KWH_PER_W_MS)
            else:
                self.slow(bucket, column, a, b)


def bucket_energies(ts: Sequence[int], quantities: Sequence[Quantity], lo: int, hi: int, gap_limit_ms: int,
                    max_counter_power_w: float) -> PairTotals:
    """Energies of buckets [lo, hi) from samples sorted by ts; quantities are (powers, sign, counters or None)."""
    pairs = _Pairs(ts, quantities, lo, hi, gap_limit_ms, max_counter_power_w)
    n = len(ts)
    if n < 2:
        return pairs.totals
    dts = list(map(sub, ts[1:], ts[:-1]))
    start, i0 = ts[0] - ts[0] % BUCKET_MS, 0
    while i0 < n:
        i1 = bisect_left(ts, start + BUCKET_MS, i0)
        if i1 > i0:
            if i0 >= 1:
                pairs.crossing(i0)
            if i1 - i0 >= 2 and lo <= start < hi:
                pairs.inside(start, i0 + 1, i1, dts)
            i0 = i1
        if i0 < n:
            # Skip empty buckets at once: a device that was off for days costs nothing.
            start = max(start + BUCKET_MS, ts[i0] - ts[i0] % BUCKET_MS)
    return pairs.totals
