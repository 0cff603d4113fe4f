"""A small reference headend: registrations, heartbeats, idempotent ingest, assets, telemetry, dispatch, pull.

It is the other side of appliance/sync/push.py, for tests, benchmarks and a first deployment.
Serve it with `appliance headend --db FILE --port PORT` (waitress on 127.0.0.1 by default).
"""

from __future__ import annotations

import gzip
import hmac
import ipaddress
import json
import math
import threading
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests
from flask import Flask, Response, current_app, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from appliance import validation
from appliance.errors import ApplianceError, ConflictError, NotFoundError, ValidationError
from appliance.sync.headend_store import HeadendStore

MAX_BODY = 32 * 1024 * 1024  # also the bound on a gzip body once inflated
STALE_MS = 5 * 60 * 1000
CONNECTED_MS = 90 * 1000  # three missed 30 s heartbeats
ASSET_KINDS = ("inverter", "battery_pack", "meter", "bess")
_STATUS = {ValidationError: 400, NotFoundError: 404, ConflictError: 409}


def _body() -> dict[str, Any]:
    data = request.get_data(cache=False)
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(data, MAX_BODY)
        except zlib.error as exc:
            raise ValidationError("the body is not valid gzip", field=None) from exc
        if inflater.unconsumed_tail:
            raise ValidationError("the body is too large once inflated", field=None)
    try:
        body = validation.loads(data)  # NaN, Infinity, lone surrogates, deep nesting: ValidationError (400)
    except ValueError as exc:
        raise ValidationError("the body is not valid JSON", field=None) from exc
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", field=None)
    return body


def _store() -> HeadendStore:
    return current_app.extensions["headend_store"]


def _iso(ms: int | None) -> str | None:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat().replace("+00:00", "Z") if ms else None


def _assets() -> list[dict[str, Any]]:
    return [r for r in _store().catalog("device_registry") if r.get("kind") in ASSET_KINDS]


def _appliance_of_asset(asset_id: str) -> tuple[str, dict[str, Any] | None]:
    for asset in _assets():
        if asset_id in (asset.get("device_id"), asset.get("catalog_id")):
            return asset["appliance_id"], asset
    raise NotFoundError(f"no asset {asset_id!r} at any appliance", field="asset_id")


def _appliance_of_system(system_id: str) -> str:
    for system in _store().catalog("systems"):
        if system.get("system_id") == system_id:
            return str(system["appliance_id"])
    raise NotFoundError(f"no system {system_id!r} at any appliance", field="system_id")


class _StandardJSON(DefaultJSONProvider):
    """Flask's JSON output with allow_nan=False: a headend answers only JSON any parser reads."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialise like Flask, refusing NaN and Infinity."""
        kwargs.setdefault("default", self.default)
        return json.dumps(obj, allow_nan=False, **kwargs)


