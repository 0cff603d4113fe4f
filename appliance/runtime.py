"""The composition root: builds the one process from its settings. Nothing starts at import time."""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from apscheduler.schedulers.background import BackgroundScheduler
from peewee import SqliteDatabase

from appliance.acquisition import live as live_readings
from appliance.acquisition.live import LiveCache
from appliance.acquisition.service import Acquisition
from appliance.acquisition.timekeeping import Timekeeper
from appliance.acquisition.spool import for_database
from appliance.acquisition.writer import DEFAULT_FLUSH_INTERVAL_S, SPOOLED_FLUSH_INTERVAL_S, SampleWriter
from appliance.catalog.recovery import StartupReport, prepare
from appliance.clock import now_ms
from appliance.control.delivery import Dispatcher
from appliance.drivers.connect import LinkPool
from appliance.settings import Settings
from appliance.vclock import VirtualClock

if TYPE_CHECKING:
    from appliance.sync.push import Backlog

log = logging.getLogger(__name__)
#: The headend link's state (backlog count included) is read at most this often for alerts and the status page.
LINK_TTL_S = 5.0
#: A periodic run after a flush is due this share of its interval after the last one (`Runtime._due`).
DUE_SLACK = 0.95


def _import_web() -> None:
    import appliance.web  # noqa: F401 - only loads the modules
    import appliance.web.server  # noqa: F401


def open_store(settings: Settings) -> tuple[SqliteDatabase, StartupReport]:
    """Open the database as the process does at start: recovery, migrations, adapter types, seed, defaults."""
    from appliance.accounts.backup import restore_state
    from appliance.discovery import settings as discovery_settings
    from appliance.mqtt import settings as mqtt_settings

    # A recovered box gets its owner's access and settings back from the snapshot's state section.
    checks = {"discovery.": discovery_settings.check, "mqtt.": mqtt_settings.check_setting}
    return prepare(settings, restore_state=lambda state: restore_state(state, checks),
                   sections=mqtt_settings.config_sections())


@dataclass
class RuntimeOptions:
    """How `run` or `demo` builds the process."""

    host: str = "0.0.0.0"
    port: int = 8080
    web: bool = True
    discovery_interval_s: float = 300.0
    #: Rollups follow the writer's flushes, at most this often while nobody looks at the UI: each run rewrites
    #: the current hour's and day's rows whatever it adds (docs/performance.md "Write path"). Today's totals
    #: add the samples since, so only the charts' newest buckets wait.
    rollup_interval_s: float = 3600.0
    #: ... and at most this often while someone does (a page view in the last `rollup_interval_s`).
    watched_rollup_interval_s: float = 900.0
    #: The WAL is checkpointed after a flush at most this often (a quiet moment: the writer just finished),
    #: the first time one interval after the start. Each checkpoint copies every page the WAL changed, so a
    #: longer interval copies the pages rewritten by several flushes (tree edges, rollups) once.
    checkpoint_interval_s: float = 7200.0
    #: How often the disk budget is checked after a flush (energy/storage.py).
    budget_interval_s: float = 900.0
    sync_interval_s: float = 10.0
    push_interval_s: float = 10.0
    #: The alert rules' timer: holds that ran out, the disk, the clock, the headend (alerts/service.py).
    alerts_interval_s: float = 5.0
    #: Rule settings over the stored ones for this process only (the demo's scenarios shorten holds).
    alert_overrides: dict[str, float] = field(default_factory=dict)
    mqtt_interval_s: float = 10.0
    #: `--mqtt mqtt[s]://user:pass@host:port`: the broker for this process, over the stored settings.
    mqtt_url: str | None = None
    #: What the appliance calls itself on MQTT (the client id's first part): the demo is not the real box.
    mqtt_role: str = "appliance"
    extra_jobs: list[tuple[Callable[[], Any], float, str]] = field(default_factory=list)


