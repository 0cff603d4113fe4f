"""A dependency-free sd_notify client: readiness, watchdog and status messages to systemd.

Every function is a no-op returning False when the process was not started by systemd with
`Type=notify` (no `NOTIFY_SOCKET`), so the same code runs under the service, in a shell and
in tests. Messages are one datagram each on an AF_UNIX socket; a name starting with `@` is in
the abstract namespace.
"""

from __future__ import annotations

import os
import socket
from typing import Mapping

__all__ = ["notify", "notify_ready", "notify_watchdog", "notify_status", "notify_stopping",
           "watchdog_interval_s"]


def _address(env: Mapping[str, str]) -> str | bytes | None:
    path = env.get("NOTIFY_SOCKET", "")
    if not path or not (path.startswith("/") or path.startswith("@")):
        return None  # unset, or a vsock address this client does not speak
    if path.startswith("@"):
        return b"\0" + path[1:].encode()
    return path


def notify(message: str, env: Mapping[str, str] | None = None) -> bool:
    """Send one raw sd_notify message (e.g. "READY=1"); True when it was sent."""
    address = _address(os.environ if env is None else env)
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError:
        # systemd going away (shutdown) must never take the process down with it.
        return False
    return True


def notify_ready(status: str | None = None, env: Mapping[str, str] | None = None) -> bool:
    """Tell systemd start-up is complete (store, scheduler and web server are up)."""
    return notify("READY=1" + (f"\nSTATUS={_one_line(status)}" if status else ""), env)


def notify_watchdog(env: Mapping[str, str] | None = None) -> bool:
    """Pet the watchdog: call at least every watchdog_interval_s() / 2 from a healthy loop."""
    return notify("WATCHDOG=1", env)


def notify_status(text: str, env: Mapping[str, str] | None = None) -> bool:
    """Set the one-line status `systemctl status appliance` shows."""
    return notify(f"STATUS={_one_line(text)}", env)


def notify_stopping(env: Mapping[str, str] | None = None) -> bool:
    """Tell systemd the process is shutting down (on SIGTERM, before flushing)."""
    return notify("STOPPING=1", env)


def watchdog_interval_s(env: Mapping[str, str] | None = None) -> float | None:
    """The watchdog timeout (WatchdogSec=) in seconds for this process, or None when no watchdog is on."""
    env = os.environ if env is None else env
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID")
    if usec <= 0 or (pid and pid != str(os.getpid())):
        return None  # the watchdog is meant for another process (e.g. the parent of a fork)
    return usec / 1_000_000


def _one_line(text: str) -> str:
    return " ".join(text.split())
