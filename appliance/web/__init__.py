"""The local web UI and REST API: `create_app` builds the Flask app; nothing happens at import time."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Mapping

from flask import Flask, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from peewee import DatabaseError as PeeweeDatabaseError
from werkzeug.exceptions import HTTPException

from appliance.errors import ApplianceError
from appliance.web.jsonio import StrictJSONProvider
from appliance.web.statuses import error_status

def _static_dir() -> Path:
    """The checkout's static/ (development), else the copy a non-editable install puts under share/."""
    checkout = Path(__file__).resolve().parents[2] / "static"
    return checkout if checkout.is_dir() else Path(sys.prefix) / "share" / "appliance" / "static"


STATIC_DIR = _static_dir()
DEFAULTS: dict[str, object] = {
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # config.yaml uploads included; a bigger body is a mistake or an attack
    "IDLE_TIMEOUT_S": 30 * 60,
    "LOGIN_FAILURES_PER_MINUTE": 5,  # per client address and per account; then the slow lane
    "LOGIN_SLOW_DELAY_S": 2.0,  # the slow lane's wait: at most one guess per 2 s in all once over the limit
    "DASHBOARD_REFRESH_S": 5,
    "HEALTH_CHECKS": {},
    # The running process's services (runtime.py passes them; web/running.py reads them); without one, its
    # pages and API answer 503: the web never builds a service of its own.
    "ALERTS": None,  # AlertsService
    "DISPATCHER": None,  # control.delivery.Dispatcher on the pollers' LinkPool
    "DISCOVERY": None,  # discovery.inbox.DiscoveryService
    "STORAGE": None,  # energy.storage.StorageWatch
    "SYNC_BACKLOG": None,  # the running headend link's backlog, its last error and backoff included
    "FRESHEN": None,  # the sample writer's freshen(): flush what waits when someone looks (runtime sets it)
    "MQTT_STATUS": None,  # the running MQTT service's status (runtime sets it); None: not running here
    "SESSION_COOKIE_NAME": "appliance_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Strict",
    "SESSION_COOKIE_SECURE": False,  # the LAN UI is plain http; set True behind TLS
}
def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Build the app on the open database (or on `db_path` from `config`, for tests and tools)."""
    config = dict(config or {})
    app = Flask(__name__, static_folder=str(config.pop("STATIC_DIR", STATIC_DIR)), static_url_path="/static")
    app.json = StrictJSONProvider(app)
    app.config.update(DEFAULTS)
    db_path = config.pop("db_path", None)
    app.config.update(config)
    if db_path is not None:
        from appliance.catalog.adapters import sync_adapter_types
        from appliance.store.db import open_database

        open_database(db_path if isinstance(db_path, Path) else str(db_path))
        sync_adapter_types()
    from appliance.accounts.app_settings import secret_key

    app.config.setdefault("SECRET_KEY", None)
    app.secret_key = app.config["SECRET_KEY"] or secret_key()
    app.jinja_env.autoescape = True  # every template, whatever its file name
    from appliance.web import (
        alerts_pages, api, api_alerts, api_data, auth, config_pages, control_pages, dashboard, devices_pages,
        discovery_pages, energy_pages, htmx, security, settings_home, settings_mqtt, settings_pages, status_pages,
    )
    from appliance.web.templating import init_templates

    security.init_app(app)
    htmx.init_app(app)
    init_templates(app)
    assert settings_home.bp is settings_pages.bp is settings_mqtt.bp  # their routes are on the settings blueprint
    # Pages by area, then the JSON API.
    for module in (auth, dashboard, energy_pages, devices_pages, control_pages, status_pages, alerts_pages,
                   discovery_pages, config_pages, settings_pages, api, api_data, api_alerts):
        app.register_blueprint(module.bp)
    from appliance.web import api_control, api_fleet, api_market, api_storage, api_sync

    api_fleet.register_blueprint(app)
    api_control.register_blueprint(app)
    api_market.register_blueprint(app)
    api_storage.register_blueprint(app)
    api_sync.register_blueprint(app)
    _errors(app)
    app.before_request(_freshen)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)
    return app


#: Requests that are not someone looking at the UI (assets, probes): they do not make the writer flush.
QUIET_PATHS = ("/static/", "/health", "/favicon.ico")


def _favicon() -> ResponseReturnValue:
    """Tools and browsers that ask for /favicon.ico get the app's icon, without a login and without a 404."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


def _freshen() -> None:
    """Someone looks: let the writer commit what waits, so pages read recent samples (acquisition/writer.py)."""
    from appliance.web import running

    freshen = running.present("FRESHEN")
    if freshen is not None and request.method == "GET" and not request.path.startswith(QUIET_PATHS):
        freshen()


def _errors(app: Flask) -> None:
    from appliance.web.security import error

    @app.errorhandler(ApplianceError)
    def _service_error(exc: ApplianceError) -> ResponseReturnValue:
        status = error_status(exc)
        if request.path.startswith("/api/") or request.path == "/health":
            return Response(json.dumps({"error": exc.to_dict()}, allow_nan=False), status=status,
                            mimetype="application/json")
        return render_template("error.html", message=exc.message, status=status), status

    @app.errorhandler(sqlite3.Error)
    @app.errorhandler(PeeweeDatabaseError)
    def _database_error(exc: Exception) -> ResponseReturnValue:
        # A full disk or a read-only file while running: say so (503, try later), not a bare 500.
        from appliance.store.db import database_path, unusable

        failure = unusable(database_path(), exc)
        app.logger.error("%s (%s %s)", failure.message, request.method, request.path)
        return _service_error(failure)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        if request.path.startswith("/api/") or request.path == "/health":
            return error(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or "")
        return render_template("error.html", message=exc.description, status=exc.code), exc.code or 500
