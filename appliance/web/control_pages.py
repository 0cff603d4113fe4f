"""The control page of a controllable inverter: its program read from the device, the lease holder and the write
budget; edits are shown as the exact writes first (a dry run) and made only when the owner confirms."""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue

from appliance.control import program
from appliance.control.program import ProgramChange, ProgramView
from appliance.errors import ApplianceError, NotFoundError, ValidationError
from appliance.web import control_form, running
from appliance.web.statuses import error_status
from appliance.web.confirm import Confirmation
from appliance.web.htmx import hx_redirect
from appliance.web.templating import fmt_ts

bp = Blueprint("control", __name__)
SOURCE, HOLDER = "ui", "admin"  # the local UI has one account: its owner
SKIP = {"csrf_token", "confirm"}


def _state(device_id: str) -> ProgramView:
    try:
        return program.describe(device_id, dispatcher=running.dispatcher())
    except NotFoundError:
        abort(404, description=f"device {device_id!r} does not exist")
    except ValidationError:
        abort(404, description="this device has no program the appliance can change")


def _page(state: ProgramView, *, errors: dict[str, str] | None = None, message: str = "", error: str = "",
          status: int = 200) -> ResponseReturnValue:
    scalars, rows = control_form.fields(state["settings"], state["program"] or {})
    submitted = request.form if request.method == "POST" and errors else None
    return render_template("control.html", state=state, scalars=scalars, rows=rows, errors=errors or {},
                           submitted=submitted, message=message, error=error, days=control_form.DAY_LABELS,
                           choice_text=control_form.choice_text, value_text=control_form.value_text,
                           headers=[f.setting["label"] for f in rows[0]] if rows else []), status


def _confirmation(device_id: str, state: ProgramView, preview: ProgramChange) -> Confirmation:
    plan = json.dumps([(w["address"], w["values"], w["before"]) for w in preview["writes"]], allow_nan=False)
    notes = []
    held = preview["lease"]
    if held:
        who = held["source_name"]
        notes.append(f"{who[:1].upper()}{who[1:]} ({held['holder']}) controls this inverter until "
                     f"{fmt_ts(held['expires_at'])}. Writing takes control from it.")
    if state["setpoint"]:
        notes.append("A dispatch is holding the battery at a setpoint now; writing ends it, and your program "
                     "becomes the one the inverter keeps.")
    return Confirmation(action="control-write", subject=device_id, title=f"Write these settings to {state['name']}?",
                        url=url_for("control.control", device_id=device_id),
                        cancel_url=url_for("control.control", device_id=device_id), button="Write to the inverter",
                        note=" ".join(notes), fingerprint=hashlib.sha256(plan.encode()).hexdigest())


@bp.route("/devices/<device_id>/control", methods=["GET", "POST"])
def control(device_id: str) -> ResponseReturnValue:
    """The program read from the device with its lease and budget; a submitted edit is shown as its writes first,
    then written when confirmed."""
    state = _state(device_id)
    if request.method == "GET":
        return _page(state, message="Written and read back." if request.args.get("written") else "")
    if state["program"] is None or state["stale"]:
        return _page(state, error=f"The inverter does not answer: {state['error']}", status=503)
    changes, errors = control_form.changes_from(request.form, state["settings"], state["program"])
    if errors:
        return _page(state, errors=errors, status=400)
    if not changes:
        return _page(state, message="Nothing changed: the inverter already holds these settings.")
    body = {"program": changes}
    try:
        preview = program.change(device_id, {**body, "dry_run": True}, source=SOURCE, holder=HOLDER,
                                 dispatcher=running.dispatcher())
    except ValidationError as exc:
        scalars, rows = control_form.fields(state["settings"], state["program"])
        known = {f.name for f in scalars} | {f.name for row in rows for f in row} | {"slots"}
        name = control_form.error_field(exc.field)
        if name not in known:
            return _page(state, error=exc.message, status=400)
        return _page(state, errors={name: exc.message}, status=400)
    except ApplianceError as exc:
        return _page(state, error=exc.message, status=502)
    confirmation = _confirmation(device_id, state, preview)
    if not confirmation.confirmed():
        stale = bool(request.form.get("confirm"))
        return render_template("control_confirm.html", c=confirmation, token=confirmation.token(), state=state,
                               preview=preview, hidden=[(k, v) for k, v in request.form.items(multi=True)
                                                        if k not in SKIP],
                               changed=control_form.differences(state["settings"], preview["program_before"],
                                                                preview["program"]),
                               lines=control_form.write_lines(preview["writes"]),
                               stale=stale), 409 if stale else 200
    try:
        program.change(device_id, {**body, "takeover": True}, source=SOURCE, holder=HOLDER,
                       dispatcher=running.dispatcher())
    except ApplianceError as exc:
        return _page(_state(device_id), error=exc.message, status=error_status(exc))
    return hx_redirect(url_for("control.control", device_id=device_id, written=1))


@bp.post("/devices/<device_id>/control/release")
def release(device_id: str) -> ResponseReturnValue:
    """Give up the local UI's control of the inverter (its program stays as it is)."""
    _state(device_id)
    try:
        program.release(device_id, source=SOURCE, holder=HOLDER, dispatcher=running.dispatcher())
    except ApplianceError as exc:
        return _page(_state(device_id), error=exc.message, status=error_status(exc))
    return hx_redirect(url_for("control.control", device_id=device_id))
