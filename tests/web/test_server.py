"""The waitress server under slow clients: 200 incomplete connections from loopback do not starve the UI."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from appliance.web import create_app
from appliance.web.server import serve

SLOW_CONNECTIONS = 200


@pytest.fixture
def server(db):
    """The app served by waitress on a free loopback port, as the runtime serves it."""
    app = create_app({"SECRET_KEY": "test-secret-key-0123456789abcdef"})
    web = serve(app, "127.0.0.1", 0)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    yield web
    web.close()
    thread.join(10)


def test_the_ui_answers_while_200_slow_connections_stay_open(server):
    slow: list[socket.socket] = []
    try:
        for _ in range(SLOW_CONNECTIONS):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: appliance\r\n")  # headers never finished
            slow.append(sock)
        time.sleep(1.0)  # let the server accept them all
        for round_ in range(3):
            for sock in slow[round_::3]:
                sock.sendall(b"X-Slow: 1\r\n")  # a trickle keeps each one alive
            answer = requests.get(f"http://127.0.0.1:{server.port}/health", timeout=10)
            assert answer.status_code == 200 and answer.json()["status"] == "ok"
            page = requests.get(f"http://127.0.0.1:{server.port}/login", timeout=10, allow_redirects=False)
            assert page.status_code in (200, 302)
    finally:
        for sock in slow:
            sock.close()


def test_the_waitress_limits_are_set_deliberately(server):
    adjustments = server._server.adj
    assert adjustments.connection_limit >= 2 * SLOW_CONNECTIONS
    assert adjustments.channel_timeout <= 60 and adjustments.cleanup_interval <= adjustments.channel_timeout
    assert adjustments.asyncore_use_poll, "select() breaks past 1024 descriptors; poll() does not"
