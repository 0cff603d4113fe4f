"""Commands from Home Assistant: maintenance mode, and for controllable devices their program and setpoint.

Off unless the owner turns command topics on in Settings. Each command runs through the same service
call as the HTTP API (validation, clamps, the control lease, the audit log), with `source="mqtt"`, on
one worker thread of its own: a slow device write never holds the link or a poller. The outcome is
published as JSON on `<base>/<device_id>/result`; a refused command changes nothing.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable

from appliance.control import dispatch, program
from appliance.control.delivery import Dispatcher
from appliance.errors import ApplianceError, ValidationError
from appliance.jsontypes import Json, JsonValue, as_json
from appliance.mqtt import control_entities
from appliance.mqtt.control_entities import RELEASE, SETPOINT
from appliance.mqtt.discovery import DeviceInfo, Topics
from appliance.mqtt.entities import Entity

log = logging.getLogger(__name__)

MAINTENANCE = "maintenance"
MAINTENANCE_REASON = "set over MQTT (Home Assistant)"
MAX_PAYLOAD = 256
QUEUE = 64
Reply = Callable[[Json], None]


class Commands:
    """The command port runtime hands the MQTT service."""

    def __init__(self, *, maintenance: Callable[[str, bool, str], Any], clock: Callable[[], int],
                 dispatcher: Dispatcher, holder: str = "mqtt") -> None:
        self.maintenance = maintenance
        self.clock = clock
        #: The process's dispatcher (runtime.py's, on the pollers' links): HA's writes hold the same bus locks.
        self.dispatcher = dispatcher
        self.holder = holder
        self._queue: queue.Queue[tuple[str, str, bytes, Reply] | None] = queue.Queue(QUEUE)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: device id -> control.program.describe's answer (read on the worker: it talks to the device).
        self.described: dict[str, program.ProgramView] = {}
        self._asked: set[str] = set()
        #: Told when a device's controls are known or changed (the service re-announces the device).
        self.on_described: Callable[[str], None] = lambda device_id: None

    def entities(self, info: DeviceInfo, topics: Topics) -> list[Entity]:
        """The command entities of a device: a maintenance switch on every catalog device; for a device the
        control service can program, its settings, the battery setpoint and a hand-back button."""
        if info.kind not in ("inverter", "battery_pack", "meter"):
            return []
        controls = []
        if info.device_id in self.described:
            controls = control_entities.controls(info.device_id, self.described[info.device_id], topics)
        elif info.device_id not in self._asked:
            self._asked.add(info.device_id)
            self.submit(info.device_id, "_describe", b"", lambda outcome: None)
        return controls + [Entity("switch", MAINTENANCE, "Maintenance mode",
                       "{{ 'ON' if value_json.maintenance else 'OFF' }}", category="config", icon="mdi:wrench",
                       extra={"command_topic": topics.command(info.device_id, MAINTENANCE),
                              "state_topic": topics.command_state(info.device_id),
                              "payload_on": "ON", "payload_off": "OFF", "state_on": "ON", "state_off": "OFF",
                              # Reachable while the device is not: maintenance is what takes it offline.
                              "availability": [{"topic": topics.status}]})]

    def program_state(self, device_id: str) -> Json:
        """What a device's control state topic adds to maintenance: the program read last, the setpoint."""
        described = self.described.get(device_id)
        if not described:
            return {}
        setpoint, held = described["setpoint"], described["lease"]
        return {"program": described["program"] or {}, "setpoint_w": setpoint["target_w"] if setpoint else 0,
                "lease": held["source"] if held else None}

    def _describe(self, device_id: str) -> bool:
        """Read a device's program (on the worker); True when it is controllable."""
        if not program.controllable(device_id):
            return False
        answer = program.describe(device_id, dispatcher=self.dispatcher)
        if answer["stale"] and device_id in self.described:
            return True  # the device did not answer now: keep the controls read before
        self.described[device_id] = answer
        return True

    def submit(self, device_id: str, name: str, payload: bytes, reply: Reply) -> None:
        """Queue a command for the worker; a full queue refuses it at once (never waits)."""
        self._ensure_worker()
        try:
            self._queue.put_nowait((device_id, name, payload, reply))
        except queue.Full:
            reply(self._outcome(name, False, "too many commands waiting; try again"))

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="mqtt-commands", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """End the worker after the commands already queued."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(10)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            device_id, name, payload, reply = item
            reply(self.run(device_id, name, payload))

    def run(self, device_id: str, name: str, payload: bytes) -> Json:
        """Carry out one command now; the outcome says what happened or why it was refused."""
        try:
            text = _text(payload)
            if name == "_describe":
                if self._describe(device_id):
                    self.on_described(device_id)
                return self._outcome(name, True, None, device_id=device_id)
            if name == MAINTENANCE:
                on = _on_off(text, name)
                self.maintenance(device_id, on, MAINTENANCE_REASON)
                detail: JsonValue = "maintenance on" if on else "maintenance off"
            else:
                detail = self._control(device_id, name, text)
        except ApplianceError as exc:
            log.warning("MQTT command %s for %s refused: %s", name, device_id, exc.message)
            return self._outcome(name, False, exc.message, device_id=device_id, code=exc.code)
        log.info("MQTT command %s for %s: %s", name, device_id, detail)
        return self._outcome(name, True, None, device_id=device_id, detail=detail)

    def _control(self, device_id: str, name: str, text: str) -> JsonValue:
        """A program setting, the battery setpoint or the hand-back, as the control API does them (source mqtt:
        another source's lease refuses it; MQTT never takes over)."""
        described = self.described.get(device_id)
        settings = {item["name"]: item for item in described["settings"]} if described else {}
        if name == SETPOINT:
            try:
                watts = float(text)
            except ValueError:
                raise ValidationError(f"{SETPOINT} takes watts (+ discharges, - charges), not {text[:40]!r}",
                                      field="payload") from None
            answer = dispatch.dispatch({"asset_id": device_id, "kw": watts / 1000}, dispatcher=self.dispatcher,
                                       control_source="mqtt", requested_by=self.holder)
            detail: JsonValue = {"outcome": answer["outcome"], "placed_w": answer["placed_w"]}
        elif name == RELEASE:
            detail = program.release(device_id, None, source="mqtt", holder=self.holder,
                                     dispatcher=self.dispatcher)["released"]
        elif name in settings and not settings[name]["read_only"] and not settings[name]["slot"]:
            try:
                value = control_entities.parse_value(settings[name], text)
            except ValueError as exc:
                raise ValidationError(f"{name}: {exc}", field="payload") from None
            changed = program.change(device_id, {"program": {name: value}}, source="mqtt", holder=self.holder,
                                     dispatcher=self.dispatcher)
            detail = {"clamps": [as_json(c) for c in changed["clamps"]], "writes": len(changed["writes"])}
        else:
            raise ValidationError(f"unknown command {name!r}", field="command")
        self._describe(device_id)  # the state HA shows is what the device holds now
        self.on_described(device_id)
        return detail

    def _outcome(self, name: str, ok: bool, error: str | None, **extra: JsonValue) -> Json:
        return {"command": name, "ok": ok, "error": error, "ts": self.clock(), **extra}


def _text(payload: bytes) -> str:
    if len(payload) > MAX_PAYLOAD:
        raise ValidationError(f"the payload is longer than {MAX_PAYLOAD} bytes", field="payload")
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValidationError("the payload is not UTF-8 text", field="payload") from None


def _on_off(text: str, name: str) -> bool:
    word = text.upper()
    if word in ("ON", "TRUE", "1"):
        return True
    if word in ("OFF", "FALSE", "0"):
        return False
    raise ValidationError(f"{name} takes ON or OFF, not {text[:40]!r}", field="payload")
