"""appliance.sdnotify against a real AF_UNIX datagram socket, as systemd listens on one."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from appliance import sdnotify


@pytest.fixture
def listener(tmp_path: Path):
    """A datagram socket in tmp and the environment pointing at it."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    yield sock, {"NOTIFY_SOCKET": str(path)}
    sock.close()


def _received(sock: socket.socket) -> str:
    return sock.recv(4096).decode()


def test_ready_watchdog_status_and_stopping_are_sent(listener):
    sock, env = listener
    assert sdnotify.notify_ready(env=env)
    assert _received(sock) == "READY=1"
    assert sdnotify.notify_watchdog(env=env)
    assert _received(sock) == "WATCHDOG=1"
    assert sdnotify.notify_status("polling 3 devices\n2 online", env=env)
    assert _received(sock) == "STATUS=polling 3 devices 2 online"
    assert sdnotify.notify_stopping(env=env)
    assert _received(sock) == "STOPPING=1"


def test_ready_can_carry_a_status(listener):
    sock, env = listener
    assert sdnotify.notify_ready("web UI on port 80", env=env)
    assert _received(sock) == "READY=1\nSTATUS=web UI on port 80"


def test_the_abstract_namespace_is_used_for_an_at_sign():
    name = f"appliance-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0" + name.encode())
    sock.settimeout(2)
    try:
        assert sdnotify.notify_watchdog(env={"NOTIFY_SOCKET": "@" + name})
        assert _received(sock) == "WATCHDOG=1"
    finally:
        sock.close()


def test_without_notify_socket_everything_is_a_no_op(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sdnotify.notify_ready() is False
    assert sdnotify.notify_watchdog() is False
    assert sdnotify.notify_status("x") is False
    assert sdnotify.notify_stopping() is False


def test_a_vanished_socket_does_not_raise(tmp_path):
    assert sdnotify.notify_ready(env={"NOTIFY_SOCKET": str(tmp_path / "gone")}) is False
    assert sdnotify.notify_ready(env={"NOTIFY_SOCKET": "vsock:2:1234"}) is False


def test_the_environment_is_read_when_no_env_is_given(listener, monkeypatch):
    sock, env = listener
    monkeypatch.setenv("NOTIFY_SOCKET", env["NOTIFY_SOCKET"])
    assert sdnotify.notify_ready()
    assert _received(sock) == "READY=1"


def test_watchdog_interval_from_watchdog_usec():
    assert sdnotify.watchdog_interval_s({"WATCHDOG_USEC": "60000000"}) == 60.0
    assert sdnotify.watchdog_interval_s({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": str(os.getpid())}) == 60.0
    assert sdnotify.watchdog_interval_s({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "1"}) is None
    assert sdnotify.watchdog_interval_s({}) is None
    assert sdnotify.watchdog_interval_s({"WATCHDOG_USEC": "junk"}) is None
    assert sdnotify.watchdog_interval_s({"WATCHDOG_USEC": "0"}) is None
