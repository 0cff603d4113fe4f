"""How the previous run ended, seen at the next start: the watchdog, a crash, a power cut, or a clean stop.

Two small files in the data directory, written at start and stop only:
- `run-state.json`, written by the process: "running" at start, "stopped" at the end of a clean stop
  (SIGTERM). Found "running" at the next start, the previous run never reached its clean stop.
- `last-exit.json`, written by `appliance note-exit`, which systemd runs as ExecStopPost= with
  $SERVICE_RESULT ("watchdog" when the watchdog killed the process), $EXIT_CODE and $EXIT_STATUS.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from appliance.alerts.engine import Observation
from appliance.alerts.kinds import APPLIANCE
from appliance.jsontypes import Json

log = logging.getLogger(__name__)

RUN_STATE, EXIT_NOTE = "run-state.json", "last-exit.json"
#: systemd's $SERVICE_RESULT values (systemd.exec(5)) in words.
RESULTS = {"success": "it stopped normally", "protocol": "it broke the start-up protocol",
           "timeout": "it did not answer in time", "exit-code": "it exited with an error",
           "signal": "it was killed by a signal", "core-dump": "it crashed",
           "watchdog": "it stopped answering the watchdog", "start-limit-hit": "it restarted too often",
           "resources": "it ran out of resources", "oom-kill": "it ran out of memory"}


@dataclass(frozen=True)
class PreviousRun:
    """What the files say of the run before this one."""

    started_at: int | None
    stopped_cleanly: bool
    service_result: str | None = None
    exit_code: str | None = None
    exit_status: str | None = None
    noted_at: int | None = None


def _read(path: Path) -> Json | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("cannot read %s: %s", path, exc)
        return {}
    return value if isinstance(value, dict) else {}


def _write(path: Path, value: Json) -> None:
    """Replace a file atomically (a power cut leaves the old one or the new one, never half)."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(value, sort_keys=True, allow_nan=False), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:  # a full or read-only disk must not stop the process (it is alerted elsewhere)
        log.error("cannot write %s: %s", path, exc)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: object) -> str | None:
    return value[:80] if isinstance(value, str) and value else None


def begin(data_dir: Path, now_ms: int) -> PreviousRun | None:
    """At start: how the previous run ended (None on a first start); then mark this run as running."""
    state, note = _read(data_dir / RUN_STATE), _read(data_dir / EXIT_NOTE)
    previous = None
    if state is not None or note is not None:
        state, note = state or {}, note or {}
        previous = PreviousRun(_int(state.get("started_at")), state.get("state") == "stopped",
                               _text(note.get("service_result")), _text(note.get("exit_code")),
                               _text(note.get("exit_status")), _int(note.get("noted_at")))
    _write(data_dir / RUN_STATE, {"state": "running", "started_at": now_ms, "pid": os.getpid()})
    try:
        (data_dir / EXIT_NOTE).unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cannot remove %s: %s", data_dir / EXIT_NOTE, exc)
    return previous


def end(data_dir: Path, now_ms: int, started_at: int | None) -> None:
    """At the end of a clean stop: mark this run as stopped."""
    _write(data_dir / RUN_STATE, {"state": "stopped", "started_at": started_at, "stopped_at": now_ms})


def note_exit(data_dir: Path, env: Mapping[str, str], now_ms: int) -> Json:
    """What systemd says of the stop that just happened ($SERVICE_RESULT, $EXIT_CODE, $EXIT_STATUS), kept."""
    note: Json = {"service_result": env.get("SERVICE_RESULT") or None, "exit_code": env.get("EXIT_CODE") or None,
                  "exit_status": env.get("EXIT_STATUS") or None, "noted_at": now_ms}
    _write(data_dir / EXIT_NOTE, note)
    return note


def observations(previous: PreviousRun | None, now_ms: int) -> list[Observation]:
    """The event alerts a previous run's end calls for: the watchdog restart, or an unclean stop."""
    if previous is None:
        return []
    at = previous.noted_at or now_ms
    how = ", ".join(v for v in (previous.service_result and f"systemd result {previous.service_result}",
                                previous.exit_code and f"{previous.exit_code} {previous.exit_status or ''}".strip())
                    if v)
    details = {"service_result": previous.service_result, "exit_code": previous.exit_code,
               "exit_status": previous.exit_status, "previous_start": previous.started_at}
    if previous.service_result == "watchdog":
        return [Observation("watchdog_restart", APPLIANCE, True, at,
                            f"The watchdog restarted the appliance: {RESULTS['watchdog']} ({how})",
                            entity="service", details=details)]
    if previous.stopped_cleanly and previous.service_result in (None, "success"):
        return []
    reason = RESULTS.get(previous.service_result or "", "a power cut, or it was killed")
    return [Observation("unclean_stop", APPLIANCE, True, at,
                        f"The appliance did not stop cleanly last time: {reason}"
                        f"{f' ({how})' if how else ''}; readings of its last second may be lost",
                        entity="service", details=details)]
