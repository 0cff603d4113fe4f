"""The broker connection: paho-mqtt (pinned, wrapped only here) driven by one thread of our own.

The thread connects (MQTT 3.1.1 or 5, user and password, TLS), leaves a last will, reconnects with
jittered exponential backoff, and moves messages from the outbox into paho as fast as the broker
acknowledges them (QoS 1, a bounded number in flight). Nothing else ever waits on the broker: a broker
that is down costs the pollers and the UI nothing. A failure is logged once per distinct cause; the
status (state, last error, counts) is data for the settings page and /health.
"""

from __future__ import annotations

import logging
import random
import select
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from appliance import backoff
from appliance.mqtt.config import MqttConfig
from appliance.mqtt.outbox import Message, Outbox

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
KEEPALIVE_S = 60
IN_FLIGHT = 20
BACKOFF_MIN_S, BACKOFF_MAX_S = 1.0, 60.0
#: A broker that refuses our credentials is not asked again every minute: they will not change by themselves.
AUTH_BACKOFF_MAX_S = 300.0
STOP_FLUSH_S = 2.0


@dataclass(frozen=True)
class LinkStatus:
    """What the link is doing, for the settings page and /health."""

    state: str  # off, connecting, connected, waiting (to retry), stopped
    broker: str
    protocol: str
    client_id: str
    since_ms: int | None
    last_error: str | None
    failures: int
    published: int
    dropped: int
    waiting: int
    retry_in_s: float | None = None


def describe_failure(exc: BaseException, config: MqttConfig) -> str:
    """One line for a failed connection that says what to check."""
    where = config.broker
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"TLS: the certificate of {where} is not trusted ({exc.verify_message or exc.reason}); "
                "check the CA file and the host name")
    if isinstance(exc, ssl.SSLError):
        return f"TLS with {where} failed: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return f"{where} refused the connection: is the broker running and is this its port?"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the broker's host name {config.host!r}"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"no answer from {where} within {CONNECT_TIMEOUT_S:g} s"
    if isinstance(exc, OSError):
        return f"cannot reach {where}: {exc.strerror or exc}"
    return f"cannot connect to {where}: {exc}"


def describe_refusal(reason: object, config: MqttConfig) -> str:
    """A CONNACK refusal in words: a bad user or password says so and where to fix it."""
    text = str(reason)
    value = getattr(reason, "value", None)
    if value in (4, 5, 0x86, 0x87) or "password" in text.lower() or "authori" in text.lower():
        who = f"user {config.username!r}" if config.username else "an anonymous client"
        return (f"{config.broker} refused {who}: {text.lower()}; check the MQTT user name and password "
                "in Settings")
    return f"{config.broker} refused the connection: {text}"