def create_app(db_path: str | Path, *, token: str | None = None) -> Flask:
    """The headend app on its own database; with `token`, every request needs that bearer token."""
    app = Flask(__name__)
    app.json = _StandardJSON(app)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.extensions["headend_store"] = HeadendStore(db_path)

    @app.before_request
    def _auth() -> Response | None:
        if token is None:
            return None
        given = request.headers.get("Authorization", "").partition(" ")[2].strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return _error(401, "unauthorized", "a valid bearer token is required")
        return None

    @app.errorhandler(ApplianceError)
    def _service_error(exc: ApplianceError) -> Response:
        status = next((s for kind, s in _STATUS.items() if isinstance(exc, kind)), 500)
        body = {"error": exc.to_dict()}
        if hasattr(exc, "existing_id"):
            body["id"] = exc.existing_id
        return Response(json.dumps(body, allow_nan=False), status=status, mimetype="application/json")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        return _error(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or "")

    @app.post("/devices/register")
    def register() -> Any:
        return jsonify(_store().register(_body())), 201

    @app.post("/devices/heartbeat")
    def heartbeat() -> Any:
        body = _body()
        return jsonify(_store().heartbeat(body.get("device_id"), body.get("backlog")))

    @app.get("/devices")
    def devices() -> Any:
        return jsonify(_store().devices())

    @app.post("/ingest")
    def ingest() -> Any:
        body = _body()
        return jsonify(_store().ingest(body.get("appliance_id"), body.get("cursor_from"), body.get("cursor_to"),
                                       body.get("rows"), save_cursor=True))

    @app.get("/assets")
    def assets() -> Any:
        return jsonify(_assets())

    @app.get("/agents")
    def agents() -> Any:
        seen = {d.get("appliance_id"): d for d in _store().devices()}
        systems = {s.get("system_id"): s.get("name") for s in _store().catalog("systems")}
        now, out = int(time.time() * 1000), []
        for asset in sorted(_assets(), key=lambda a: (a["appliance_id"], a.get("device_id") or "")):
            appliance = seen.get(asset["appliance_id"]) or {}
            latest = _store().latest_sample(str(asset.get("catalog_id") or asset.get("device_id")))
            out.append({"asset_id": asset.get("device_id"), "asset_name": asset.get("name"),
                        "site_id": asset.get("system_id"), "site_name": systems.get(asset.get("system_id")),
                        "appliance_id": asset["appliance_id"], "peer": appliance.get("ip_address"),
                        "connected": bool(appliance.get("last_seen") and now - appliance["last_seen"] < CONNECTED_MS),
                        "health_status": asset.get("health_status"),
                        "last_seen": _iso(latest["ts"] if latest else None)})
        return jsonify(out)

    @app.get("/telemetry/<asset_id>")
    def telemetry(asset_id: str) -> Any:
        appliance_id, asset = _appliance_of_asset(asset_id)
        latest = _store().latest_sample(str((asset or {}).get("catalog_id") or asset_id))
        if latest is None:
            raise NotFoundError(f"no telemetry for {asset_id!r} yet", field="asset_id")
        row = dict(latest["row"])
        details = row.pop("details", None)
        if isinstance(details, str):
            try:
                details = json.loads(details)
            except ValueError:
                details = {"raw": details}  # not JSON: shown as it came rather than dropped
        return jsonify({"asset_id": asset_id, "appliance_id": appliance_id, "table": latest["tbl"],
                        "timestamp": _iso(latest["ts"]), "stale": time.time() * 1000 - latest["ts"] > STALE_MS,
                        **row, "details": details or {}})

    @app.post("/dispatch")
    def dispatch() -> Any:
        body = _body()
        units = [k for k in ("kw", "mw") if body.get(k) is not None]
        if len(units) != 1 or isinstance(body[units[0]], bool) or not isinstance(body[units[0]], (int, float)) \
                or not math.isfinite(body[units[0]]):
            raise ValidationError("give exactly one of kw or mw, a finite number", field="mw")
        appliance_id = body.pop("appliance_id", None)
        if appliance_id is None:
            # asset_id wins: a command that names an asset goes to that asset's appliance only.
            if isinstance(body.get("asset_id"), str):
                appliance_id = _appliance_of_asset(body["asset_id"])[0]
            elif isinstance(body.get("system_id") or body.get("site_id"), str):
                appliance_id = _appliance_of_system(str(body.get("system_id") or body.get("site_id")))
            else:
                raise ValidationError("name an asset_id or a system_id (site_id)", field="asset_id")
        if not isinstance(appliance_id, str):
            raise ValidationError("appliance_id must be a string", field="appliance_id")
        return jsonify(_store().queue_command(appliance_id, body)), 202

    @app.get("/commands")
    def commands() -> Any:
        appliance_id = request.args.get("appliance_id")
        if not appliance_id:
            raise ValidationError("appliance_id is required", field="appliance_id")
        return jsonify({"commands": _store().pending_commands(appliance_id)})

    @app.get("/commands/<command_id>")
    def command(command_id: str) -> Any:
        return jsonify(_store().command(command_id))

    @app.post("/commands/<command_id>/ack")
    def ack(command_id: str) -> Any:
        return jsonify(_store().ack(command_id, _body()))

    return app


