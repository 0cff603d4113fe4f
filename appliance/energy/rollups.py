"""Incremental rollups: samples -> 5-minute -> hourly -> daily, at device, array and system level.

The work queue is the table `rollup_dirty`, so a run that dies half-way is finished by the next:

1. Advance the watermark of each sample table (one short transaction): the samples newer than it
   queue their devices' 5-minute buckets (and the bucket of the sample just before, whose pair
   with the first new sample crosses into it), and the watermark moves to the newest sample.
   Samples written later at or below the watermark (a backfill, a slow device) are queued by the
   triggers of migration 3 in the writer's own transaction.
2. Recompute each queued 5-minute bucket (and its neighbours within the gap limit) of a device
   from its samples, up to a day of buckets per transaction, and queue the local hours touched.
3. Recompute the queued hours of each local day and that day's daily rows: of the device, then
   of every array and of the system of an inverter; the 30-minute periods of a meter.

Gap and counter-reset counts in the result are those met by this run's computation.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict, deque
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from appliance import clock
from appliance.energy import levels
from appliance.energy.localtime import day_bounds, day_start, hours_between, local_date
from appliance.energy.pairs import bucket_energies
from appliance.energy.sources import RollupConfig
from appliance.energy.topology import Topology, load
from appliance.errors import NotFoundError, StoreError
from appliance.store import energy_catalog, rollup_devices, transactions
from appliance.store import rollup_queue as queue_sql
from appliance.store import rollup_sources as samples
from appliance.store.models import database
from appliance.store.rollup_sources import BUCKET_MS, HOUR_MS, SOURCES, Source

log = logging.getLogger(__name__)


def immediate(conn: sqlite3.Connection) -> AbstractContextManager[sqlite3.Connection]:
    """One short write transaction; BEGIN IMMEDIATE so reads and writes see the same snapshot. Inside a
    run's own transaction (a small incremental run) it adds nothing: the run commits once."""
    return transactions.immediate(conn, "rollup cannot start a transaction")


def _connection() -> sqlite3.Connection:
    conn: sqlite3.Connection = database.connection()
    if conn.in_transaction:
        raise StoreError("rollups run in their own transactions, not inside another")
    return conn


def _queue_new_samples(conn: sqlite3.Connection, source: Source, now_ms: int, cfg: RollupConfig,
                       stats: dict[str, int]) -> None:
    """Queue the buckets of samples newer than the watermark, and move it up to the newest sample."""
    with immediate(conn):
        mark = queue_sql.watermark(conn, source.table)
        queued: list[tuple[str, str, int]] = []
        total, newest = 0, None
        firsts: dict[str, int] = {}
        # Samples of devices no longer in the catalog went with them (ON DELETE CASCADE): none to skip.
        for device, bucket, first, last, count in queue_sql.new_buckets(conn, source.table, source.device, mark,
                                                                         now_ms, BUCKET_MS):
            queued.append((source.table, device, bucket))
            firsts[device] = min(first, firsts.get(device, first))
            newest = max(newest or last, last)
            total += count
        for device, first in firsts.items():
            if mark is None:
                continue
            # The pair from the last rolled sample to the first new one reaches back into its bucket.
            before = queue_sql.last_trusted_at_or_before(conn, source.table, source.device, device, mark)
            if before is None:
                continue
            if first - before <= cfg.gap_limit_ms:
                queued.append((source.table, device, before - before % BUCKET_MS))
            else:  # a device back after a gap: the gap spans the watermark, so it is counted here
                stats["gaps"] += 1
                stats["gap_ms"] += first - before
        if newest is None:
            return
        queue_sql.queue(conn, queued)
        queue_sql.move_watermark(conn, source.table, newest)
        stats["samples"] = total


def _runs(buckets: list[int], reach: int, chunk: int) -> list[tuple[int, int]]:
    """Merge queued buckets, widened by `reach` buckets each side, into chunks [lo, hi] of at most `chunk`."""
    runs: list[list[int]] = []
    for b in buckets:
        lo, hi = b - reach * BUCKET_MS, b + reach * BUCKET_MS
        if runs and lo <= runs[-1][1] + BUCKET_MS:
            runs[-1][1] = max(runs[-1][1], hi)
        else:
            runs.append([lo, hi])
    chunks = []
    for lo, hi in runs:
        while lo <= hi:
            end = min(hi, lo + (chunk - 1) * BUCKET_MS)
            chunks.append((lo, end))
            lo = end + BUCKET_MS
    return chunks


