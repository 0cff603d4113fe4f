"""Serving the app with waitress: a server object the runtime runs in a thread and stops on SIGTERM."""

from __future__ import annotations

import logging
import threading

from flask import Flask
from waitress.server import create_server

log = logging.getLogger(__name__)


#: waitress settings, chosen for a LAN appliance (docs/deployment.md, "Web server limits"):
#: - connection_limit: waitress stops accepting at this many open connections (default 100, which 120
#:   slow, incomplete requests used up: /health timed out). 500 leaves room for slow or idle clients;
#:   each costs one descriptor and a few KiB, far below the Pi's limits.
#: - channel_timeout: a connection that sends nothing for this long is closed (default 120 s).
#: - cleanup_interval: how often those idle connections are looked for (default 30 s).
#: - asyncore_use_poll: poll() instead of select(), which fails beyond 1024 descriptors.
#: Requests are handled by the thread pool only once complete, so slow clients never hold a thread.
LIMITS = {"connection_limit": 500, "channel_timeout": 30, "cleanup_interval": 10, "asyncore_use_poll": True}


class WebServer:
    """A waitress server with a `run()` for its thread and a `close()` that makes `run()` return."""

    def __init__(self, app: Flask, host: str, port: int, threads: int) -> None:
        # ident hides the server version; no proxy sits in front, so proxy headers are never trusted.
        self._server = create_server(app, host=host, port=port, threads=threads, ident="appliance",
                                     clear_untrusted_proxy_headers=True,
                                     max_request_body_size=int(app.config["MAX_CONTENT_LENGTH"]), **LIMITS)
        self._closed = threading.Event()

    @property
    def port(self) -> int:
        """The TCP port listened on (useful when created with port 0)."""
        return int(self._server.effective_port)

    @property
    def host(self) -> str:
        """The address listened on."""
        return str(self._server.effective_host)

    def run(self) -> None:
        """Serve until `close()`; call it in its own thread."""
        log.info("web UI on http://%s:%d/", self.host, self.port)
        try:
            self._server.run()
        except (OSError, ValueError):
            # Closing the sockets from another thread ends the loop with an error on a dead socket.
            if not self._closed.is_set():
                raise

    def close(self) -> None:
        """Stop accepting, close every channel, end the worker threads."""
        self._closed.set()
        # Closing every dispatcher empties waitress's socket map, which is what ends its loop.
        for dispatcher in list(self._server._map.values()):
            dispatcher.handle_close()
        self._server.task_dispatcher.shutdown()


def serve(app: Flask, host: str = "127.0.0.1", port: int = 8080, threads: int = 4) -> WebServer:
    """A waitress server bound to host:port (port 0 picks a free port); run it in a thread, close it to stop."""
    return WebServer(app, host, port, threads)
