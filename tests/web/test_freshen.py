"""Someone looks at the UI: the writer commits what waits, so pages show recent samples even between seldom flushes."""

from __future__ import annotations

import time

from appliance.acquisition.writer import SampleWriter
from appliance.store.models import EnergySample
from tests.web.conftest import log_in


def _rows(start: int, count: int) -> dict:
    return {"energy_samples": [(start + n * 5000, "inv1", "roof", "home", 1000 + n, 400, -10, None, None, 50.0, 50.0,
                                None, None, None, None, None, None, 40, None, None, None, None, None, None, "{}")
                               for n in range(count)]}


def test_a_page_view_commits_the_waiting_samples_and_static_files_do_not(app, client, admin, site):
    writer = SampleWriter(flush_interval_s=3600).start()
    try:
        app.config["FRESHEN"] = lambda: writer.freshen(max_age_s=0)
        writer.submit(_rows(int(time.time() * 1000) - 60_000, 12))
        deadline = time.monotonic() + 10
        while writer._pending_count < 12:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert client.get("/static/app.css").status_code in (200, 404)
        assert client.get("/favicon.ico").status_code == 301
        assert EnergySample.select().count() == 0  # an asset is not someone looking
        browser = log_in(client)
        assert browser.get("/").status_code == 200
        assert EnergySample.select().count() == 12
    finally:
        writer.stop()
