"""Where a headend app keeps its store: one HeadendStore per app, reached from a request or from the app."""

from __future__ import annotations

from flask import Flask, current_app

from appliance.headend.store import HeadendStore

#: The key in app.extensions.
STORE_KEY = "headend_store"


def store_of(app: Flask) -> HeadendStore:
    """The store of a headend app (tests and tools read and close it)."""
    store = app.extensions[STORE_KEY]
    if not isinstance(store, HeadendStore):
        raise TypeError(f"{app.name} is not a headend app")
    return store


def current_store() -> HeadendStore:
    """The store of the app serving this request."""
    return store_of(current_app)