def _recompute_buckets(conn: sqlite3.Connection, source: Source, topo: Topology, device: str, lo: int, hi: int,
                       mark: int, cfg: RollupConfig, stats: dict[str, int]) -> None:
    """Recompute a device's 5-minute rows [lo, hi] from its samples up to the watermark `mark`, and queue the
    local days they touch. Samples above the watermark wait for it: the rollups then hold exactly the pairs
    that end at or below it, and history.today_totals adds the rest."""
    parents = topo.parents[source.table].get(device)
    queue_sql.forget_range(conn, source.table, device, lo, hi)
    if parents is None:  # deleted from the catalog: its samples went with it (ON DELETE CASCADE)
        return
    end = hi + BUCKET_MS
    layout = samples.pair_layout(source)
    # One sample past the pairs that can reach [lo, hi]: a gap that starts here is then seen and counted here.
    after = queue_sql.first_trusted_after(conn, source.table, source.device, device, end + cfg.gap_limit_ms, mark)
    upper = after if after is not None else min(end + cfg.gap_limit_ms, mark)
    rows = samples.pair_rows(conn, source, device, lo - cfg.gap_limit_ms, upper)
    columns = list(zip(*rows)) if rows else [()] * (1 + max(max(p, c or 0) for p, _, c in layout))
    quantities = [(columns[p], sign, columns[c] if c is not None else None) for p, sign, c in layout]
    totals = bucket_energies(columns[0], quantities, lo, end, cfg.gap_limit_ms, cfg.max_counter_power_w)
    stats["gaps"] += totals.gaps
    stats["gap_ms"] += totals.gap_ms
    stats["counter_resets"] += totals.resets
    sample_stats = samples.bucket_stats(conn, source, device, lo, min(end, mark + 1))
    blank = (None,) * len(source.stats)
    out = []
    for bucket in range(lo, end, BUCKET_MS):
        found = sample_stats.get(bucket)
        energies = totals.energies[bucket]
        if found is None and all(e is None for e in energies):
            continue
        count, values = (found[0], found[1:]) if found else (0, blank)
        out.append((device, bucket, *parents, *values, *energies, count))
    samples.put_five_minutes(conn, source, device, lo, hi, out)
    stats["buckets"] += len(out)
    tz = topo.zones[str(topo.system_of(source.table, device))]
    queue_sql.queue(conn, [(source.hour_queue, device, h) for h in hours_between(lo, end, tz)])


