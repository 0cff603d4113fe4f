"""The real `appliance` console script as a subprocess on a data directory, and a size-limited disk for it."""

from __future__ import annotations

import hashlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

APPLIANCE = str(Path(sys.executable).with_name("appliance"))
PASSWORD = "owner's long password"


@dataclass
class Box:
    """One appliance's data directory, database and config.yaml, as systemd would point at them."""

    data_dir: Path
    config: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def db(self) -> Path:
        """The database file."""
        return self.data_dir / "appliance.db"

    def env(self) -> dict[str, str]:
        """The service's environment; samples are committed every second, so a test sees them at once."""
        return {**os.environ, "APPLIANCE_DATA_DIR": str(self.data_dir), "APPLIANCE_CONFIG": str(self.config),
                "PYTHONUNBUFFERED": "1", "APPLIANCE_FLUSH_INTERVAL_S": "1", **self.extra_env}

    def cli(self, *args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run one `appliance` command to its end."""
        return subprocess.run([APPLIANCE, *args], env=self.env(), input=stdin, capture_output=True, text=True,
                              timeout=timeout)

    def start(self) -> "Running":
        """Start `appliance run` on a free loopback port."""
        proc = subprocess.Popen([APPLIANCE, "run", "--host", "127.0.0.1", "--port", "0"], env=self.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return Running(proc)

    def run_to_exit(self, timeout: float = 90) -> tuple[int, str, str]:
        """Start `appliance run` and wait for it to exit on its own (a start-up that must fail)."""
        proc = self.start()
        try:
            code = proc.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.stop()
            pytest.fail(f"appliance run did not exit; output: {proc.output()}")
        return code, proc.output(), proc.errors()

    def files(self) -> dict[str, str]:
        """Every file of the data directory (snapshots too) with the sha256 of its bytes.

        SQLite's shared-memory index (-shm) and an empty write-ahead log are left out: opening a database
        makes them, and they hold nothing of it.
        """
        out = {}
        for path in sorted(self.data_dir.rglob("*")):
            if path.name.endswith("-shm") or (path.name.endswith("-wal") and path.stat().st_size == 0):
                continue
            if path.is_file() and path.name != FILLER:
                out[str(path.relative_to(self.data_dir))] = hashlib.sha256(path.read_bytes()).hexdigest()
        return out


class Running:
    """A started `appliance run`: its output lines, its UI URL, and a SIGTERM stop."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self._lines: queue.Queue[str] = queue.Queue()
        self._out: list[str] = []
        self._err: list[str] = []
        threading.Thread(target=self._pump, args=(proc.stdout, self._out, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(proc.stderr, self._err, False), daemon=True).start()
        self.url: str | None = None

    def _pump(self, stream: Any, into: list[str], feed: bool) -> None:
        for line in stream:
            into.append(line)
            if feed:
                self._lines.put(line)

    def output(self) -> str:
        """What the process printed to stdout so far."""
        return "".join(self._out)

    def errors(self) -> str:
        """What the process printed to stderr so far."""
        time.sleep(0.2)  # the pump thread may still hold the last line
        return "".join(self._err)

    def wait_running(self, timeout: float = 90) -> str:
        """Wait for "appliance running; UI at ..."; return the UI's base URL."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    pytest.fail(f"appliance run exited with {self.proc.returncode}: {self.errors()}")
                continue
            found = re.search(r"UI at (http://\S+?)/?$", line.strip())
            if found:
                self.url = found.group(1).rstrip("/")
                # The line comes just before the process installs its SIGTERM handler: one answered
                # request later it has, so a stop right after this is the clean stop systemd makes.
                self.get("/health")
                return self.url
        self.stop()
        pytest.fail(f"appliance run did not come up; stderr: {self.errors()}")

    def stop(self) -> int:
        """SIGTERM, as systemd stops the service; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return int(self.proc.returncode)

    def get(self, path: str, session: requests.Session | None = None, **kw: Any) -> requests.Response:
        """GET a path of the running UI."""
        return (session or requests).get(f"{self.url}{path}", timeout=30, allow_redirects=False, **kw)

    def log_in(self, password: str = PASSWORD) -> requests.Session:
        """A session logged in through the login form."""
        session = requests.Session()
        page = self.get("/login", session)
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert csrf, page.text[:500]
        answer = session.post(f"{self.url}/login", data={"csrf_token": csrf.group(1), "password": password},
                              timeout=30, allow_redirects=False)
        assert answer.status_code == 303, answer.text[:500]
        return session


FILLER = "filler.bin"


class SmallDisk:
    """A size-limited tmpfs mounted for the test (needs root or CAP_SYS_ADMIN); fill() makes it full."""

    def __init__(self, where: Path, size_mb: int = 24) -> None:
        self.where, self.size_mb = where, size_mb
        self.mounted = False

    def mount(self) -> bool:
        """Mount it; False when this machine does not let the test mount a filesystem."""
        self.where.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size_mb}m,mode=0700", "tmpfs",
                                 str(self.where)], capture_output=True, text=True)
        self.mounted = result.returncode == 0
        return self.mounted

    def fill(self, leave: int = 0) -> None:
        """Write a filler file until the disk is full, then give `leave` bytes back."""
        fd = os.open(self.where / FILLER, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 65536)
        except OSError:
            pass
        try:
            while True:
                os.write(fd, b"\0" * 512)
        except OSError:
            pass
        finally:
            os.close(fd)
        if leave:
            filler = self.where / FILLER
            os.truncate(filler, max(0, filler.stat().st_size - leave))

    def free(self) -> None:
        """Remove the filler: space is back."""
        (self.where / FILLER).unlink(missing_ok=True)

    def read_only(self, on: bool) -> None:
        """Remount read-only (on) or read-write."""
        subprocess.run(["mount", "-o", f"remount,{'ro' if on else 'rw'}", str(self.where)], check=True)

    def unmount(self) -> None:
        """Unmount (lazily: a stuck process must not keep the test from ending)."""
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.where)], capture_output=True)
            self.mounted = False


def limit_pages_env(folder: Path) -> dict[str, str]:
    """Environment for SQLite's max_page_count stand-in of a full disk: no connection may grow its file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        "import sqlite3\n"
        "_connect = sqlite3.connect\n"
        "def _limited(*args, **kwargs):\n"
        "    conn = _connect(*args, **kwargs)\n"
        "    try:\n"
        "        pages = conn.execute('PRAGMA page_count').fetchone()[0]\n"
        "        conn.execute(f'PRAGMA max_page_count = {max(pages, 1)}').fetchall()\n"
        "    except sqlite3.Error:\n"
        "        pass\n"
        "    return conn\n"
        "sqlite3.connect = _limited\n")
    return {"PYTHONPATH": str(folder)}