class Link:
    """One broker connection; `start()` runs its thread, `stop()` says offline and disconnects."""

    def __init__(self, config: MqttConfig, outbox: Outbox, *, client_id: str, will: Message, online: Message,
                 subscriptions: tuple[str, ...] = (), on_connected: Callable[[], None] | None = None,
                 on_message: Callable[[str, bytes, bool], None] | None = None,
                 clock: Callable[[], float] = time.time, rng: Callable[[], float] = random.random,
                 backoff_min_s: float = BACKOFF_MIN_S, backoff_max_s: float = BACKOFF_MAX_S) -> None:
        self.config, self.outbox, self.client_id = config, outbox, client_id
        self.will, self.online, self.subscriptions = will, online, subscriptions
        self.on_connected, self.on_message = on_connected, on_message
        self.clock, self.rng = clock, rng
        self.backoff_min_s, self.backoff_max_s = backoff_min_s, backoff_max_s
        self._stop = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.outbox.set_wake(self._wake)
        self._thread: threading.Thread | None = None
        self._client: paho.Client | None = None
        self._state = "off"
        self._since_ms: int | None = None
        self._connected = False
        self._refused: str | None = None
        self._last_error: str | None = None
        self._logged_error: str | None = None
        self._failures = 0
        self._retry_at: float | None = None
        self.published = 0
        self._lock = threading.Lock()
        #: True while the thread waits in select: only then does an offer need a wake-up byte (a syscall).
        self._idle = False
        self._unacked = 0
        self._pending_actions: deque[Callable[[], None]] = deque()

    # -- the outside --------------------------------------------------------------------------------------

    def start(self) -> "Link":
        """Start the link's thread (it connects in the background)."""
        self._thread = threading.Thread(target=self._run, name="mqtt", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Publish `offline` (the will is only for a death), disconnect, end the thread."""
        self._stop.set()
        self._wake_now()
        if self._thread is not None:
            self._thread.join(timeout)
        for sock in (self._wake_r, self._wake_w):
            sock.close()

    def call_soon(self, action: Callable[[], None]) -> None:
        """Run `action` in the link's thread (paho is not thread-safe)."""
        self._pending_actions.append(action)
        self._wake_now()

    @property
    def connected(self) -> bool:
        """Whether the broker accepted us and the link is up."""
        return self._connected

    def status(self) -> LinkStatus:
        """A snapshot of the link's state."""
        retained, states = self.outbox.depth()
        retry = max(0.0, self._retry_at - self.clock()) if self._retry_at and self._state == "waiting" else None
        return LinkStatus(self._state, self.config.broker, self.config.protocol, self.client_id, self._since_ms,
                          self._last_error, self._failures, self.published, self.outbox.dropped, retained + states,
                          None if retry is None else round(retry, 1))

    # -- the thread ---------------------------------------------------------------------------------------

    def _wake(self) -> None:
        if not self._idle:
            return  # the thread is working: it takes the outbox again before it waits
        self._wake_now()

    def _wake_now(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # already woken, or closing

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state, self._since_ms = state, int(self.clock() * 1000)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._set_state("connecting")
            try:
                self._client = self._new_client()
                self._client.connect(self.config.host.strip("[]"), self.config.port, keepalive=KEEPALIVE_S)
            except Exception as exc:  # noqa: BLE001 - any failure to connect is one line and a retry
                self._close()
                self._failed(describe_failure(exc, self.config))
                self._backoff()
                continue
            reason = self._serve()
            self._close()
            if self._stop.is_set():
                break
            self._failed(reason)
            self._backoff()
        self._set_state("stopped")

    def _new_client(self) -> paho.Client:
        version = paho.MQTTv5 if self.config.protocol == "5" else paho.MQTTv311
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=version,
                             clean_session=True if version == paho.MQTTv311 else None)
        client.connect_timeout = CONNECT_TIMEOUT_S
        client.max_inflight_messages_set(IN_FLIGHT)
        client.max_queued_messages_set(IN_FLIGHT * 2)
        if self.config.username:
            client.username_pw_set(self.config.username, self.config.password)
        if self.config.tls:
            context = ssl.create_default_context(cafile=self.config.ca_file)
            if self.config.client_cert:
                context.load_cert_chain(self.config.client_cert, self.config.client_key)
            client.tls_set_context(context)
        client.will_set(self.will.topic, self.will.payload, qos=self.will.qos, retain=self.will.retain)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        self._connected, self._refused, self._unacked = False, None, 0
        return client

    def _serve(self) -> str:
        """Run the connection until it ends; return why it ended."""
        client = self._client
        if client is None:
            return "not connected"
        deadline = self.clock() + CONNECT_TIMEOUT_S
        while not self._stop.is_set():
            if not self._connected and self.clock() > deadline:
                return self._refused or f"{self.config.broker} did not answer the MQTT handshake"
            sock = client.socket()
            if sock is None:
                return self._refused or f"the connection to {self.config.broker} was lost"
            while self._pending_actions:
                self._pending_actions.popleft()()
            if self._connected:
                self._pump(client)
            pending = getattr(sock, "pending", lambda: 0)()
            wants = [sock] if client.want_write() else []
            # Idle first, then look again: an offer made in between either is seen now or wakes the select.
            self._idle = True
            ready = self._connected and self._has_room(client) and len(self.outbox) > 0
            try:
                readable, writable, _ = select.select([sock, self._wake_r], wants, [],
                                                      0 if pending or ready else 1.0)
            except (OSError, ValueError):
                return self._refused or f"the connection to {self.config.broker} was lost"
            finally:
                self._idle = False
            if self._wake_r in readable:
                try:
                    self._wake_r.recv(4096)
                except BlockingIOError:
                    pass
            if sock in readable or pending:
                if client.loop_read() != paho.MQTT_ERR_SUCCESS or client.socket() is None:
                    return self._refused or f"the connection to {self.config.broker} was lost"
            if client.socket() is not None and (sock in writable or client.want_write()):
                client.loop_write()
            if client.loop_misc() != paho.MQTT_ERR_SUCCESS:
                return f"{self.config.broker} stopped answering (keepalive)"
        self._say_offline(client)
        return "stopped"

    def _has_room(self, client: paho.Client) -> bool:
        return self._unacked < IN_FLIGHT * 2

    def _pump(self, client: paho.Client) -> None:
        """Hand waiting messages to paho until its in-flight window is full."""
        while True:
            message = self.outbox.take()
            if message is None:
                return
            info = client.publish(message.topic, message.payload, qos=message.qos, retain=message.retain)
            if info.rc != paho.MQTT_ERR_SUCCESS:  # paho's window is full (or the link just broke): later
                self.outbox.put_back(message)
                return
            self._unacked += 1

    def _say_offline(self, client: paho.Client) -> None:
        """A clean stop: availability `offline` (retained), then DISCONNECT (which discards the will)."""
        if not self._connected:
            return
        try:
            info = client.publish(self.will.topic, self.will.payload, qos=1, retain=True)
            deadline = time.monotonic() + STOP_FLUSH_S
            while not info.is_published() and time.monotonic() < deadline and client.socket() is not None:
                client.loop(timeout=0.1)
            client.disconnect()
            client.loop(timeout=0.1)
        except (OSError, ValueError, RuntimeError) as exc:
            log.debug("MQTT: offline message not sent: %s", exc)

    def _close(self) -> None:
        self._connected = False
        client, self._client = self._client, None
        if client is not None:
            try:
                sock = client.socket()
                if sock is not None:
                    sock.close()
            except OSError:
                pass

    def _failed(self, reason: str) -> None:
        self._failures += 1
        self._last_error = reason
        if reason != self._logged_error:
            # Once per distinct cause: a broker down for a day is one line, not 1,440.
            log.error("MQTT: %s (retrying with backoff; status in Settings and /health)", reason)
            self._logged_error = reason

    def _backoff(self) -> None:
        auth = self._refused is not None
        ceiling = max(self.backoff_max_s, AUTH_BACKOFF_MAX_S) if auth else self.backoff_max_s
        # Jittered: many appliances on one broker do not return in step.
        wait = backoff.jittered(backoff.delay(self._failures, self.backoff_min_s, ceiling), self.rng())
        self._retry_at = self.clock() + wait
        self._set_state("waiting")
        self._stop.wait(wait)

    # -- paho callbacks (in this thread) -------------------------------------------------------------------

    def _on_connect(self, client: paho.Client, userdata: object, flags: paho.ConnectFlags, reason: ReasonCode,
                    properties: Properties | None) -> None:
        if getattr(reason, "is_failure", False):
            self._refused = describe_refusal(reason, self.config)
            return
        if self._failures:
            log.warning("MQTT: connected to %s again after %d failed attempts", self.config.broker, self._failures)
        else:
            log.info("MQTT: connected to %s as %s", self.config.broker, self.client_id)
        self._connected, self._refused = True, None
        self._failures, self._last_error, self._logged_error, self._retry_at = 0, None, None, None
        self._set_state("connected")
        v5 = self.config.protocol == "5"
        for topic in self.subscriptions:
            # MQTT 5: never hear our own messages back (the discovery configs we read to clean up).
            if v5:
                client.subscribe(topic, options=SubscribeOptions(qos=1, noLocal=True))
            else:
                client.subscribe(topic, qos=1)
        client.publish(self.online.topic, self.online.payload, qos=1, retain=True)
        if self.on_connected is not None:
            self.on_connected()

    def _on_disconnect(self, client: paho.Client, userdata: object, flags: paho.DisconnectFlags, reason: ReasonCode,
                       properties: Properties | None) -> None:
        self._connected = False

    def _on_publish(self, client: paho.Client, userdata: object, mid: int, reason: ReasonCode,
                    properties: Properties) -> None:
        self.published += 1
        self._unacked = max(0, self._unacked - 1)

    def _on_message(self, client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        if self.on_message is not None:
            try:
                self.on_message(message.topic, bytes(message.payload), bool(message.retain))
            except Exception:  # noqa: BLE001 - a bad message must not end the link
                log.exception("MQTT: handling a message on %s failed", message.topic)
