"""Issue 17's web faults: the setup race, open redirects, logout that ends the session, the login limiter."""

from __future__ import annotations

import threading
from urllib.parse import urljoin, urlsplit

import pytest

from appliance.accounts import passwords
from appliance.errors import ConflictError, ValidationError
from tests.web.conftest import PASSWORD, csrf_from, log_in

OWNER, INTRUDER = "the owner's password", "an intruder's password"


def test_a_setup_without_the_code_cannot_straddle_the_owners_commit(db, monkeypatch):
    """The intruder's checks run before and after the owner's commit: it must not replace the password."""
    code = passwords.issue_setup_code()
    owner_done, intruder_checked = threading.Event(), threading.Event()
    real_first_run = passwords.is_first_run

    def first_run_then_wait() -> bool:
        answer = real_first_run()
        if threading.current_thread().name == "intruder":
            intruder_checked.set()
            owner_done.wait(2)  # with check-and-set in one transaction the owner cannot commit meanwhile
        return answer

    monkeypatch.setattr(passwords, "is_first_run", first_run_then_wait)
    outcome: dict[str, object] = {}

    def intruder() -> None:
        try:
            passwords.set_initial_password(INTRUDER, INTRUDER, None)
            outcome["intruder"] = "set"
        except (ValidationError, ConflictError) as exc:
            outcome["intruder"] = exc

    thread = threading.Thread(target=intruder, name="intruder")
    thread.start()
    intruder_checked.wait(5)
    try:
        passwords.set_initial_password(OWNER, OWNER, code)
        outcome["owner"] = "set"
    except (ValidationError, ConflictError) as exc:
        outcome["owner"] = exc
    owner_done.set()
    thread.join(10)
    assert outcome["intruder"] != "set", outcome
    assert passwords.verify_password(OWNER) and not passwords.verify_password(INTRUDER)


def test_concurrent_setups_exactly_one_wins_the_others_hear_already_set_up(db, monkeypatch):
    real_hash = passwords.hash_password
    barrier = threading.Barrier(6)

    def slow_hash(password: str, **kwargs) -> str:
        barrier.wait(5)  # every setup has passed its first-run check and hashes at the same time
        return real_hash(password, **kwargs)

    monkeypatch.setattr(passwords, "hash_password", slow_hash)
    results: list[object] = []

    def setup(index: int) -> None:
        try:
            passwords.set_initial_password(f"password number {index}", f"password number {index}")
            results.append(index)
        except ConflictError as exc:
            results.append(exc)

    threads = [threading.Thread(target=setup, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1 and len(results) == 6, results
    assert all("already set up" in str(r) for r in results if not isinstance(r, int))
    assert passwords.verify_password(f"password number {winners[0]}")


HOSTILE_NEXT = ["/\t/evil.example", "/%09/evil.example", "//evil.example", "/\\evil.example", "\\/evil.example",
                "https://evil.example/", "http:/evil.example", "/ /evil.example", "\t//evil.example",
                "/\x00/evil.example", "javascript:alert(1)", "///evil.example", "/.//evil.example"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_never_redirects_off_the_appliance(client, admin, target):
    csrf = csrf_from(client.get("/login").data)
    response = client.post("/login", query_string={"next": target}, data={"csrf_token": csrf, "password": PASSWORD})
    assert response.status_code == 303
    location = response.headers["Location"]
    # What a browser does: drop tabs and newlines, then resolve against the page.
    resolved = urlsplit(urljoin("http://appliance.local/login", location.replace("\t", "").replace("\n", "")))
    assert resolved.netloc == "appliance.local", location


@pytest.mark.parametrize("target", ["/settings", "/devices?system_id=home", "/history/system/home#day"])
def test_login_still_returns_to_a_local_page(client, admin, target):
    csrf = csrf_from(client.get("/login").data)
    response = client.post("/login", query_string={"next": target}, data={"csrf_token": csrf, "password": PASSWORD})
    assert response.headers["Location"] == target


@pytest.mark.parametrize("query", ["next=/%0d%0aSet-Cookie:%20x=1", "next=/%0aLocation:%20//evil", "next=/%0d"])
def test_cr_or_lf_in_next_is_a_400(client, admin, query):
    csrf = csrf_from(client.get("/login").data)
    response = client.post(f"/login?{query}", data={"csrf_token": csrf, "password": PASSWORD})
    assert response.status_code == 400


def test_a_cookie_saved_before_logout_no_longer_works(client, admin):
    browser = log_in(client)
    saved = client.get_cookie("appliance_session").value
    assert browser.post("/logout").status_code == 303
    thief = client.application.test_client()
    thief.set_cookie("appliance_session", saved)
    assert thief.get("/settings").status_code == 302
    write = thief.post("/settings/retention", data={"csrf_token": browser.csrf, "retention.raw_days": "1"})
    assert write.status_code in (401, 403) and write.status_code != 200


def test_a_password_change_revokes_cookies_saved_before_it(app, admin):
    first = log_in(app.test_client())
    other = app.test_client()
    log_in(other)
    saved = other.get_cookie("appliance_session").value
    first.post("/settings/password", {"current_password": PASSWORD, "password": "a new password",
                                      "confirmation": "a new password"})
    assert first.get("/settings").status_code == 200, "the session that changed it stays"
    thief = app.test_client()
    thief.set_cookie("appliance_session", saved)
    assert thief.get("/settings").status_code == 302


@pytest.fixture
def slow_checks(app, monkeypatch):
    """Password checks that take as long as scrypt on a Pi, and a recorded (not slept) slow-lane delay."""
    import time

    real_verify = passwords.verify_password
    checks: list[str] = []

    def verify(password: str) -> bool:
        checks.append(password)
        time.sleep(0.2)
        return real_verify(password)

    monkeypatch.setattr(passwords, "verify_password", verify)
    delays: list[float] = []
    limiter = app.extensions["login_limiter"]
    limiter.sleep = lambda seconds: (delays.append(seconds), time.sleep(0.3))
    return checks, delays


def _attempt(app, password: str, address: str = "127.0.0.1"):
    client = app.test_client()
    csrf = csrf_from(client.get("/login", environ_base={"REMOTE_ADDR": address}).data)
    return client.post("/login", data={"csrf_token": csrf, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_a_burst_of_40_gets_at_most_5_quick_guesses(app, admin, slow_checks):
    checks, delays = slow_checks
    barrier = threading.Barrier(40)
    codes: list[int] = []

    def guess(index: int) -> None:
        client = app.test_client()
        csrf = csrf_from(client.get("/login").data)
        barrier.wait(10)
        codes.append(client.post("/login", data={"csrf_token": csrf, "password": f"guess {index}"}).status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    quick = len(checks) - len(delays)
    assert quick <= 5, (quick, codes)
    assert codes.count(401) == len(checks) and codes.count(429) == 40 - len(checks)


def test_an_attacker_on_the_admins_address_cannot_lock_the_admin_out(app, admin, slow_checks):
    _, delays = slow_checks
    for index in range(12):
        assert _attempt(app, f"guess {index}").status_code in (401, 429)
    response = _attempt(app, PASSWORD)
    assert response.status_code == 303, "the right password still logs in, after a short delay"
    assert delays, "attempts over the limit were slowed down"


def test_failures_are_counted_per_account_too(app, admin, slow_checks):
    _, delays = slow_checks
    for index in range(5):
        assert _attempt(app, "wrong", address=f"127.0.0.{10 + index}").status_code == 401
    assert not delays, "five failures: each address is under its own limit"
    assert _attempt(app, "wrong again", address="127.0.0.99").status_code == 401
    assert delays, "a sixth failure on the account from a new address is slowed"
