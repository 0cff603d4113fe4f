"""The project's own promises: CI runs the README's test command; install.sh fails clearly."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_test_command() -> str:
    text = (ROOT / "README.md").read_text()
    commands = re.findall(r"```\n([^\n]*pytest[^\n]*)\n```", text)
    assert len(commands) == 1, "the README must show exactly one test command"
    return commands[0]


def test_ci_runs_the_readme_test_command_verbatim():
    script = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
              if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    assert script == [_readme_test_command()]


def test_scripts_are_executable():
    for path in (ROOT / "install.sh", ROOT / ".ci" / "run"):
        assert path.stat().st_mode & stat.S_IXUSR, path


def _install(tmp_path: Path, python: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": python}
    return subprocess.run(["bash", str(ROOT / "install.sh"), "--dev"], capture_output=True, text=True, env=env,
                          timeout=60, cwd=tmp_path)


def test_install_says_clearly_when_python_is_missing(tmp_path):
    result = _install(tmp_path, str(tmp_path / "no-such-python3"))
    assert result.returncode != 0 and "python3 is missing" in result.stderr


def test_install_says_clearly_when_python_is_too_old(tmp_path):
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\ncase \"$*\" in *platform*) echo 3.9.2;; *) exit 1;; esac\n")
    fake.chmod(0o755)
    result = _install(tmp_path, str(fake))
    assert result.returncode != 0
    assert "python3 is too old: 3.9.2 found, 3.11 or newer needed" in result.stderr


def test_install_refuses_unknown_options(tmp_path):
    result = subprocess.run(["bash", str(ROOT / "install.sh"), "--bogus"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "usage" in result.stderr


def test_a_second_install_changes_nothing():
    stamp = ROOT / ".venv" / ".appliance-installed"
    if not stamp.exists():
        import pytest

        pytest.skip("this checkout's .venv was not made by install.sh --dev")
    before = {p: p.stat().st_mtime_ns for p in (stamp, ROOT / ".venv" / "bin" / "python")}
    result = subprocess.run(["bash", str(ROOT / "install.sh"), "--dev"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert ".venv is up to date" in result.stdout
    assert {p: p.stat().st_mtime_ns for p in before} == before
