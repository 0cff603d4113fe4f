"""The discovery inbox: devices found on USB, Bluetooth and TCP, to approve, reject or ignore; scan now."""

from __future__ import annotations

from typing import Any, Callable

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from appliance.discovery import inbox
from appliance.errors import ApplianceError
from appliance.web import running
from appliance.web.htmx import hx_redirect, is_htmx

bp = Blueprint("discovery", __name__)


def _inbox_context() -> dict[str, object]:
    service = running.present("DISCOVERY")  # None: scans do not run in this process (the list still shows)
    return {"items": inbox.list_inbox(), "scan": service.status() if service is not None else None}


@bp.get("/discovery")
def discovery() -> ResponseReturnValue:
    """Discovery inbox: devices found on USB, BLE and TCP to approve, reject or ignore; scan now."""
    return render_template("discovery.html", **_inbox_context())


@bp.get("/discovery/list")
def discovery_list() -> ResponseReturnValue:
    """The inbox fragment with scan progress (polled while a scan runs)."""
    return render_template("_discovery_list.html", **_inbox_context())


def _inbox_action(action: Callable[..., Any], *args: Any) -> ResponseReturnValue:
    error = None
    try:
        action(*args)
    except ApplianceError as exc:
        error = exc.message
    if is_htmx():
        return render_template("_discovery_list.html", action_error=error, **_inbox_context()), 400 if error else 200
    if error:
        return render_template("discovery.html", action_error=error, **_inbox_context()), 400
    return hx_redirect(url_for("discovery.discovery"))


@bp.post("/discovery/<discovery_id>/approve")
def discovery_approve(discovery_id: str) -> ResponseReturnValue:
    """Approve a discovered device."""
    return _inbox_action(inbox.approve, discovery_id)


@bp.post("/discovery/<discovery_id>/reject")
def discovery_reject(discovery_id: str) -> ResponseReturnValue:
    """Reject a discovered device."""
    return _inbox_action(inbox.reject, discovery_id)


@bp.post("/discovery/ignore-port")
def discovery_ignore_port() -> ResponseReturnValue:
    """Mark a port "ignore": discovery never probes it again."""
    return _inbox_action(inbox.ignore_port, request.form.get("port", ""))


@bp.post("/discovery/scan")
def discovery_scan() -> ResponseReturnValue:
    """Start a scan now; the inbox then shows its progress."""
    return _inbox_action(lambda: running.discovery().scan_now())
