"""systemd/appliance-setup-code.sh shows the setup code the service logged, or clears a stale one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "systemd" / "appliance-setup-code.sh"


def _fake_bin(tmp_path: Path, journal: str) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fakes = {
        "systemctl": 'case "$*" in *InvocationID*) echo inv-42;; *is-active*) exit 0;; esac',
        "journalctl": f'[ "$*" = "-o cat --no-pager _SYSTEMD_INVOCATION_ID=inv-42" ] || exit 1\nprintf "%s" "{journal}"',
        "hostname": "echo 127.0.0.1",
        "agetty": f'echo "$*" > "{tmp_path}/agetty-called"',
    }
    for name, body in fakes.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return bin_dir


def _run(tmp_path: Path, journal: str) -> tuple[subprocess.CompletedProcess, Path]:
    issue = tmp_path / "issue.d" / "appliance.issue"
    env = {**os.environ, "PATH": f"{_fake_bin(tmp_path, journal)}:{os.environ['PATH']}",
           "APPLIANCE_ISSUE_FILE": str(issue), "APPLIANCE_SETUP_CODE_WAIT_S": "2"}
    return subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=30), issue


def test_the_logged_setup_code_goes_to_the_console_and_the_login_prompt(tmp_path):
    result, issue = _run(tmp_path, "starting\\nsetup code: 482-913 (enter it in the web UI)\\nready\\n")
    assert result.returncode == 0, result.stderr
    assert "setup code: 482-913" in result.stdout and ".local/" in result.stdout
    assert "setup code: 482-913" in issue.read_text() and "http://127.0.0.1/" in issue.read_text()
    assert (tmp_path / "agetty-called").read_text().strip() == "--reload"


def test_without_a_setup_code_a_stale_one_is_removed(tmp_path):
    issue = tmp_path / "issue.d" / "appliance.issue"
    issue.parent.mkdir()
    issue.write_text("Appliance setup code: old\n")
    result, _ = _run(tmp_path, "ready\\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and not issue.exists()
