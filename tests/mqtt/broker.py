"""A real Mosquitto (Debian's package) on a free loopback port, a test CA made with the openssl CLI, and a
real paho subscriber that records what the broker delivers."""

from __future__ import annotations

import getpass
import json
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


def free_port() -> int:
    """A TCP port nothing listens on now (loopback)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class TestCA:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate, as PEM files."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(folder: Path) -> TestCA:
    """Make a throwaway CA and sign a server (SAN 127.0.0.1, localhost) and a client certificate."""
    folder.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=appliance test CA",
             "-keyout", "ca.key", "-out", "ca.pem", cwd=folder)
    (folder / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, ext in (("server", ["-extfile", "server.ext"]), ("client", [])):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key",
                 "-out", f"{name}.csr", cwd=folder)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-days", "2", "-out", f"{name}.pem", *ext, cwd=folder)
    return TestCA(folder / "ca.pem", folder / "server.pem", folder / "server.key", folder / "client.pem",
                  folder / "client.key")


@dataclass
class Broker:
    """One Mosquitto process with a config of its own in `folder`."""

    folder: Path
    port: int = 0
    users: dict[str, str] = field(default_factory=dict)
    ca: TestCA | None = None
    require_client_cert: bool = False
    proc: subprocess.Popen | None = None

    def start(self) -> "Broker":
        """Write the config and start Mosquitto; return when it accepts connections."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        # Run as root (CI), Mosquitto would switch to its own user, who cannot read the test's files.
        lines = [f"user {getpass.getuser()}", "per_listener_settings false", "persistence false", f"listener {self.port} 127.0.0.1",
                 f"allow_anonymous {'false' if self.users else 'true'}", "log_type all",
                 f"log_dest file {self.folder / 'mosquitto.log'}"]
        if self.users:
            passwords = self.folder / "passwords"
            passwords.write_text("")
            for user, password in self.users.items():
                subprocess.run([MOSQUITTO_PASSWD, "-b", str(passwords), user, password], check=True,
                               capture_output=True, timeout=30)
            lines.append(f"password_file {passwords}")
        if self.ca is not None:
            lines += [f"cafile {self.ca.ca}", f"certfile {self.ca.server_cert}", f"keyfile {self.ca.server_key}",
                      f"require_certificate {'true' if self.require_client_cert else 'false'}"]
        (self.folder / "mosquitto.conf").write_text("\n".join(lines) + "\n")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.folder / "mosquitto.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.proc.stderr.read().decode() if self.proc.stderr else ''}"
                                   f" {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start listening")

    def stop(self) -> None:
        """Stop Mosquitto (SIGTERM, then SIGKILL)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def log(self) -> str:
        """The broker's log so far."""
        path = self.folder / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def url(self) -> str:
        """mqtt://127.0.0.1:PORT (or mqtts://)."""
        return f"{'mqtts' if self.ca else 'mqtt'}://127.0.0.1:{self.port}"


@dataclass(frozen=True)
class Received:
    """One message a subscriber got."""

    topic: str
    payload: bytes
    retain: bool

    def json(self) -> Any:
        """The payload as JSON."""
        return json.loads(self.payload)

    @property
    def text(self) -> str:
        """The payload as text."""
        return self.payload.decode()


class Subscriber:
    """A real paho client subscribed to some topics, recording every message."""

    def __init__(self, broker: Broker, topics: tuple[str, ...] = ("#",), *, username: str | None = None,
                 password: str | None = None, client_id: str = "test-subscriber") -> None:
        self.messages: list[Received] = []
        self._cond = threading.Condition()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        if username:
            self.client.username_pw_set(username, password)
        if broker.ca is not None:
            self.client.tls_set(ca_certs=str(broker.ca.ca), certfile=str(broker.ca.client_cert),
                                keyfile=str(broker.ca.client_key))
        self._subscribed = threading.Event()
        self.topics = topics
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.connect("127.0.0.1", broker.port, keepalive=30)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise RuntimeError("the test subscriber did not subscribe")

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        for topic in self.topics:
            client.subscribe(topic, qos=1)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self._cond:
            self.messages.append(Received(message.topic, bytes(message.payload), bool(message.retain)))
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[list[Received]], Any], timeout: float = 20.0) -> Any:
        """Wait until `predicate(messages)` is truthy; return its value (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate(list(self.messages))
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    topics = sorted({m.topic for m in self.messages})
                    raise AssertionError(f"timed out; {len(self.messages)} messages on {topics[:40]}")
                self._cond.wait(left)

    def last(self, topic: str) -> Received | None:
        """The newest message on a topic."""
        with self._cond:
            return next((m for m in reversed(self.messages) if m.topic == topic), None)

    def on(self, topic: str) -> list[Received]:
        """Every message on a topic, oldest first."""
        with self._cond:
            return [m for m in self.messages if m.topic == topic]

    def publish(self, topic: str, payload: str | bytes, *, retain: bool = False) -> None:
        """Publish as HA would (a command, a birth message)."""
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)

    def close(self) -> None:
        """Disconnect."""
        self.client.loop_stop()
        self.client.disconnect()
