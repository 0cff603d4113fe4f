"""Serving the reference headend: waitress in the foreground (the command) or in a thread (tests, demo, benchmarks)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask

from appliance.headend.app import create_app
from appliance.headend.context import store_of
from appliance.headend.security import check_exposure
from appliance.headend.store import HeadendStore

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


class HeadendServer:
    """A WSGI app served by waitress in a thread (the headend, or an appliance's web app); `port=0` picks a port."""

    def __init__(self, app: WSGIApplication, host: str = "127.0.0.1", port: int = 0, threads: int = 4) -> None:
        from waitress.server import create_server

        self.server = create_server(app, host=host, port=port, threads=threads)
        self.host, self.port = host, int(self.server.effective_port)
        self._thread = threading.Thread(target=self.server.run, name="headend", daemon=True)

    @property
    def url(self) -> str:
        """The base URL of the running server."""
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


class LocalHeadend:
    """The reference headend on 127.0.0.1 in this process, stopped and started again on the same port."""

    def __init__(self, db_path: str | Path, *, token: str | None = None) -> None:
        self.app: Flask = create_app(db_path, token=token)
        self.server = HeadendServer(self.app).start()
        self.port, self.url = self.server.port, self.server.url
        self.running = True

    @property
    def store(self) -> HeadendStore:
        """The headend's database."""
        return store_of(self.app)

    def stop(self) -> None:
        """Stop serving (the port closes; a client sees the headend gone)."""
        if self.running:
            self.server.stop()
            self.running = False

    def start(self) -> None:
        """Serve again on the same port."""
        if not self.running:
            self.server = HeadendServer(self.app, port=self.port).start()
            self.running = True

    def close(self) -> None:
        """Stop and close its database."""
        self.stop()
        self.store.close()


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8080, token: str | None = None) -> None:
    """Serve the reference headend with waitress until interrupted (no token: loopback only, with a warning)."""
    from waitress import serve as waitress_serve

    check_exposure(host, token)  # the command printed the warning; other callers are refused the same way
    waitress_serve(create_app(db_path, token=token), host=host, port=port, threads=8)
