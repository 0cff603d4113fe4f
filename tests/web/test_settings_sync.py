"""The settings page's headend section shows the running link as it is: its last error, failures and backoff."""

from __future__ import annotations

import re
import socket

from appliance.sync.push import PushClient


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_page_shows_the_running_links_last_error_and_backoff(app, browser):
    link = PushClient({"sync.url": f"http://127.0.0.1:{_closed_port()}", "sync.appliance_id": "home-1"},
                      timeout_s=2)
    report = link.run_once()
    assert "error" in report or link.last_error, report
    app.config["SYNC_BACKLOG"] = link.backlog  # what runtime.py hands the web
    text = re.sub(r"\s+", " ", browser.get("/settings").get_data(as_text=True))
    assert "Last error: headend registration failed" in text
    assert "(1 failures in a row; next try in" in text


def test_without_a_running_link_the_page_shows_what_is_stored(browser):
    text = re.sub(r"\s+", " ", browser.get("/settings").get_data(as_text=True))
    assert re.search(r"No headend set: nothing is pushed \(\d+ changes kept for a headend\)\.", text)
