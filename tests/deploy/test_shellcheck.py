"""Every shell script in the repository passes shellcheck."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".git", ".venv", "node_modules", "build", ".mypy_cache", ".pytest_cache", ".hypothesis"}
# Shell fragments that pi-gen sources: no shebang, no .sh.
SOURCED = ("image/config", "image/stage-appliance/EXPORT_IMAGE")


def _is_shell(path: Path) -> bool:
    if path.suffix == ".sh":
        return True
    try:
        with path.open("rb") as handle:
            first = handle.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and any(s in first for s in (b"/sh", b"bash", b"env sh", b"dash"))


def shell_scripts() -> list[Path]:
    """Every shell script under the repository, by extension or shebang, plus the sourced fragments."""
    found = []
    for path in REPO.rglob("*"):
        if any(part in SKIP_DIRS for part in path.relative_to(REPO).parts) or not path.is_file():
            continue
        if _is_shell(path):
            found.append(path)
    found.extend(REPO / rel for rel in SOURCED)
    return sorted(set(found))


def test_the_known_scripts_are_found():
    names = {str(p.relative_to(REPO)) for p in shell_scripts()}
    assert {"install.sh", ".ci/run", "systemd/appliance-setup-code.sh", "image/stage-appliance/prerun.sh",
            "image/stage-appliance/00-appliance/00-run.sh", "image/stage-appliance/00-appliance/01-run-chroot.sh",
            *SOURCED} <= names


def test_every_shell_script_passes_shellcheck():
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("no shellcheck (./install.sh --dev installs it with apt)")
    scripts = [str(p.relative_to(REPO)) for p in shell_scripts()]
    result = subprocess.run([shellcheck, *scripts],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
