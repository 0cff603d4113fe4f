"""A virtual serial cable: two pseudo-terminals whose bytes cross over, like `socat pty,raw pty,raw`."""

from __future__ import annotations

import os
import select
import threading
import tty


class NullModem:
    """`device_path` is the end a simulated device opens, `path` the end the appliance (or any client) opens."""

    def __init__(self) -> None:
        self.path = self.device_path = ""
        self._fds: list[int] = []
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "NullModem":
        """Open both pty pairs and start carrying bytes between them."""
        device_master, device_slave = os.openpty()
        client_master, client_slave = os.openpty()
        for fd in (device_slave, client_slave):
            tty.setraw(fd)  # no echo, no line editing: the line carries binary frames
        self._fds = [device_master, client_master, device_slave, client_slave]
        self.device_path, self.path = os.ttyname(device_slave), os.ttyname(client_slave)
        self._thread = threading.Thread(target=self._carry, args=(device_master, client_master), daemon=True,
                                        name="null-modem")
        self._thread.start()
        return self

    def _carry(self, one: int, other: int) -> None:
        peer = {one: other, other: one}
        while not self._stopping.is_set():
            try:
                ready, _, _ = select.select([one, other], [], [], 0.05)
                for fd in ready:
                    data = os.read(fd, 4096)
                    if data:
                        os.write(peer[fd], data)
            except OSError:
                # A side hung up for a moment (its port was closed to be reopened): wait for it to come back.
                self._stopping.wait(0.01)

    def stop(self) -> None:
        """Stop carrying bytes and close every pty end."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for fd in self._fds:
            try:
                os.close(fd)
            except OSError:
                pass  # already closed
        self._fds = []
