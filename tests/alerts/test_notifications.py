"""Notifications against local servers the tests start: an http.server receiver (webhook and ntfy) and
aiosmtpd with STARTTLS and login (email); retries with backoff, failures on the status page, test buttons."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
import time
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from appliance.alerts import notify
from appliance.alerts.service import Collaborators
from appliance.alerts.settings import PREFIX
from appliance.catalog import systems
from tests.alerts.conftest import make_rig
from tests.runtime.conftest import wait_until
from tests.web.conftest import admin, log_in  # noqa: F401 - admin is a fixture

N = notify.PREFIX


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST; `fail` answers 500 that many times; `hold` blocks."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.fail = 0
        self.hold: threading.Event | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if outer.hold is not None:
                    outer.hold.wait(10)
                if outer.fail:
                    outer.fail -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                outer.posts.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture
def named_home(db):
    systems.create_system("home", "Home", timezone="UTC")


class Clock:
    """The alerts' clock (real time passes for the delivery thread; alert times are ours)."""

    def __init__(self) -> None:
        self.now = 1_780_000_000_000

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def box(named_home):
    """The alerts service with one condition the test switches: the clock's synchronisation."""
    state = {"synced": True}
    clock = Clock()
    rig = make_rig(clock, Collaborators(clock_synchronised=lambda: state["synced"],
                                        appliance_name=lambda: "Home"))  # type: ignore[arg-type]
    rig.alerts.save_rule_settings({PREFIX + "clock_unsynced.hold_s": "0"})
    rig.state = state  # type: ignore[attr-defined]
    yield rig
    rig.alerts.stop()
    rig.writer.stop()
    rig.pool.close_all()


def _toggle(rig: Any, synced: bool) -> None:
    rig.state["synced"] = synced
    rig.clock.now += 5000
    rig.alerts.tick()


def test_webhook_gets_the_opening_and_the_clearing_once_even_when_the_alert_flaps(box, receiver):
    notify.save_channels({N + "webhook_url": receiver.url + "/hook"}, box.clock())
    _toggle(box, False)
    wait_until(lambda: len(receiver.posts) == 1, 10)
    body = json.loads(receiver.posts[0]["body"])
    assert receiver.posts[0]["path"] == "/hook" and body["event"] == "opened"
    assert body["alert"]["kind"] == "clock_unsynced" and body["alert"]["severity"] == "warning"
    assert body["title"] == "[Home] Clock not synchronised" and body["alert"]["active"] is True
    _toggle(box, True)
    wait_until(lambda: len(receiver.posts) == 2, 10)
    closed = json.loads(receiver.posts[1]["body"])
    assert closed["event"] == "closed" and closed["alert"]["ended_at"] and closed["text"].startswith("Resolved: ")
    for _ in range(4):  # flapping within the window: the same record reopens, nobody is told again
        _toggle(box, False)
        _toggle(box, True)
    time.sleep(0.3)
    assert len(receiver.posts) == 2
    assert box.alerts.outbox.idle()


def test_a_failing_webhook_is_retried_with_backoff_and_its_failure_shows_on_the_status(box, receiver):
    notify.save_channels({N + "webhook_url": receiver.url}, box.clock())
    receiver.fail = 2
    _toggle(box, False)
    wait_until(lambda: box.alerts.status()["notifications"]["webhook"]["sent"], 10)
    status = box.alerts.status()["notifications"]["webhook"]
    assert status["failed"] == 2 and status["sent"] == 1 and status["last_error"] == "webhook answered 500"
    assert json.loads(receiver.posts[0]["body"])["event"] == "opened"


def test_delivery_never_blocks_the_alerts(box, receiver):
    notify.save_channels({N + "webhook_url": receiver.url}, box.clock())
    receiver.hold = threading.Event()  # the receiver takes the request and sits on it
    _toggle(box, False)
    _toggle(box, True)
    _toggle(box, False)
    assert [a.kind for a in box.alerts.active()] == ["clock_unsynced"], "alerts went on while delivery hangs"
    assert receiver.posts == []
    receiver.hold.set()
    wait_until(lambda: len(receiver.posts) == 2, 10)


