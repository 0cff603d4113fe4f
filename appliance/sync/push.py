"""Store and forward to a headend: register, heartbeat, push feed pages, run the headend's commands.

Outbound only. The stored cursor advances only after the headend answered 2xx to the page that ends
there, so a crash, a restart or an outage resends a page at worst (the headend dedupes), never loses one.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import sqlite3
import time
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Mapping, NotRequired, TypedDict

from peewee import DatabaseError as PeeweeDatabaseError

from appliance import backoff
import appliance
from appliance.errors import ApplianceError
from appliance.jsontypes import Json, JsonObject, JsonValue
from appliance.sync import feed, state
from appliance.sync.state import SyncError

if TYPE_CHECKING:
    import requests

    from appliance.control.delivery import Dispatcher

log = logging.getLogger(__name__)


def _http() -> ModuleType:
    """`requests`, imported on first use: about 5 MB resident that an appliance without a headend never needs."""
    import requests

    return requests

HEARTBEAT_EVERY_S = 30.0
POLL_EVERY_S = 10.0
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 300.0
KEEP_DONE = 200  # command ids remembered so a command the headend sends twice runs once

class HeadendRefused(SyncError):
    """The headend answered, but not with a 2xx."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


#: Runs one headend dispatch command's params; answers the dispatch result (see `control_commands`).
CommandRunner = Callable[[Mapping[str, object]], Mapping[str, object]]


class Backlog(TypedDict):
    """What waits to be pushed, for the UI: pending changes, cursor, last push, last error."""

    configured: bool
    url: str | None
    pending: int
    cursor: str | None
    oldest_unsent_at: int | None
    rows_pushed: int
    last_push_at: int | None
    cursor_resets: int
    last_error: str | None
    failures: int
    next_try_in_s: float


class RunReport(TypedDict):
    """What one tick did: rows pushed, commands run, or why it did nothing."""

    configured: bool
    pushed: int
    commands: int
    skipped: NotRequired[str]
    error: NotRequired[str]


def control_commands(dispatcher: Dispatcher) -> CommandRunner:
    """Headend dispatch commands run through the control service as external dispatches on `dispatcher` (the
    runtime's, on the pollers' links)."""
    from appliance.control import dispatch as control  # imported late: a headend-less tool never loads control

    def run(params: Mapping[str, object]) -> Mapping[str, object]:
        return control.dispatch(dict(params), dispatcher=dispatcher, default_source=control.EXTERNAL,
                                requested_by="headend")

    return run


