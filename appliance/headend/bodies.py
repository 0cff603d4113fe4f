"""Request bodies read into the store's records: every field checked, every error naming the field at fault.

Pure functions over decoded JSON (no Flask), so a pulled feed page is checked by the same rules as a pushed one.
"""

from __future__ import annotations

import math
from typing import Any, TypeGuard

from appliance.errors import ValidationError
from appliance.headend.records import Ack, DispatchOrder, FeedPage, FeedRow, Heartbeat, JSONObject, Registration

#: Longest name, type, id or version text a registration may carry.
MAX_TEXT = 200
FEED_OPS = ("upsert", "delete")


def _text(body: JSONObject, name: str, *, required: bool = False, where: str = "") -> str | None:
    value = body.get(name)
    field = f"{where}{name}"
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationError(f"{field} is required (a non-empty string)" if required else f"{field} must be a string",
                              field=field)
    if len(value) > MAX_TEXT:
        raise ValidationError(f"{field} is longer than {MAX_TEXT} characters", field=field)
    return value


def _integer(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def registration(body: JSONObject) -> Registration:
    """POST /devices/register: name, device_type and hardware_id required; metadata an object if given."""
    name, device_type, hardware_id = (_text(body, f, required=True) for f in ("name", "device_type", "hardware_id"))
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ValidationError("metadata must be a JSON object", field="metadata")
    if metadata:
        _text(metadata, "appliance_id", where="metadata.")
    return Registration(name=str(name), device_type=str(device_type), hardware_id=str(hardware_id),
                        firmware_version=_text(body, "firmware_version"), ip_address=_text(body, "ip_address"),
                        location=body.get("location"), metadata=metadata)


#: The longest sample-writer interval an appliance may announce (its own limit, appliance/settings.py).
MAX_FLUSH_INTERVAL_S = 3600.0


def heartbeat(body: JSONObject) -> Heartbeat:
    """POST /devices/heartbeat: the device id the registration gave, and the backlog (changes waiting) if known."""
    device_id = body.get("device_id")
    if not isinstance(device_id, str) or not device_id:
        raise ValidationError("device_id is required", field="device_id")
    backlog = body.get("backlog")
    if backlog is not None and not (_integer(backlog) and backlog >= 0):
        raise ValidationError("backlog must be a whole number of changes, 0 or more", field="backlog")
    interval = body.get("flush_interval_s")
    if interval is not None and (isinstance(interval, bool) or not isinstance(interval, (int, float))
                                 or not 0 < interval <= MAX_FLUSH_INTERVAL_S):
        raise ValidationError(f"flush_interval_s must be a number of seconds above 0 and at most "
                              f"{MAX_FLUSH_INTERVAL_S:g}", field="flush_interval_s")
    return Heartbeat(device_id=device_id, backlog=backlog,
                     flush_interval_s=float(interval) if interval is not None else None)


def feed_page(body: JSONObject) -> FeedPage:
    """A feed page (pushed to /ingest, or pulled, with appliance_id added): cursors and well-formed rows."""
    appliance_id = body.get("appliance_id")
    if not isinstance(appliance_id, str) or not appliance_id:
        raise ValidationError("appliance_id is required", field="appliance_id")
    cursor_from, cursor_to = body.get("cursor_from"), body.get("cursor_to")
    if not isinstance(cursor_from, str):
        raise ValidationError("cursor_from is required (a string, empty for the start of the feed)",
                              field="cursor_from")
    if not isinstance(cursor_to, str) or not cursor_to:
        raise ValidationError("cursor_to is required (a non-empty string)", field="cursor_to")
    rows = body.get("rows")
    if not isinstance(rows, list):
        raise ValidationError("rows must be a list of feed rows", field="rows")
    return FeedPage(appliance_id=appliance_id, cursor_from=cursor_from, cursor_to=cursor_to,
                    rows=tuple([feed_row(item, i) for i, item in enumerate(rows)]))


def feed_row(item: Any, index: int | None = None) -> FeedRow:
    """One feed row: table, seq, key and op required; a sample's key holds its ts in epoch ms."""
    # One call per pushed row: exact type tests (JSON gives no subclasses; a bool is not a seq) and the
    # field's path built only for an error keep the check at a fraction of the row's cost to store.
    if type(item) is not dict:
        raise ValidationError(f"{_at(index)} must be a feed row (an object with table, seq, key and op)",
                              field=_at(index))
    table, seq, key, op = item.get("table"), item.get("seq"), item.get("key"), item.get("op")
    kind, changed_at, row = item.get("kind"), item.get("changed_at"), item.get("row")
    if type(table) is not str or not table:
        raise _wrong(index, "table", "a non-empty string")
    if type(seq) is not int:
        raise _wrong(index, "seq", "a whole number")
    if type(key) is not dict:
        raise _wrong(index, "key", "an object")
    if op not in FEED_OPS:
        raise _wrong(index, "op", "upsert or delete")
    if kind is not None and type(kind) is not str:
        raise _wrong(index, "kind", "a string")
    if changed_at is not None and type(changed_at) is not int:
        raise _wrong(index, "changed_at", "epoch ms (a whole number)")
    if row is not None and type(row) is not dict:
        raise _wrong(index, "row", "an object or null")
    if kind == "sample" and type(key.get("ts")) is not int:
        raise _wrong(index, "key.ts", "the sample's time in epoch ms")
    return FeedRow(table, seq, str(op), key, kind, changed_at, row)


def _at(index: int | None) -> str:
    return "row" if index is None else f"rows[{index}]"


def _wrong(index: int | None, name: str, wanted: str) -> ValidationError:
    return ValidationError(f"{_at(index)}.{name} must be {wanted}", field=f"{_at(index)}.{name}")


def dispatch(body: JSONObject) -> DispatchOrder:
    """POST /dispatch: exactly one of kw or mw, and an asset_id, system_id (site_id) or appliance_id to send it to."""
    units = [k for k in ("kw", "mw") if body.get(k) is not None]
    if len(units) != 1:
        raise ValidationError("give exactly one of kw or mw, a finite number", field="mw")
    value = body[units[0]]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(f"{units[0]} must be a finite number", field=units[0])
    duration = body.get("duration_s")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, (int, float))
                                 or not math.isfinite(duration) or duration <= 0):
        raise ValidationError("duration_s must be a number of seconds above 0", field="duration_s")
    for name in ("appliance_id", "asset_id", "system_id", "site_id"):
        if body.get(name) is not None and (not isinstance(body[name], str) or not body[name]):
            raise ValidationError(f"{name} must be a non-empty string", field=name)
    params = {k: v for k, v in body.items() if k != "appliance_id"}
    appliance_id, asset_id = body.get("appliance_id"), body.get("asset_id")
    system_id = body.get("system_id") or body.get("site_id")
    if appliance_id is None and asset_id is None and system_id is None:
        raise ValidationError("name an asset_id or a system_id (site_id)", field="asset_id")
    return DispatchOrder(params=params, appliance_id=appliance_id, asset_id=asset_id, system_id=system_id)


def ack(body: JSONObject) -> Ack:
    """POST /commands/<id>/ack: the outcome as the appliance reports it, with its status (applied, rejected, ...)
    and the appliance that reports it."""
    status, appliance_id = body.get("status"), body.get("appliance_id")
    if not isinstance(status, str) or not status:
        raise ValidationError("status is required (applied, partial, deferred, rejected or failed)", field="status")
    if not isinstance(appliance_id, str) or not appliance_id:
        raise ValidationError("appliance_id is required: the appliance the command was queued for",
                              field="appliance_id")
    return Ack(appliance_id=appliance_id, status=status, outcome=body)