def test_ntfy_posts_the_text_to_the_topic_with_title_priority_and_tags(box, receiver):
    notify.save_channels({N + "ntfy_url": receiver.url + "/my-home", N + "ntfy_token": "tk_secret"}, box.clock())
    _toggle(box, False)
    wait_until(lambda: receiver.posts, 10)
    post = receiver.posts[0]
    assert post["path"] == "/my-home" and post["body"].decode().startswith("The clock is not synchronised")
    assert post["headers"]["Title"] == "[Home] Clock not synchronised"
    assert post["headers"]["Priority"] == "4" and post["headers"]["Tags"] == "warning"
    assert post["headers"]["Authorization"] == "Bearer tk_secret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(tmp_path, monkeypatch):
    """aiosmtpd on 127.0.0.1 requiring STARTTLS and a login; the client trusts its throwaway certificate."""
    controller_module = pytest.importorskip("aiosmtpd.controller")
    smtp_module = pytest.importorskip("aiosmtpd.smtp")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                           "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                           "-keyout", str(key), "-out", str(cert)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # what the client's default context trusts
    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            received.append({"from": envelope.mail_from, "to": envelope.rcpt_tos, "tls": session.ssl is not None,
                             "message": message_from_bytes(envelope.content)})
            return "250 OK"

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = getattr(data, "login", b"") == b"appliance" and getattr(data, "password", b"") == b"s3cret"
        return smtp_module.AuthResult(success=ok)

    port = _free_port()
    controller = controller_module.Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context,
                                              require_starttls=True, authenticator=authenticator,
                                              auth_require_tls=True)
    controller.start()
    yield port, received
    controller.stop()


def test_email_goes_over_starttls_with_a_login(box, smtp_server):
    port, received = smtp_server
    notify.save_channels({N + "smtp_host": "127.0.0.1", N + "smtp_port": str(port), N + "smtp_user": "appliance",
                          N + "smtp_password": "s3cret", N + "smtp_from": "box@home.test",
                          N + "smtp_to": "owner@home.test, installer@home.test"}, box.clock())
    _toggle(box, False)
    wait_until(lambda: received, 15)
    mail = received[0]
    assert mail["tls"] is True and mail["to"] == ["owner@home.test", "installer@home.test"]
    assert mail["message"]["Subject"] == "[Home] Clock not synchronised"
    assert "The clock is not synchronised" in mail["message"].get_payload()


def test_a_wrong_smtp_password_is_a_delivery_failure_in_words(box, smtp_server):
    port, received = smtp_server
    notify.save_channels({N + "smtp_host": "127.0.0.1", N + "smtp_port": str(port), N + "smtp_user": "appliance",
                          N + "smtp_password": "wrong", N + "smtp_from": "box@home.test",
                          N + "smtp_to": "owner@home.test"}, box.clock())
    box.alerts.outbox.timeout_s = 3.0
    with pytest.raises(notify.DeliveryError, match=r"^email: SMTP\w+"):
        box.alerts.send_test("email")
    assert received == [] and box.alerts.outbox.status["email"].failed == 1


def test_channel_settings_are_checked_and_secrets_stay_masked(db):
    with pytest.raises(notify.ValidationError, match="http:// or https://"):
        notify.save_channels({N + "webhook_url": "ftp://example.org/x"}, 0)
    with pytest.raises(notify.ValidationError, match="port number"):
        notify.save_channels({N + "smtp_port": "70000"}, 0)
    with pytest.raises(notify.ValidationError, match="needs a sender"):
        notify.save_channels({N + "smtp_host": "smtp.example.org", N + "smtp_to": "a@b.c"}, 0)
    with pytest.raises(notify.ValidationError, match="unknown notification setting"):
        notify.save_channels({N + "smtp_bcc": "x"}, 0)
    saved = notify.save_channels({N + "ntfy_url": "https://ntfy.sh/t", N + "ntfy_token": "tk_1"}, 0)
    assert saved.shown()["ntfy_token"] == notify.MASK
    again = notify.save_channels({N + "ntfy_token": notify.MASK, N + "min_severity": "critical"}, 0)
    assert again.ntfy_token == "tk_1" and again.min_severity == "critical"


def test_the_send_test_buttons(named_home, receiver, admin):
    from appliance.alerts.service import AlertsService
    from appliance.web import create_app

    alerts = AlertsService(None)
    alerts.start()
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-0123456789abcdef", "ALERTS": alerts})
        browser = log_in(app.test_client())
        page = browser.get("/alerts/settings")
        assert b'id="test-webhook"' in page.data and b"disabled" in page.data
        saved = browser.post("/alerts/settings/notifications", {N + "webhook_url": receiver.url + "/t",
                                                                N + "min_severity": "warning"})
        assert saved.status_code == 200 and b"Notification settings saved." in saved.data
        sent = browser.post("/alerts/settings/test/webhook")
        assert sent.status_code == 200 and b"Test sent by webhook." in sent.data
        assert json.loads(receiver.posts[0]["body"])["event"] == "test"
        receiver.fail = 1
        failed = browser.post("/alerts/settings/test/webhook")
        assert failed.status_code == 502 and b"webhook answered 500" in failed.data
        bad = browser.post("/alerts/settings/notifications", {N + "webhook_url": "not a url"})
        assert bad.status_code == 400 and b"must be an http:// or https:// URL" in bad.data
    finally:
        alerts.stop()
