"""The headend pulling: follow an appliance's GET /api/sync/feed with a sync token, storing each page once."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import requests

from appliance.errors import ApplianceError, ValidationError
from appliance.headend import bodies
from appliance.headend.records import PullTotals
from appliance.headend.store import HeadendStore


def pull(appliance_url: str, token: str, *, store: HeadendStore, appliance_id: str, limit: int = 1000,
         use_gzip: bool = True, session: requests.Session | None = None, max_pages: int | None = None,
         timeout_s: float = 30.0) -> PullTotals:
    """Follow an appliance's sync feed from the stored cursor until caught up; return rows, pages, wire bytes."""
    session = session or requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip" if use_gzip else "identity"}
    totals = PullTotals(rows=0, pages=0, bytes=0, resets=0)
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
        body = _decode(appliance_url, raw, response.headers.get("Content-Encoding") == "gzip")
        oldest = body.get("oldest_cursor")
        if response.status_code == 410 and isinstance(oldest, str):
            store.set_cursor(appliance_id, oldest)  # changes were lost to retention: go on
            totals["resets"] += 1
            continue
        if response.status_code != 200:
            raise ApplianceError(f"{appliance_url} answered the feed with {response.status_code}: {body}")
        try:
            page = bodies.feed_page({"appliance_id": appliance_id, "cursor_from": body.get("cursor_from"),
                                     "cursor_to": body.get("cursor"), "rows": body.get("rows")})
        except ValidationError as exc:
            raise ApplianceError(f"{appliance_url} answered the feed with a malformed page: {exc.message}") from exc
        store.ingest(page, save_cursor=True)
        totals["rows"] += len(page.rows)
        totals["pages"] += 1
        if not body.get("has_more"):
            break
    return totals


def _decode(appliance_url: str, raw: bytes, zipped: bool) -> dict[str, Any]:
    try:
        body = json.loads(gzip.decompress(raw) if zipped else raw)
    except (ValueError, OSError, EOFError, zlib.error) as exc:
        raise ApplianceError(f"{appliance_url} answered the feed with something that is not JSON") from exc
    if not isinstance(body, dict):
        raise ApplianceError(f"{appliance_url} answered the feed with JSON that is not an object")
    return body