class PushClient:
    """The appliance's side of the headend link; the runtime calls run_once() every few seconds."""

    def __init__(self, settings: Mapping[str, Any] | None = None, *, session: requests.Session | None = None,
                 clock: Callable[[], float] = time.time, dispatcher: CommandRunner | None = None,
                 hardware_id: str | None = None, rng: random.Random | None = None, timeout_s: float = 10.0,
                 page_limit: int = feed.DEFAULT_LIMIT, max_pages_per_run: int = 20, gzip_body: bool = True,
                 name: str | None = None, flush_interval_s: float | None = None) -> None:
        values = dict(state.settings() if settings is None else settings)
        self.url = str(values.get("sync.url") or "").rstrip("/")
        self.token = values.get("sync.token") or None
        self.appliance_id = values.get("sync.appliance_id") or None
        self._session = session
        self.clock = clock
        #: None: this process does not run device control, and a headend command is answered as failed.
        self.dispatcher = dispatcher
        self._hardware_id = hardware_id
        self.rng = rng or random.Random()
        self.timeout_s = timeout_s
        self.page_limit = feed.check_limit(page_limit)
        self.max_pages_per_run = max_pages_per_run
        self.gzip_body = gzip_body
        self.name = name or f"appliance {self.appliance_id}"
        #: The sample writer's interval: samples reach the headend up to this late, so it judges staleness by it.
        self.flush_interval_s = flush_interval_s
        self.failures = 0
        self.next_try = 0.0
        self.last_error: str | None = None
        self._next_heartbeat = 0.0
        self._next_poll = 0.0

    @property
    def session(self) -> requests.Session:
        """The HTTP session, made on the first request (reading the backlog needs none)."""
        if self._session is None:
            self._session = _http().Session()
        return self._session

    @property
    def configured(self) -> bool:
        """Whether URL and appliance id are set."""
        return bool(self.url and self.appliance_id)

    def _require(self) -> None:
        if not self.configured:
            raise SyncError("the headend link is not configured: set sync.url and sync.appliance_id")

    def _send(self, method: str, path: str, body: object = None) -> requests.Response:
        """One request to the headend; anything but a 2xx answer raises SyncError."""
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":"), default=str, allow_nan=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
            if self.gzip_body and len(data) > 1024:
                data, headers["Content-Encoding"] = gzip.compress(data, 6), "gzip"
        try:
            response = self.session.request(method, f"{self.url}{path}", data=data, headers=headers,
                                            timeout=self.timeout_s)
        except _http().RequestException as exc:
            raise SyncError(f"headend {method} {path} failed: {exc.__class__.__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise HeadendRefused(f"headend {method} {path} answered {response.status_code}", response.status_code)
        return response

    @staticmethod
    def _json(response: requests.Response, what: str) -> JsonValue:
        try:
            return response.json()
        except ValueError as exc:
            raise SyncError(f"headend answered {what} with something that is not JSON") from exc

    def hardware_id(self) -> str:
        """The id the appliance registers with (Pi serial or machine id)."""
        if self._hardware_id is None:
            self._hardware_id = state.hardware_id()
        return self._hardware_id

    def register(self) -> str:
        """Register with the headend (a 409 names the existing id); store and return the device id."""
        self._require()
        body = {"name": self.name, "device_type": "appliance", "hardware_id": self.hardware_id(),
                "firmware_version": getattr(appliance, "__version__", None),
                "metadata": {"appliance_id": self.appliance_id}}
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self.session.post(f"{self.url}/devices/register", data=json.dumps(body, allow_nan=False),
                                         headers=headers, timeout=self.timeout_s)
        except _http().RequestException as exc:
            raise SyncError(f"headend registration failed: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code not in (200, 201, 409):
            raise SyncError(f"headend registration answered {response.status_code}")
        answer = self._json(response, "the registration")
        device_id = (answer.get("id") or answer.get("device_id")) if isinstance(answer, dict) else None
        if not isinstance(device_id, str) or not device_id:
            raise SyncError("headend registration answer has no device id")
        state.put("push.registration", {"url": self.url, "device_id": device_id})
        return device_id

    def device_id(self) -> str | None:
        """The id the headend gave this appliance, if registered with the configured URL."""
        reg = state.get("push.registration") or {}
        return reg.get("device_id") if reg.get("url") == self.url else None

    def heartbeat(self) -> None:
        """Tell the headend the appliance is alive, with its backlog and how often its samples are written."""
        self._require()
        body: dict[str, Any] = {"device_id": self.device_id(), "appliance_id": self.appliance_id,
                                "backlog": self.backlog()["pending"]}
        if self.flush_interval_s is not None:
            body["flush_interval_s"] = self.flush_interval_s
        try:
            self._send("POST", "/devices/heartbeat", body)
        except HeadendRefused as exc:
            if exc.status == 404:  # the headend lost its records (a new database): register again next time
                state.put("push.registration", None)
            raise

    def cursor(self) -> str | None:
        """The stored cursor: every change up to it reached the headend."""
        value = state.get("push.cursor")
        return value if isinstance(value, str) and value else None

    def push_once(self) -> tuple[int, bool]:
        """Push one feed page; return (rows pushed, whether more are waiting)."""
        self._require()
        cursor = self.cursor()
        try:
            page = feed.read_page(cursor, self.page_limit)
        except feed.FeedGone as exc:
            # Retention deleted changes before they could be sent: count it, say so, carry on from what is kept.
            stats = state.get("push.stats") or {}
            stats["cursor_resets"] = int(stats.get("cursor_resets", 0)) + 1
            stats["last_reset"] = exc.message
            state.put("push.stats", stats)
            log.warning("sync push: %s", exc.message)
            state.put("push.cursor", exc.oldest_cursor)
            page = feed.read_page(exc.oldest_cursor, self.page_limit)
            cursor = exc.oldest_cursor
        if page.cursor == (cursor or page.cursor_from):
            return 0, False
        if page.rows:
            answer = self._json(self._send("POST", "/ingest", {
                "appliance_id": self.appliance_id, "device_id": self.device_id(), "cursor_from": page.cursor_from,
                "cursor_to": page.cursor, "rows": page.rows}), "the push")
            # A 2xx alone is not proof: a captive portal or a proxy answers 200 too. The headend echoes the cursor.
            if not isinstance(answer, dict) or answer.get("cursor") != page.cursor:
                raise SyncError("headend did not confirm the pushed page (no matching cursor in its answer)")
        state.put("push.cursor", page.cursor)
        stats = state.get("push.stats") or {}
        stats["rows_pushed"] = int(stats.get("rows_pushed", 0)) + len(page.rows)
        stats["last_push_at"] = int(self.clock() * 1000)
        state.put("push.stats", stats)
        return len(page.rows), page.has_more

    def poll_commands(self) -> list[Json]:
        """Fetch the headend's commands, run each once, and acknowledge each with its outcome."""
        self._require()
        self._flush_acks()
        answer = self._json(self._send("GET", f"/commands?appliance_id={self.appliance_id}"), "the command poll")
        commands = answer.get("commands") if isinstance(answer, dict) else answer
        if not isinstance(commands, list):
            raise SyncError("headend command poll answer is not a list of commands")
        done = state.get("push.done") or {}
        acks = state.get("push.acks") or {}
        handled: list[Json] = []
        for command in commands:
            if not isinstance(command, dict) or not isinstance(command.get("id"), (str, int)):
                log.warning("sync: ignoring a malformed command from the headend: %.200r", command)
                continue
            command_id = str(command["id"])
            if command_id in done:
                acks.setdefault(command_id, done[command_id])  # ran already: only the ack was lost
                continue
            outcome = self._run(command)
            done[command_id] = outcome
            acks[command_id] = outcome
            handled.append({"id": command_id, **outcome})
        # Outcomes are stored before they are acknowledged: a lost ack is resent, never the command rerun.
        state.put("push.done", dict(list(done.items())[-KEEP_DONE:]))
        state.put("push.acks", acks)
        self._flush_acks()
        return handled

    def _run(self, command: JsonObject) -> Json:
        kind = command.get("type", "dispatch")
        raw = command.get("params")
        params: JsonObject = raw if isinstance(raw, dict) else {}
        if kind != "dispatch":
            return {"status": "rejected", "error": f"unknown command type {kind!r}"}
        if self.dispatcher is None:
            return {"status": "failed", "error": "device control does not run in this process"}
        try:
            result = self.dispatcher(params)
        except ApplianceError as exc:
            return {"status": "rejected", "error": exc.message, "field": exc.field}
        except Exception as exc:  # noqa: BLE001 - a failing command is reported to the headend, not fatal
            log.exception("sync: dispatch command %s failed", command.get("id"))
            return {"status": "failed", "error": f"{exc.__class__.__name__}: {exc}"}
        return {"status": str(result.get("outcome", "applied")),
                "result": json.loads(json.dumps(result, default=str, allow_nan=False))}

    def _flush_acks(self) -> None:
        acks = state.get("push.acks") or {}
        for command_id, outcome in list(acks.items()):
            self._send("POST", f"/commands/{command_id}/ack", {"appliance_id": self.appliance_id, **outcome})
            acks.pop(command_id)
            state.put("push.acks", acks)

    def backlog(self) -> Backlog:
        """What waits to be pushed, for the UI: pending changes, cursor, last push, last error."""
        cursor = self.cursor()
        try:
            pending = feed.backlog(cursor)
        except feed.FeedGone:
            pending = feed.backlog(None)
        stats = state.get("push.stats") or {}
        return {"configured": self.configured, "url": self.url or None, "pending": pending, "cursor": cursor,
                "oldest_unsent_at": feed.oldest_pending(cursor) if pending else None,
                "rows_pushed": stats.get("rows_pushed", 0), "last_push_at": stats.get("last_push_at"),
                "cursor_resets": stats.get("cursor_resets", 0), "last_error": self.last_error,
                "failures": self.failures, "next_try_in_s": max(0.0, round(self.next_try - self.clock(), 1))}

    def _failed(self, exc: SyncError) -> None:
        self.failures += 1
        # Exponential backoff with jitter, so many appliances do not return to a headend at the same instant.
        self.next_try = self.clock() + backoff.jittered(backoff.delay(self.failures, BACKOFF_BASE_S, BACKOFF_CAP_S),
                                                        self.rng.random())
        if self.last_error is None:
            log.warning("sync: headend unreachable or failing (%s); retrying with backoff", exc.message)
        self.last_error = exc.message

    def run_once(self) -> RunReport:
        """One scheduler tick: register, heartbeat, push pages, poll commands, as each is due; never raises."""
        now = self.clock()
        out: RunReport = {"configured": self.configured, "pushed": 0, "commands": 0}
        if not self.configured or now < self.next_try:
            out["skipped"] = "not configured" if not self.configured else "backing off"
            return out
        try:
            if self.device_id() is None:
                self.register()
            if now >= self._next_heartbeat:
                self.heartbeat()
                self._next_heartbeat = now + HEARTBEAT_EVERY_S
            for _ in range(self.max_pages_per_run):
                count, more = self.push_once()
                out["pushed"] += count
                if not more:
                    break
            if now >= self._next_poll:
                out["commands"] = len(self.poll_commands())
                self._next_poll = now + POLL_EVERY_S
        except (ApplianceError, PeeweeDatabaseError, sqlite3.Error) as exc:
            # A headend failure, or a busy database: try again later; the appliance carries on either way.
            error = exc if isinstance(exc, SyncError) else SyncError(getattr(exc, "message", None) or str(exc))
            self._failed(error)
            out["error"] = error.message
            return out
        if self.last_error is not None:
            log.info("sync: headend link works again")
        self.failures, self.last_error, self.next_try = 0, None, 0.0
        return out
