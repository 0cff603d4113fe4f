"""SIGTERM through Runtime.run_forever: rows queued before the signal are in the database after it."""

from __future__ import annotations

import os
import signal
import threading

from appliance.acquisition.rows import rows_for
from appliance.drivers.base import Reading
from appliance.store.db import open_database
from tests.runtime.conftest import devices, sample_times


def test_sigterm_flushes_rows_queued_before_the_signal(demo) -> None:
    runtime, _ = demo
    meter = next(d for d in devices() if d.kind == "meter")
    ctx = runtime.acquisition.pollers[meter.device_id].ctx
    runtime.writer.flush_now()
    runtime.writer.flush_interval_s = 3600.0  # after the current wait (at most 1 s) only the stop path flushes
    queued_ts = max(sample_times("meter", meter.catalog_id)) + 1
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def queue_then_signal() -> None:
        runtime.writer.submit(rows_for(ctx, queued_ts, Reading("meter", {"power_w": 123}, {}, queued_ts)))
        os.kill(os.getpid(), signal.SIGTERM)

    timer = threading.Timer(2.0, queue_then_signal)
    timer.start()
    try:
        runtime.run_forever(tick_s=0.1)
    finally:
        timer.join(5)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert not runtime.writer.alive and not runtime.scheduler.running
    handle = open_database(runtime.settings.db_path)
    try:
        assert queued_ts in sample_times("meter", meter.catalog_id)
    finally:
        handle.close()
