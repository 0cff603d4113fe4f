"""Blueprint: devices register, send heartbeats, and are listed with their status."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from appliance.headend import bodies
from appliance.headend.context import current_store
from appliance.headend.jsonio import read_body

blueprint = Blueprint("registration", __name__)


@blueprint.post("/devices/register")
def register() -> tuple[Response, int]:
    """201 with the new device; 409 naming the existing id for a known hardware_id."""
    return jsonify(current_store().register(bodies.registration(read_body()))), 201


@blueprint.post("/devices/heartbeat")
def heartbeat() -> Response:
    """Last seen, heartbeat count and backlog of a registered device; 404 when unknown."""
    return jsonify(current_store().heartbeat(bodies.heartbeat(read_body())))


@blueprint.get("/devices")
def devices() -> Response:
    """Every registered device with its status (offline after 5 minutes without a heartbeat)."""
    return jsonify(current_store().devices())