def _process_buckets(conn: sqlite3.Connection, source: Source, topo: Topology, cfg: RollupConfig,
                     stats: dict[str, int]) -> None:
    """Recompute every queued 5-minute bucket (widened to the pairs that reach it) from the samples."""
    queued: dict[str, list[int]] = defaultdict(list)
    for device, bucket in queue_sql.queued_items(conn, source.table, ordered=True):
        queued[device].append(bucket)
    reach = -(-cfg.gap_limit_ms // BUCKET_MS)  # a changed sample changes pairs up to the gap limit away
    mark = queue_sql.watermark(conn, source.table)
    if mark is None:
        return
    work: deque[tuple[str, int, int, bool]] = deque()
    for device, buckets in queued.items():
        chunks = _runs(buckets, reach, cfg.chunk_buckets)
        for index, (lo, hi) in enumerate(chunks):
            # The next chunk depends on this one's edge: keep that bucket queued until it is done too.
            follows = index + 1 < len(chunks) and chunks[index + 1][0] == hi + BUCKET_MS
            work.append((device, lo, hi, follows))
    # Small chunks (an incremental run: a few buckets of each device) share a transaction, up to
    # `chunk_buckets` buckets in all, so the writer waits about as long as for one day of one device.
    while work:
        size = 0
        with immediate(conn):
            while work and (size == 0 or size + (work[0][2] - work[0][1]) // BUCKET_MS + 1 <= cfg.chunk_buckets):
                device, lo, hi, follows = work.popleft()
                size += (hi - lo) // BUCKET_MS + 1
                _recompute_buckets(conn, source, topo, device, lo, hi, mark, cfg, stats)
                if follows:
                    queue_sql.queue(conn, [(source.table, device, hi + BUCKET_MS)])


def _process_days(conn: sqlite3.Connection, source: Source, topo: Topology, stats: dict[str, int]) -> None:
    """Recompute the queued hours, grouped by system and local day, with the day's daily rows."""
    by_day: dict[tuple[str, int], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for device, hour in queue_sql.queued_items(conn, source.hour_queue):
        system = topo.system_of(source.table, device)
        if system is None:
            queue_sql.forget_device(conn, source.hour_queue, device)
            continue
        by_day[(system, day_start(hour, topo.zones[system]))][device].append(hour)
    parents = topo.parents[source.table]
    for (system, start), devices in sorted(by_day.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        tz = topo.zones[system]
        day = local_date(start, tz)
        bounds = day_bounds(day, tz)
        hours = (min(min(h) for h in devices.values()), max(max(h) for h in devices.values()) + HOUR_MS)
        with immediate(conn):
            if source.table == "energy_samples":
                arrays = {a for a, s in parents.values() if s == system}
                levels.roll_energy_day(conn, {d: parents[d][0] for d in devices}, system, hours, bounds, day, tz,
                                       arrays, topo.array_kwh, topo.system_kwh.get(system))
            for device in devices:
                if source.table == "meter_samples":
                    rollup_devices.roll_meter_day(conn, device, hours, bounds, day)
                elif source.table == "battery_bank_samples":
                    rollup_devices.roll_pack_day(conn, device, hours, bounds, day, topo.pack_kwh.get(device))
            queue_sql.forget(conn, [(source.hour_queue, d, h) for d, hs in devices.items() for h in hs])
        stats["days"] += len(devices)


def _run(now_ms: int, cfg: RollupConfig, tables: tuple[Source, ...]) -> dict[str, Any]:
    conn = _connection()
    topo = load(conn)
    result: dict[str, Any] = {}
    stats: dict[str, dict[str, Any]] = {source.table: {"samples": 0, "buckets": 0, "days": 0, "gaps": 0,
                                                        "gap_ms": 0, "counter_resets": 0} for source in tables}
    with immediate(conn):
        for source in tables:
            _queue_new_samples(conn, source, now_ms, cfg, stats[source.table])
        small = queue_sql.queued(conn) <= cfg.chunk_buckets
    # An incremental run is one transaction: each page it touches is written once, not once per phase.
    # Big work (a rebuild, a long outage) keeps its chunked transactions, so other writers never wait long.
    with immediate(conn) if small else nullcontext(conn):
        for source in tables:
            _process_buckets(conn, source, topo, cfg, stats[source.table])
            _process_days(conn, source, topo, stats[source.table])
    for source in tables:
        stats[source.table]["watermark"] = queue_sql.watermark(conn, source.table)
        result[source.table] = stats[source.table]
    log.debug("rollup: %s", result)
    return result


def roll_up(now_ms: int | None = None, *, config: RollupConfig | None = None) -> dict[str, Any]:
    """Roll up the samples written since the last run and the late ones; return counts per sample table."""
    return _run(clock.now_ms() if now_ms is None else now_ms, config or RollupConfig(), SOURCES)


def rebuild(system_id: str | None = None, *, config: RollupConfig | None = None,
            now_ms: int | None = None) -> dict[str, Any]:
    """Recompute every rollup from the samples (of one system, or all); aggregates older than the samples stay."""
    conn = _connection()
    now = clock.now_ms() if now_ms is None else now_ms
    if system_id is not None and not energy_catalog.system_exists(system_id, conn):
        raise NotFoundError(f"no system {system_id!r}", field="system_id")
    for source in SOURCES:
        with immediate(conn):
            queue_sql.queue_everything(conn, source.table, source.device, system_id)
    return _run(now, config or RollupConfig(), SOURCES)