class Runtime:
    """The one process: store, sample writer, pollers, scheduler, discovery, web server."""

    def __init__(self, settings: Settings, options: RuntimeOptions | None = None, *,
                 pool: LinkPool | None = None, discovery_sources: Any = None,
                 clock: VirtualClock | None = None, timekeeper: Timekeeper | None = None) -> None:
        from appliance import malloc

        malloc.tune()  # before the threads start: they then share two arenas
        self.settings = settings
        self.options = options or RuntimeOptions()
        self.clock = clock or VirtualClock()
        self.pool = pool or LinkPool()
        self.discovery_sources = discovery_sources
        self.discovery: Any = None
        self.live = LiveCache(clock=self.clock.ms)
        # With a RAM spool a crash loses nothing, so the writer commits seldom (docs/performance.md, "Write path").
        spool = for_database(settings.db_path)
        interval = settings.flush_interval_s or (SPOOLED_FLUSH_INTERVAL_S if spool else DEFAULT_FLUSH_INTERVAL_S)
        self.writer = SampleWriter(flush_interval_s=interval, spool=spool)
        self.scheduler = BackgroundScheduler(job_defaults={"max_instances": 1, "coalesce": True},
                                             timezone="UTC")
        # Samples taken while the clock is not synchronised are marked; the rollups wait for them (docs: Time).
        self.timekeeper = timekeeper or Timekeeper()
        from appliance.catalog.validation import check_adapter_config

        self.acquisition = Acquisition(self.scheduler, self.writer, self.pool, self.live, clock=self.clock.ms,
                                       poller_options={"timekeeper": self.timekeeper},
                                       check_config=check_adapter_config)
        # Setpoints go through the pollers' pool, so a write holds the same bus lock as the polls. The web, MQTT
        # and the headend link all use this one (DESIGN.md section 2: no service builds its own).
        self.dispatcher = Dispatcher(self.pool, clock=self.clock.ms)
        self.database: SqliteDatabase | None = None
        self.report: StartupReport | None = None
        from appliance.alerts.service import AlertsService

        # Built here, started in start(): a backfill's polls of the past raise no alert and send nothing.
        self.alerts = AlertsService(self.acquisition, self._alert_collaborators(), clock=self.clock.ms,
                                    overrides=self.options.alert_overrides)
        self._run_started: int | None = None
        self._link: tuple[float, Any] | None = None
        self.web_server: Any = None
        self._push: Any = None
        self._push_settings: dict[str, Any] | None = None
        self.mqtt: Any = None
        self.url: str | None = None
        self._stopped = threading.Event()
        self._last_run: dict[str, float] = {}
        #: The clock of the runs after a flush (rollups, budget, checkpoint); tests step it.
        self.monotonic: Callable[[], float] = time.monotonic
        self.storage: Any = None
        #: Links for a backfill on a virtual clock (the demo's simulators in-process); None: the real buses.
        self.backfill_pool: Callable[[], LinkPool] | None = None
        #: Called after every discovery scan (the demo gives its approved packs the installer's limits).
        self.after_discovery: list[Callable[[], Any]] = []
        self._stop_asked: threading.Event | None = None

    def open(self) -> "Runtime":
        """Open the store and start the writer (enough for a headless backfill)."""
        from appliance.discovery.inbox import DiscoveryService, local_sources

        if self.options.web:
            # The web UI's imports (Flask, waitress, the blueprints) load while the database opens and migrates:
            # the UI then answers as soon as the database is ready.
            threading.Thread(target=_import_web, name="web-imports", daemon=True).start()
        self.database, self.report = open_store(self.settings)
        self.timekeeper.adopt()
        live_readings.install(self.live)
        # One pool for pollers and discovery: a probe borrows a bus the pollers use instead of opening it twice.
        sources = self.discovery_sources if self.discovery_sources is not None else local_sources()
        self.discovery = DiscoveryService(sources, pool=self.pool, now_ms=self.clock.ms)
        from appliance.energy import storage

        self.storage = storage.StorageWatch(write_policy=lambda: (self.writer.flush_interval_s,
                                                                  self.writer.spool is not None))
        self.writer.after_flush(self._after_flush)
        # A quiet moment: what the migrations and a crashed run left in the WAL goes to the database now, and
        # the next checkpoint is one interval later.
        self.storage.checkpoint()
        self._last_run["checkpoint"] = self.monotonic()
        self.writer.start()
        return self

    def _due(self, name: str, every_s: float) -> bool:
        """Whether `every_s` (monotonic) seconds passed since `name` last ran, or since the start for a name
        marked then; marks it run."""
        now = self.monotonic()
        # Runs follow flushes, which come a whole interval apart give or take a moment: without the slack a
        # flush a second early would put an hourly run off to the flush after.
        if now - self._last_run.get(name, float("-inf")) < every_s * DUE_SLACK:
            return False
        self._last_run[name] = now
        return True

    def _after_flush(self) -> None:
        """In the writer thread, right after a flush: rollups, the disk budget, a checkpoint when due.

        Grouped with the flush so the disk sees one burst of writes per interval, not a trickle."""
        every = self.options
        watched = self.writer.watched_within(every.rollup_interval_s)
        if self._due("rollup", every.watched_rollup_interval_s if watched else every.rollup_interval_s):
            self.roll_up()
        if self._due("budget", every.budget_interval_s):
            done = self.storage.enforce(self.clock.ms())
            if done:
                from appliance.sync import feed

                # Raw rows deleted for space leave the feed window with them: a cursor behind gets 410.
                days = max(1, int((now_ms() - done["cutoff_ms"]) // 86_400_000))
                feed.prune(now_ms(), keep_days=days)
        if self._due("checkpoint", every.checkpoint_interval_s):
            self.storage.checkpoint()

    def start(self) -> "Runtime":
        """Start everything; tell systemd the process is ready."""
        if self.database is None:
            self.open()
        from appliance import sdnotify
        from appliance.alerts import restart

        every = self.options
        self._run_started = self.clock.ms()
        self.alerts.start(restart.begin(self.settings.data_dir, self._run_started))
        self.scheduler.add_job(self.alerts.tick, "interval", seconds=every.alerts_interval_s, id="alerts")
        # The UI answers as soon as the database is open; discovery (BLE scans included) runs behind it.
        if every.web:
            self._start_web()
        self.scheduler.add_job(self.acquisition.sync, "interval", seconds=every.sync_interval_s, id="acquisition-sync")
        self.scheduler.add_job(self.retention, "interval", hours=24, id="retention")
        self.scheduler.add_job(self.extend_tariffs, "interval", hours=24, id="tariffs")
        self.scheduler.add_job(self.snapshot, "interval", hours=24, id="config-snapshot")
        self.scheduler.add_job(self.discover, "interval", seconds=every.discovery_interval_s, id="discovery")
        self.scheduler.add_job(self.push, "interval", seconds=every.push_interval_s, id="headend-push")
        watchdog = sdnotify.watchdog_interval_s()
        if watchdog:
            # Petting from a scheduler job: a hung scheduler stops petting and systemd restarts the process.
            self.scheduler.add_job(sdnotify.notify_watchdog, "interval", seconds=max(1.0, watchdog / 2),
                                   id="watchdog")
        from appliance.catalog import registration
        from appliance.control import dispatch

        self.scheduler.add_job(lambda: dispatch.expire_setpoints(self.clock.ms(), self.dispatcher), "interval",
                               seconds=5, id="setpoint-expiry")
        self.scheduler.add_job(lambda: registration.sweep_offline(self.clock.ms()), "interval",
                               seconds=registration.sweep_settings()["sweep_every_s"], id="heartbeat-sweep")
        self._start_mqtt()
        for func, seconds, job_id in every.extra_jobs:
            self.scheduler.add_job(func, "interval", seconds=seconds, id=job_id)
        # The first scan runs as a job at once: devices already configured are polled meanwhile.
        self.scheduler.add_job(self.discover, "date", id="discovery-first")
        self.scheduler.start()
        self.discovery.start_monitor()
        self.acquisition.sync()
        self.scheduler.add_job(self.snapshot, "date", id="config-snapshot-first")
        sdnotify.notify_ready()
        sdnotify.notify_status(f"polling {len(self.acquisition.pollers)} devices" +
                               (f", UI at {self.url}" if self.url else ""))
        return self

    def _start_web(self) -> None:
        from appliance.web import create_app
        from appliance.web.server import serve

        app = create_app(self.web_config())
        self.web_server = serve(app, self.options.host, self.options.port)
        threading.Thread(target=self.web_server.run, name="web", daemon=True).start()
        port = self.web_server.port
        host = "127.0.0.1" if self.options.host in ("0.0.0.0", "") else self.options.host
        self.url = f"http://{host}:{port}/"

    def web_config(self) -> dict[str, Any]:
        """What the web app is handed (web/running.py reads it): this process's services, never copies."""
        return {"HEALTH_CHECKS": self.health_checks(), "ALERTS": self.alerts,
                "MQTT_STATUS": self.mqtt.status if self.mqtt is not None else None,
                "DISPATCHER": self.dispatcher, "DISCOVERY": self.discovery, "STORAGE": self.storage,
                "SYNC_BACKLOG": self.sync_backlog, "FRESHEN": self.writer.freshen}

    def sync_backlog(self) -> Backlog:
        """What waits for the headend, as the running link sees it (its last error, failures and backoff)."""
        from appliance.sync.push import PushClient

        # Before the first push round (or with no headend set) there is no link yet: the stored state is all.
        return (self._push or PushClient()).backlog()

    def health_checks(self) -> dict[str, Callable[[], tuple[bool, str]]]:
        """What GET /health reports beside the database (the web app checks that itself)."""
        def writer() -> tuple[bool, str]:
            stats = self.writer.stats
            ok = self.writer.alive and stats.last_error is None
            return ok, stats.last_error or f"{stats.rows_written} rows written, {stats.pending} pending"

        def scheduler() -> tuple[bool, str]:
            return bool(self.scheduler.running), f"{len(self.scheduler.get_jobs())} jobs"

        checks = {"writer": writer, "scheduler": scheduler}
        if self.mqtt is not None:
            checks["mqtt"] = self.mqtt.health
        return checks

    def _start_mqtt(self) -> None:
        """The MQTT publisher, handed what it reads; the live cache tells it of every poll."""
        from appliance.catalog import registry, systems
        from appliance.energy.totals import system_totals
        from appliance.mqtt import settings as mqtt_settings
        from appliance.mqtt.commands import Commands
        from appliance.mqtt.service import MqttService, Sources

        def system_list() -> list[tuple[str, str]]:
            return [(s["system_id"], s["name"]) for s in systems.list_systems()]

        def device_health(device_id: str) -> str | None:
            known = self.acquisition.health.state(device_id)  # newer than the catalog row between summaries
            return known.status if known is not None else None

        def active_alerts() -> list[dict[str, Any]]:
            return [{"device_id": a.device_id, "kind": a.kind, "message": a.message, "severity": a.severity}
                    for a in self.alerts.active()]

        sources = Sources(devices=lambda: registry.list_devices(), health=device_health, systems=system_list,
                          energy=lambda system_id: system_totals(system_id, self.clock.ms()),
                          appliance=self.appliance_state,
                          commands=Commands(maintenance=self._maintenance, clock=self.clock.ms,
                                            dispatcher=self.dispatcher, holder="Home Assistant (MQTT)"),
                          logical=self.logical_batteries, alerts=active_alerts)
        self.mqtt = MqttService(mqtt_settings.load, self._mqtt_identity(system_list()), sources,
                                override_url=self.options.mqtt_url, tick_s=self.options.mqtt_interval_s).start()
        self.live.subscribe(self.mqtt.on_reading, self.mqtt.on_failure)
        mqtt = self.mqtt
        self.alerts.subscribe(lambda _change: mqtt.publish_alerts())  # a problem sensor turns on at once
        self.scheduler.add_job(self.mqtt.tick, "interval", seconds=self.options.mqtt_interval_s, id="mqtt")

    def _mqtt_identity(self, system_list: list[tuple[str, str]]) -> Any:
        from appliance.mqtt.identity import identity_of
        from appliance.sync import state
        from appliance.sync.state import SyncError

        try:
            hardware = state.hardware_id()
        except SyncError:
            import hashlib

            # No Pi serial and no machine id: the database's path is the next most stable thing we have.
            hardware = hashlib.sha256(str(self.settings.db_path).encode()).hexdigest()[:16]
        name = f"{system_list[0][1]} appliance" if system_list else "Solar appliance"
        return identity_of(hardware, name=name, role=self.options.mqtt_role)

    @staticmethod
    def logical_batteries() -> list[dict[str, Any]]:
        """Control's logical batteries (one per battery array with packs) in READINGS.md names, for MQTT."""
        from appliance.control import battery_array

        out = []
        for battery in battery_array.arrays():
            if not battery.packs:
                continue
            cells = battery.cells()
            power = [p.power_w for p in battery.online if p.power_w is not None]
            out.append({"device_id": f"battery_array:{battery.battery_array_id}", "name": battery.name,
                        "system_id": battery.system_id, "health_status": battery.health_status,
                        "values": {"soc_pct": battery.soc_pct, "power_w": round(sum(power), 1) if power else None,
                                   "cell_min_v": cells["cell_min_v"], "cell_max_v": cells["cell_max_v"],
                                   "cell_delta_v": cells["cell_delta_v"], "soh_pct": cells["soh_pct"],
                                   "max_charge_power_w": battery.max_charge_w,
                                   "max_discharge_power_w": battery.max_discharge_w,
                                   "packs_online": len(battery.online)}})
        return out

    @staticmethod
    def _maintenance(device_id: str, on: bool, reason: str) -> Any:
        """Maintenance on or off, as PATCH /api/devices/<id> does it (the same checks)."""
        from appliance.catalog import registration

        changes = {"status": "maintenance" if on else "online"}
        if on:
            changes["maintenance_reason"] = reason
        return registration.patch(device_id, changes)

    def appliance_state(self) -> dict[str, Any]:
        """The appliance's own state for MQTT: health, devices online, disk, backlogs, clock."""
        from appliance.catalog import registry
        from appliance.store.db import disk_free

        problems = []
        for name, check in self.health_checks().items():
            if name == "mqtt":
                continue
            try:
                ok, detail = check()
            except Exception as exc:  # noqa: BLE001 - a failing check is a problem to report, not a crash
                ok, detail = False, str(exc)
            if not ok:
                problems.append(f"{name}: {detail}")
        devices = registry.list_devices()
        free = disk_free()
        size = sum(p.stat().st_size for p in self.settings.db_path.parent.glob(self.settings.db_path.name + "*")
                   if p.is_file())
        try:
            backlog = self.sync_backlog()["pending"]
        except Exception:  # noqa: BLE001 - the headend link's state is optional here
            backlog = None
        return {"problem": bool(problems), "health": "; ".join(problems)[:250] or "ok",
                "devices_online": sum(1 for d in devices if d["health_status"] in ("online", "degraded")),
                "devices_total": len(devices), "disk_free_mb": None if free is None else round(free / 1e6),
                "database_mb": round(size / 1e6, 1), "sync_backlog": backlog,
                "write_backlog": self.writer.stats.pending, "clock_synchronised": self.timekeeper.synchronised()}

    def _alert_collaborators(self) -> Any:
        """What the alert rules and the status page read, each from its owner (alerts.service.Collaborators)."""
        from appliance.alerts.box import CONTROL_KINDS, ControlEvent, ControlEvents, DiskRoom
        from appliance.alerts.service import Collaborators
        from appliance.control import audit
        from appliance.alerts.status import SchedulerState, WriterState
        from appliance.catalog import registry, systems
        from appliance.store.db import database_room

        def disk_room() -> DiskRoom | None:
            room = database_room()
            return None if room is None else DiskRoom(room, str(self.settings.data_dir))

        def writer() -> WriterState:
            stats = self.writer.stats
            return WriterState(self.writer.alive, stats.last_flush_ms, stats.pending, stats.rows_written,
                               stats.last_error, flush_interval_s=self.writer.flush_interval_s)

        def name_of(device_id: str) -> str:
            return str(registry.get_device(device_id)["name"])

        def appliance_name() -> str:
            found = systems.list_systems()
            return str(found[0]["name"]) if found else "Appliance"

        def control_events(after: int) -> list[ControlEvent]:
            return [ControlEvent(e["audit_id"], e["kind"], e["device_id"], e["message"], e["ts"])
                    for e in audit.since(after, CONTROL_KINDS)]

        return Collaborators(
            control_events=ControlEvents(audit.latest_id, control_events),
            disk_room=disk_room, database_problem=lambda: self.writer.stats.last_error,
            clock_synchronised=self.timekeeper.synchronised, headend=self.headend_link, writer=writer,
            scheduler=lambda: SchedulerState(bool(self.scheduler.running), len(self.scheduler.get_jobs())),
            device_name=name_of, appliance_name=appliance_name)

    def headend_link(self) -> Any:
        """The headend link for the alerts and the status page: settings, last push and pull, backlog.

        Counting the backlog walks the waiting changes: the answer is kept for LINK_TTL_S."""
        cached = self._link
        if cached is not None and time.monotonic() - cached[0] < LINK_TTL_S:
            return cached[1]
        link = self._headend_link()
        self._link = (time.monotonic(), link)
        return link

    def _headend_link(self) -> Any:
        from appliance.alerts.box import HeadendLink
        from appliance.clock import parse_ms
        from appliance.store.alerts import last_token_use
        from appliance.sync.push import PushClient

        push = self._push if self._push is not None else PushClient()
        backlog = push.backlog()
        return HeadendLink(configured=push.configured, url=push.url or None, last_push_ms=backlog["last_push_at"],
                           last_pull_ms=parse_ms(last_token_use("sync")), last_error=push.last_error, failures=push.failures,
                           backlog_rows=backlog["pending"], oldest_unsent_ms=backlog.get("oldest_unsent_at"))

    def roll_up(self) -> Any:
        """Re-stamp samples marked before the clock was synchronised, then fold new samples into the rollups."""
        from appliance.energy.rollups import roll_up

        self.timekeeper.restamp()
        result = roll_up(now_ms=self.clock.ms())
        if self.mqtt is not None:
            self.mqtt.publish_energy()  # HA's Energy dashboard gets the new totals after each rollup
        return result

    def extend_tariffs(self) -> int:
        """Expand time-of-use tariff plans further ahead when their horizon is near (a few points a day)."""
        from appliance.energy import tariffs

        return tariffs.extend(self.clock.ms())

    def retention(self) -> Any:
        """Delete what is older than its retention (the days set on the settings page; 0 = forever)."""
        from appliance.accounts.app_settings import retention
        from appliance.energy.retention import apply_retention

        from appliance.sync import feed

        kept = retention()
        self.alerts.prune(kept.pop("retention.alerts_days", 0))
        policy = {key.removeprefix("retention."): (days or None) for key, days in kept.items()}
        before = self.storage.used_bytes() if self.storage else 0
        deleted = apply_retention(self.clock.ms(), policy)
        if self.storage:
            self.storage.note_freed(before, self.storage.used_bytes())
        feed.prune(self.clock.ms())  # the sync feed's window follows raw retention
        return deleted

    def push(self) -> None:
        """One round of the headend link (register, heartbeat, push, commands) when a headend is set."""
        from appliance.sync import state
        from appliance.sync.push import PushClient, control_commands

        settings = state.settings()
        if self._push is None or settings != self._push_settings:
            # New settings, new client: its backoff and headend registration belong to the old headend.
            self._push = PushClient(settings, dispatcher=control_commands(self.dispatcher),
                                    flush_interval_s=self.writer.flush_interval_s)
            self._push_settings = settings
        if self._push.configured:
            self._push.run_once()

    def snapshot(self) -> None:
        """Write today's config snapshot with the owner's access and settings (the first source for recovery)."""
        from appliance.accounts.backup import export_state
        from appliance.catalog.snapshots import write_snapshot

        try:
            write_snapshot(self.settings.snapshot_dir, keep=self.settings.snapshot_keep, state=export_state())
        except OSError as exc:
            # A full disk must not stop the process: yesterday's snapshot is still there.
            log.error("cannot write the config snapshot in %s: %s", self.settings.snapshot_dir, exc)

    def discover(self) -> Any:
        """Run the 4-phase discovery with this process's sources; approved devices start polling."""
        result = self.discovery.scan()
        for hook in self.after_discovery:
            hook()
        self.acquisition.sync()
        return result

    def stop(self) -> None:
        """The SIGTERM path: stop polling, flush the writer, close transports and the web server."""
        from appliance import sdnotify

        sdnotify.notify_stopping()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.alerts.stop()
        if self.mqtt is not None:
            self.mqtt.stop()  # after the pollers: `offline` is the last thing the broker hears
        if self.web_server is not None:
            self.web_server.close()
        if self.discovery is not None:
            self.discovery.stop()
        self.writer.stop()
        self.pool.close_all()
        live_readings.install(None)
        if self._run_started is not None:
            from appliance.alerts import restart

            restart.end(self.settings.data_dir, self.clock.ms(), self._run_started)
        self._stopped.set()

    def handle_signals(self) -> threading.Event:
        """From now on SIGTERM and SIGINT ask for a clean stop (call it before `start`: a stop asked for while
        starting is then kept, not a death without saying `offline`)."""
        if self._stop_asked is None:
            self._stop_asked = threading.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: self._stop_asked.set() if self._stop_asked else None)
        return self._stop_asked

    def run_forever(self, on_tick: Callable[[], None] | None = None, tick_s: float = 10.0) -> None:
        """Block until SIGTERM or SIGINT, then stop cleanly."""
        stop = self.handle_signals()
        while not stop.wait(tick_s):
            if on_tick is not None:
                on_tick()
        log.info("stopping")
        self.stop()
