"""install.sh system mode refuses clearly, before changing anything, where it cannot install."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _install(tmp_path: Path, *args: str, os_release: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if os_release is not None:
        path = tmp_path / "os-release"
        path.write_text(os_release)
        env["APPLIANCE_OS_RELEASE"] = str(path)
    return subprocess.run(["bash", str(REPO / "install.sh"), *args], capture_output=True, text=True,
                          env=env, timeout=60, cwd=tmp_path)


@pytest.mark.parametrize("os_release, message", [
    ('ID=debian\nVERSION_ID="11"\nVERSION_CODENAME=bullseye\nPRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\n',
     "Debian GNU/Linux 11 (bullseye) is too old: Debian or Raspberry Pi OS 12 (bookworm) or later is needed"),
    ('ID=raspbian\nID_LIKE=debian\nVERSION_ID="10"\nPRETTY_NAME="Raspbian GNU/Linux 10 (buster)"\n',
     "Raspbian GNU/Linux 10 (buster) is too old"),
    ('ID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04 LTS"\n',
     "unsupported operating system: Ubuntu 24.04 LTS (ID=ubuntu, like debian)"),
    ('ID=debian\nVERSION_CODENAME=buster\nPRETTY_NAME="Debian buster"\n',
     "cannot tell the release of Debian buster"),
])
def test_an_unsupported_system_is_refused_with_the_reason(tmp_path, os_release, message):
    result = _install(tmp_path, os_release=os_release)
    assert result.returncode == 1 and message in result.stderr, result.stderr


def test_a_missing_os_release_is_refused(tmp_path):
    env = {**os.environ, "APPLIANCE_OS_RELEASE": str(tmp_path / "nothing")}
    result = subprocess.run(["bash", str(REPO / "install.sh"), "--no-start"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 1 and "cannot tell the operating system" in result.stderr


def test_system_mode_needs_root():
    # pytest's tmp_path (and maybe the checkout) is private to root; `nobody` must be able to read the
    # script and the os-release file, so both are copied into a folder everyone may read.
    with tempfile.TemporaryDirectory(prefix="appliance-os-release-") as folder:
        os.chmod(folder, 0o755)
        script = Path(folder) / "install.sh"
        shutil.copy(REPO / "install.sh", script)
        script.chmod(0o755)
        argv = ["bash", str(script)]
        if os.geteuid() == 0:
            # As root (CI), run the script as the unprivileged `nobody`, as an ordinary user would.
            argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv]
        release = Path(folder) / "os-release"
        release.write_text('ID=debian\nVERSION_ID="12"\n')
        release.chmod(0o644)
        env = {**os.environ, "APPLIANCE_OS_RELEASE": str(release)}
        result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, cwd=folder)
    assert result.returncode == 1 and "run it as root (sudo ./install.sh)" in result.stderr, result.stderr


@pytest.mark.parametrize("args", [("--dev", "--no-start"), ("--bogus",), ("--no-start", "--what")])
def test_bad_option_combinations_print_the_usage(tmp_path, args):
    result = _install(tmp_path, *args)
    assert result.returncode == 2 and "usage" in result.stderr
    assert "--uninstall" in result.stderr and "--purge" in result.stderr


def test_help_lists_the_modes(tmp_path):
    result = _install(tmp_path, "--help")
    assert result.returncode == 0
    for option in ("--dev", "--no-start", "--uninstall", "--purge"):
        assert option in result.stdout


def test_the_dev_system_packages_include_what_the_deploy_tests_need():
    text = (REPO / "install.sh").read_text()
    for entry in ("shellcheck:shellcheck", "debootstrap:debootstrap", "systemd-analyze:systemd", "udevadm:udev"):
        assert entry in text
