"""`appliance demo --scenario NAME`: a scripted fault on the simulated home, so an installer sees an alert
raised, notified, shown and cleared end to end. Each scenario breaks one thing, waits, and mends it."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from appliance.headend.server import LocalHeadend

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """At `at_s` seconds after the scenario starts, say `words` and do `action`."""

    at_s: float
    words: str
    action: Callable[["Stage"], None]


@dataclass(frozen=True)
class Scenario:
    """A named fault: rule settings for this run only (shorter holds, so a demo is minutes, not hours), its steps."""

    name: str
    summary: str
    steps: tuple[Step, ...]
    overrides: dict[str, float] = field(default_factory=dict)


@dataclass
class Stage:
    """What the steps act on: the demo's simulated home, and a reference headend for headend-down."""

    demo: Any
    headend: Any = None
    say: Callable[[str], None] = print


def _grid(up: bool) -> Callable[[Stage], None]:
    def act(stage: Stage) -> None:
        stage.demo.site.grid_up = up
    return act


def _bank(fault: str | None) -> Callable[[Stage], None]:
    def act(stage: Stage) -> None:
        stage.demo.bank().fault = fault
    return act


def _cell(offset_v: float) -> Callable[[Stage], None]:
    def act(stage: Stage) -> None:
        stage.demo.jk_cell_offsets.clear()
        if offset_v:
            stage.demo.jk_cell_offsets[5] = offset_v
    return act


def _headend(up: bool) -> Callable[[Stage], None]:
    def act(stage: Stage) -> None:
        if up:
            stage.headend.start()
        else:
            stage.headend.stop()
    return act


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("grid-outage", "the grid fails for 90 s: the battery carries the home; grid outage, then grid restored",
             (Step(0, "the grid fails: the meter and the inverter read 0 V", _grid(False)),
              Step(90, "the grid is back", _grid(True)))),
    Scenario("pack-offline", "the Pylontech bank stops answering for 150 s: device offline, then back",
             (Step(0, "the Pylontech bank stops answering its console", _bank("timeout")),
              Step(150, "the Pylontech bank answers again", _bank(None)))),
    Scenario("cell-imbalance", "cell 5 of the JK pack runs 150 mV high for 90 s: cells out of balance",
             (Step(0, "cell 5 of the JK pack drifts 150 mV above the others", _cell(0.15)),
              Step(90, "the JK pack's balancer evens cell 5 out", _cell(0.0))),
             {"alerts.cell_imbalance.hold_s": 20, "alerts.cell_imbalance.clear_s": 20}),
    Scenario("headend-down", "the headend goes away for 150 s: headend unreachable, data waiting; then it catches up",
             (Step(0, "the headend stops", _headend(False)),
              Step(150, "the headend is back (the link retries with backoff: it may take a minute)", _headend(True))),
             {"alerts.headend_unreachable.hold_s": 30, "alerts.sync_backlog.age_min": 1}),
)}


def prepare_headend(data_dir: Path) -> LocalHeadend:
    """A reference headend for headend-down, and the demo's link to it (as an owner would set it up)."""
    from appliance.accounts.app_settings import set_sync_settings
    from appliance.headend.server import LocalHeadend

    headend = LocalHeadend(data_dir / "demo-headend.db")
    set_sync_settings(headend.url, "demo-home")
    return headend


class Player:
    """Plays a scenario's steps in a thread, on the wall clock scaled by `pace` (tests play faster)."""

    def __init__(self, scenario: Scenario, stage: Stage, *, pace: float = 1.0,
                 ready: Callable[[], bool] = lambda: True, ready_within_s: float = 180.0) -> None:
        self.scenario, self.stage, self.pace = scenario, stage, pace
        self.ready, self.ready_within_s = ready, ready_within_s
        self.done = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._play, name=f"scenario-{scenario.name}", daemon=True)

    def start(self) -> "Player":
        """Start playing."""
        self._thread.start()
        return self

    def _wait_ready(self) -> bool:
        """Wait until the home is up (every device read, the headend reached); False when stopped meanwhile."""
        waited = 0.0
        while not self.ready():
            if waited >= self.ready_within_s:
                self.stage.say(f"scenario {self.scenario.name}: starting although the home is not fully up yet")
                return True
            if self._stop.wait(1.0):
                return False
            waited += 1.0
        return True

    def _play(self) -> None:
        if not self._wait_ready():
            return
        started = 0.0
        for step in self.scenario.steps:
            if self._stop.wait(max(0.0, step.at_s * self.pace - started)):
                return
            started = step.at_s * self.pace
            self.stage.say(f"scenario {self.scenario.name}: {step.words}")
            try:
                step.action(self.stage)
            except Exception:  # noqa: BLE001 - a broken step is reported; the demo goes on
                log.exception("scenario %s: step %r failed", self.scenario.name, step.words)
        self.stage.say(f"scenario {self.scenario.name}: done; the demo keeps running (Ctrl-C stops it)")
        self.done.set()

    def stop(self) -> None:
        """Stop before the end (the demo is stopping)."""
        self._stop.set()
        self._thread.join(5)
