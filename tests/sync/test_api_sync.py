"""GET /api/sync/feed: sync-scope tokens only, 400/410 errors, gzip; and a headend pulling over 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import threading
import time

import pytest

from appliance.accounts import tokens
from appliance.energy.retention import apply_retention
from appliance.sync import feed
from appliance.headend.pull import pull
from appliance.headend.server import HeadendServer
from appliance.web import api_sync, create_app

from tests.sync.conftest import START_MS, energy_row, headend_keys, sample_keys

DAY_MS = 86_400_000


@pytest.fixture
def app(home):
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-0123456789abcdef"})
    api_sync.register_blueprint(app)
    return app


@pytest.fixture
def sync_token(home):
    return tokens.create_token("headend", "sync")[0]


def _get(client, token, **params):
    return client.get("/api/sync/feed", query_string=params, headers={"Authorization": f"Bearer {token}"})


def test_only_a_sync_token_reads_the_feed(app, sync_token):
    client = app.test_client()
    assert client.get("/api/sync/feed").status_code == 401
    assert _get(client, "apl_wrong").status_code == 401
    read = tokens.create_token("reader", "read")[0]
    response = _get(client, read)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    response = _get(client, sync_token, limit=5)
    assert response.status_code == 200
    body = response.get_json()
    assert body["count"] == 5 and body["has_more"] and body["cursor"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the app's headers still apply


def test_bad_cursor_and_limit_are_400_in_the_error_format(app, sync_token):
    client = app.test_client()
    for params, field in (({"cursor": "garbage"}, "cursor"), ({"limit": "0"}, "limit"), ({"limit": "x"}, "limit"),
                          ({"limit": str(feed.MAX_LIMIT + 1)}, "limit")):
        response = _get(client, sync_token, **params)
        assert response.status_code == 400, params
        assert response.get_json()["error"]["field"] == field


def test_a_cursor_behind_retention_is_410_with_the_oldest_cursor(app, sync_token, writer):
    writer.submit({"energy_samples": [energy_row("inv1", START_MS)]})
    writer.flush_now()
    client = app.test_client()
    cursor = _get(client, sync_token, limit=1).get_json()["cursor"]
    later = int(time.time() * 1000) + 100 * DAY_MS
    apply_retention(later, {"raw_days": 90})
    feed.prune(later, keep_days=90)
    response = _get(client, sync_token, cursor=cursor)
    assert response.status_code == 410
    body = response.get_json()
    assert body["error"]["code"] == "cursor_gone" and body["oldest_cursor"] == feed.oldest_cursor()
    assert _get(client, sync_token, cursor=body["oldest_cursor"]).status_code == 200


def test_gzip_only_when_asked(app, sync_token):
    client = app.test_client()
    plain = _get(client, sync_token, limit=50)
    assert "Content-Encoding" not in plain.headers
    zipped = client.get("/api/sync/feed", query_string={"limit": 50},
                        headers={"Authorization": f"Bearer {sync_token}", "Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert json.loads(gzip.decompress(zipped.data)) == plain.get_json()
    assert len(zipped.data) < len(plain.data)


def test_a_headend_pulling_over_loopback_gets_every_row_once_while_rows_arrive(app, sync_token, writer,
                                                                              headend_store):
    server = HeadendServer(app).start()
    done = threading.Event()

    def produce() -> None:
        for i in range(120):
            writer.submit({"energy_samples": [energy_row("inv1", START_MS + i * 5000)]})
            if i % 20 == 0:
                writer.submit({"energy_samples": [energy_row("inv1", START_MS - 1 - i)]})  # late
            time.sleep(0.001)
        writer.flush_now()
        done.set()

    thread = threading.Thread(target=produce)
    thread.start()
    try:
        while True:
            finished = done.is_set()
            totals = pull(server.url, sync_token, store=headend_store, appliance_id="home1", limit=25, max_pages=3)
            if finished and totals["pages"] < 3:
                break
    finally:
        thread.join()
        server.stop()
    assert headend_keys(headend_store, "home1") == sample_keys()
    assert all(r["versions"] == 1 for r in headend_store.rows("home1"))
    assert headend_store.stats().get("duplicate_rows", 0) == 0
