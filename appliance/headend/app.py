"""The reference headend's app factory: its store, its JSON rules, its token, and one blueprint per area."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from flask import Flask

from appliance import clock
from appliance.headend import commands, fleet, ingest, jsonio, registration, security
from appliance.headend.context import STORE_KEY
from appliance.headend.store import HeadendStore

BLUEPRINTS = (registration.blueprint, ingest.blueprint, fleet.blueprint, commands.blueprint)


def create_app(db_path: str | Path, *, token: str | None = None,
               now_ms: Callable[[], int] = clock.now_ms) -> Flask:
    """The headend app on its own database; with `token`, every request needs that bearer token."""
    app = Flask(__name__)
    jsonio.install(app)
    security.require_token(app, token)
    app.extensions[STORE_KEY] = HeadendStore(db_path, now_ms=now_ms)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app
