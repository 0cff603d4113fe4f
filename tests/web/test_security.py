"""The security rules: every state change needs session + CSRF or a write token; login limits; headers."""

from __future__ import annotations

import re
import time

import pytest

from appliance.accounts import passwords, tokens
from appliance.catalog import devices
from tests.web.conftest import PASSWORD, bearer, csrf_from, log_in

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _concrete(rule: str) -> str:
    return re.sub(r"<[^>]+>", "x1", rule)


def _writes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & WRITES):
            yield method, _concrete(rule.rule)


def test_every_state_changing_route_refuses_without_session_csrf_or_write_token(app, admin, read_token):
    client = app.test_client()
    client.get("/login")  # an anonymous session with a CSRF token, like a visitor's browser
    found = list(_writes(app))
    assert len(found) > 40
    for method, path in found:
        for headers in ({}, {"X-CSRF-Token": "forged"}, bearer(read_token), bearer("apl_unknown"),
                        {"Authorization": "Basic YWRtaW46eA=="}):
            response = client.open(path, method=method, headers=headers, json={})
            assert response.status_code in (401, 403), (method, path, headers, response.status_code)


def test_a_logged_in_session_still_needs_the_csrf_token(browser):
    for method, path in _writes(browser.client.application):
        response = browser.client.open(path, method=method, json={})
        assert response.status_code == 403, (method, path, response.status_code)


def test_first_run_redirects_every_page_to_setup(client):
    for path in ("/", "/history", "/devices", "/config", "/settings", "/login"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/setup"), path
    assert client.get("/api/systems").status_code == 401
    assert client.get("/health").status_code == 200


def test_first_run_setup_logs_in(client):
    csrf = csrf_from(client.get("/setup").data)
    short = client.post("/setup", data={"csrf_token": csrf, "password": "short", "confirmation": "short"})
    assert short.status_code == 400 and b"at least 10 characters" in short.data
    done = client.post("/setup", data={"csrf_token": csrf, "password": PASSWORD, "confirmation": PASSWORD})
    assert done.status_code == 303
    assert client.get("/").status_code == 200
    assert client.get("/setup").status_code == 302  # setup is over


def test_setup_code_is_asked_for_when_issued(client):
    code = passwords.issue_setup_code()
    page = client.get("/setup")
    assert b'name="setup_code"' in page.data
    csrf = csrf_from(page.data)
    wrong = client.post("/setup", data={"csrf_token": csrf, "setup_code": "AAAAA-AAAAA", "password": PASSWORD,
                                        "confirmation": PASSWORD})
    assert wrong.status_code == 400 and passwords.is_first_run()
    right = client.post("/setup", data={"csrf_token": csrf, "setup_code": code, "password": PASSWORD,
                                        "confirmation": PASSWORD})
    assert right.status_code == 303 and not passwords.is_first_run()


def test_login_failures_slow_down_instead_of_locking_out(client, admin):
    # Issue 17 changed this from a per-client lockout (429 for a minute, the right password included)
    # to a short global delay: over the limit an attempt waits in the one slow lane, then is checked.
    limiter = client.application.extensions["login_limiter"]
    delays: list[float] = []
    limiter.sleep = delays.append
    csrf = csrf_from(client.get("/login").data)
    for _ in range(5):
        assert client.post("/login", data={"csrf_token": csrf, "password": "wrong"}).status_code == 401
    assert delays == []
    with limiter._lane:  # another slowed attempt is running: this one is told to come back
        busy = client.post("/login", data={"csrf_token": csrf, "password": PASSWORD})
    assert busy.status_code == 429 and int(busy.headers["Retry-After"]) > 0
    ok = client.post("/login", data={"csrf_token": csrf, "password": PASSWORD})
    assert ok.status_code == 303 and delays == [limiter.delay_s]
    other = client.application.test_client()
    other_csrf = csrf_from(other.get("/login", environ_base={"REMOTE_ADDR": "127.0.0.2"}).data)
    again = other.post("/login", data={"csrf_token": other_csrf, "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert again.status_code == 303 and len(delays) == 1, "a success cleared the account's failures"


def test_logout_ends_the_session(browser):
    assert browser.post("/logout").status_code == 303
    assert browser.get("/settings").status_code == 302


def test_idle_sessions_expire(app, client, admin):
    browser = log_in(client)
    app.config["IDLE_TIMEOUT_S"] = 0.01
    time.sleep(0.05)
    response = browser.get("/settings")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_ends_other_sessions(app, admin):
    first, second = log_in(app.test_client()), log_in(app.test_client())
    changed = first.post("/settings/password", {"current_password": PASSWORD, "password": "a new password",
                                                "confirmation": "a new password"})
    assert changed.status_code == 200 and b"Password changed" in changed.data
    assert first.get("/settings").status_code == 200
    assert second.get("/settings").status_code == 302


def test_login_redirects_only_to_local_paths(client, admin):
    csrf = csrf_from(client.get("/login").data)
    response = client.post("/login", data={"csrf_token": csrf, "password": PASSWORD, "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_session_cookie_flags(client, admin):
    csrf = csrf_from(client.get("/login").data)
    response = client.post("/login", data={"csrf_token": csrf, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_tokens_by_scope(client, admin, site):
    read, _ = tokens.create_token("r", "read")
    write, _ = tokens.create_token("w", "write")
    sync, _ = tokens.create_token("s", "sync")
    body = {"array_id": "a5", "system_id": "home", "name": "A5"}
    assert client.get("/api/systems", headers=bearer(read)).status_code == 200
    assert client.post("/api/arrays", json=body, headers=bearer(read)).status_code == 403
    assert client.post("/api/arrays", json=body, headers=bearer(write)).status_code == 201
    assert client.get("/api/systems", headers=bearer(sync)).status_code == 403
    tokens.revoke_token("r")
    assert client.get("/api/systems", headers=bearer(read)).status_code == 401
    assert client.get("/api/systems").status_code == 401
    assert client.get("/", headers=bearer(write)).status_code == 401  # tokens are for /api only


def test_security_headers_on_pages_api_and_errors(browser):
    for path in ("/", "/api/systems", "/health", "/nope", "/static/app.css"):
        response = browser.get(path)
        assert "default-src 'self'" in response.headers["Content-Security-Policy"], path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"]
    assert "HX-Request" in browser.get("/").headers["Vary"]


@pytest.mark.parametrize("path", ["/devices", "/config", "/devices/inverter:evil"])
def test_a_device_named_script_renders_as_text(browser, site, path):
    devices.create_inverter("evil", "roof", "<script>alert(1)</script>")
    html = browser.get(path).data
    assert b"<script>alert(1)</script>" not in html
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_pages_use_no_inline_script_or_cdn(browser, site):
    for path in ("/", "/history", "/config", "/settings", "/devices/battery_pack:pack1"):
        html = browser.get(path).data.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html), path
        assert not re.search(r'(src|href|action)="(https?:)?//', html), path


def test_favicon_ico_gives_the_icon_without_a_login(client, admin):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.headers["Location"].endswith("/static/favicon.svg")
    icon = client.get(response.headers["Location"])
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
