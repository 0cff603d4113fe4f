"""The headend pulling an appliance's feed over 127.0.0.1: resuming after a 410, refusing what is not a feed page."""

from __future__ import annotations

import json

import pytest
from flask import Flask, Response, request

from appliance.errors import ApplianceError
from appliance.headend.pull import pull
from appliance.headend.server import HeadendServer
from appliance.headend.store import HeadendStore


def _row(seq):
    return {"seq": seq, "table": "meters", "kind": "catalog", "op": "upsert", "changed_at": 1,
            "key": {"meter_id": f"m{seq}"}, "row": {"meter_id": f"m{seq}", "name": f"Meter {seq}"}}


def _feed(answers: dict[str, tuple[int, object]]) -> Flask:
    """An appliance's feed endpoint that answers by cursor, and records the cursors it was asked for."""
    app = Flask(__name__)
    app.config["asked"] = []

    @app.get("/api/sync/feed")
    def feed() -> Response:
        cursor = request.args.get("cursor", "")
        app.config["asked"].append((cursor, request.headers.get("Authorization")))
        status, body = answers[cursor]
        return Response(body if isinstance(body, str) else json.dumps(body), status=status,
                        mimetype="application/json")

    return app


@pytest.fixture
def store(tmp_path):
    store = HeadendStore(tmp_path / "pulled.db")
    yield store
    store.close()


def test_a_pull_follows_pages_resumes_from_the_oldest_cursor_after_a_410_and_keeps_its_cursor(store):
    app = _feed({
        "": (410, {"error": {"code": "cursor_gone"}, "oldest_cursor": "f-5"}),
        "f-5": (200, {"cursor_from": "f-5", "cursor": "f-7", "has_more": True, "rows": [_row(6), _row(7)]}),
        "f-7": (200, {"cursor_from": "f-7", "cursor": "f-8", "has_more": False, "rows": [_row(8)]}),
    })
    server = HeadendServer(app).start()
    try:
        totals = pull(server.url, "sync-token", store=store, appliance_id="home1", use_gzip=False)
    finally:
        server.stop()
    assert (totals["rows"], totals["pages"], totals["resets"]) == (3, 2, 1) and totals["bytes"] > 0
    assert [cursor for cursor, _ in app.config["asked"]] == ["", "f-5", "f-7"]
    assert {auth for _, auth in app.config["asked"]} == {"Bearer sync-token"}
    assert store.cursor("home1") == "f-8"
    assert sorted(r["name"] for r in store.catalog("meters")) == ["Meter 6", "Meter 7", "Meter 8"]


@pytest.mark.parametrize(("answer", "words"), [
    ((200, "<html>captive portal</html>"), "not JSON"),
    ((200, {"cursor_from": "", "cursor": "f-1", "has_more": False, "rows": [{"table": "meters"}]}), "rows[0].seq"),
    ((401, {"error": {"code": "unauthorized"}}), "answered the feed with 401"),
])
def test_a_pull_refuses_what_is_not_a_feed_page_and_stores_nothing(store, answer, words):
    server = HeadendServer(_feed({"": answer})).start()
    try:
        with pytest.raises(ApplianceError, match=words.replace("[", r"\[").replace("]", r"\]")):
            pull(server.url, "sync-token", store=store, appliance_id="home1")
    finally:
        server.stop()
    assert store.rows() == [] and store.cursor("home1") is None