def _error(status: int, code: str, message: str) -> Response:
    return Response(json.dumps({"error": {"code": code, "message": message, "field": None}}, allow_nan=False),
                    status=status, mimetype="application/json")


def pull(appliance_url: str, token: str, *, store: HeadendStore, appliance_id: str, limit: int = 1000,
         use_gzip: bool = True, session: requests.Session | None = None, max_pages: int | None = None,
         timeout_s: float = 30.0) -> dict[str, int]:
    """Follow an appliance's sync feed from the stored cursor until caught up; return rows, pages, wire bytes."""
    session = session or requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip" if use_gzip else "identity"}
    totals = {"rows": 0, "pages": 0, "bytes": 0, "resets": 0}
    while max_pages is None or totals["pages"] < max_pages:
        cursor = store.cursor(appliance_id) or ""
        try:
            params: dict[str, str | int] = {"cursor": cursor, "limit": limit}
            response = session.get(f"{appliance_url.rstrip('/')}/api/sync/feed", params=params, headers=headers,
                                   timeout=timeout_s, stream=True)
            raw = response.raw.read(decode_content=False)
        except requests.RequestException as exc:
            raise ApplianceError(f"pull from {appliance_url} failed: {exc}") from exc
        totals["bytes"] += len(raw)
        data = gzip.decompress(raw) if response.headers.get("Content-Encoding") == "gzip" else raw
        try:
            body = json.loads(data)
        except ValueError as exc:
            raise ApplianceError(f"{appliance_url} answered the feed with something that is not JSON") from exc
        if response.status_code == 410 and isinstance(body.get("oldest_cursor"), str):
            store.set_cursor(appliance_id, body["oldest_cursor"])  # changes were lost to retention: go on
            totals["resets"] += 1
            continue
        if response.status_code != 200:
            raise ApplianceError(f"{appliance_url} answered the feed with {response.status_code}: {body}")
        store.ingest(appliance_id, body["cursor_from"], body["cursor"], body["rows"], save_cursor=True)
        totals["rows"] += len(body["rows"])
        totals["pages"] += 1
        if not body["has_more"]:
            break
    return totals


class HeadendServer:
    """The headend app served by waitress in a thread (tests, benchmarks); `port=0` picks a free port."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, threads: int = 4) -> None:
        from waitress.server import create_server

        self.server = create_server(app, host=host, port=port, threads=threads)
        self.host, self.port = host, int(self.server.effective_port)
        self._thread = threading.Thread(target=self.server.run, name="headend", daemon=True)

    @property
    def url(self) -> str:
        """The base URL of the running headend."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> "HeadendServer":
        """Start serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: close the listener and every open connection, as a stopped process would."""
        from waitress import wasyncore

        # Closed from inside the server's loop thread (its select() must not see a closed socket), and the
        # keep-alive connections too, or pooled client connections would still be served.
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        self._thread.join(5)
        self.server.task_dispatcher.shutdown(timeout=1)


def check_exposure(host: str, token: str | None) -> str | None:
    """Refuse to serve beyond loopback without a token; return the warning to print when there is none."""
    if token:
        return None
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValidationError(f"without a token anyone who reaches {host} could dispatch setpoints to the homes: "
                              "set APPLIANCE_HEADEND_TOKEN, or listen on 127.0.0.1", field="host")
    return ("WARNING: the reference headend runs without a token: every program on this machine may register, "
            "ingest and dispatch setpoints; set APPLIANCE_HEADEND_TOKEN before anyone else can reach it")


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8080, token: str | None = None) -> None:
    """Serve the reference headend with waitress until interrupted (no token: loopback only, with a warning)."""
    from waitress import serve as waitress_serve

    check_exposure(host, token)  # the command printed the warning; other callers are refused the same way
    waitress_serve(create_app(db_path, token=token), host=host, port=port, threads=8)
