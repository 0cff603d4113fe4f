"""systemd/appliance.service: it verifies, keeps its hardening, and docs/deployment.md records its exposure."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNITS = ("appliance.service", "appliance-setup-code.service")


def _analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path is None:
        pytest.skip("no systemd-analyze (./install.sh --dev installs the systemd package)")
    return path


def _runnable_copy(tmp_path: Path, name: str) -> Path:
    """The unit with ExecStart and ExecStopPost pointing at a binary that exists on this machine.

    `systemd-analyze verify` refuses a unit whose ExecStart binary is missing, and
    /opt/appliance/bin/appliance exists only where the appliance is installed; everything else is
    verified as it is. The chroot test verifies the installed unit with its real ExecStart.
    """
    text = (REPO / "systemd" / name).read_text()
    copy = tmp_path / name
    copy.write_text(re.sub(r"(?m)^(ExecStart|ExecStopPost)=\S+", r"\1=/bin/true", text))
    return copy


def _settings(name: str) -> dict[str, list[str]]:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    settings: dict[str, list[str]] = {}
    section = None
    for line in (REPO / "systemd" / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.setdefault(f"{section}.{key}", []).append(value)
    return settings


@pytest.mark.parametrize("name", UNITS)
def test_systemd_analyze_verify_passes(tmp_path, name):
    analyze = _analyze()
    result = subprocess.run([analyze, "verify", str(_runnable_copy(tmp_path, name))],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_the_service_is_a_watched_notify_service_of_its_own_user():
    s = _settings("appliance.service")
    assert s["Service.Type"] == ["notify"]
    # Port 80 with the one capability kept, so http://appliance.local/ needs no port number.
    assert s["Service.ExecStart"] == ["/opt/appliance/bin/appliance run --port 80"]
    assert s["Service.WatchdogSec"] == ["60"] and s["Service.Restart"] == ["on-failure"]
    # How it stopped (systemd's $SERVICE_RESULT) is kept for the next start: a watchdog restart is an alert.
    assert s["Service.ExecStopPost"] == ["/opt/appliance/bin/appliance note-exit"]
    assert s["Service.User"] == ["appliance"]
    assert s["Service.StateDirectory"] == ["appliance"] and s["Service.StateDirectoryMode"] == ["0700"]
    # The RAM spool's tmpfs folder ($RUNTIME_DIRECTORY) outlives a crash, so the restart writes what it held.
    assert s["Service.RuntimeDirectory"] == ["appliance"] and s["Service.RuntimeDirectoryMode"] == ["0700"]
    assert s["Service.RuntimeDirectoryPreserve"] == ["restart"]
    assert s["Service.ConfigurationDirectory"] == ["appliance"]
    env = " ".join(s["Service.Environment"])
    assert "APPLIANCE_DATA_DIR=/var/lib/appliance" in env and "APPLIANCE_CONFIG=/etc/appliance/config.yaml" in env
    assert s["Install.WantedBy"] == ["multi-user.target"]


def test_hardening_still_allows_serial_ports_bluez_and_udev():
    s = _settings("appliance.service")
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "ProtectKernelTunables", "ProtectKernelModules",
                "ProtectControlGroups", "RestrictRealtime", "LockPersonality", "MemoryDenyWriteExecute"):
        assert s[f"Service.{key}"] == ["yes"], key
    assert s["Service.ProtectSystem"] == ["strict"]
    assert s["Service.SystemCallArchitectures"] == ["native"]
    assert s["Service.DevicePolicy"] == ["closed"]
    allowed = {entry.split()[0] for entry in s["Service.DeviceAllow"]}
    assert {"char-ttyUSB", "char-ttyACM", "char-ttyAMA", "char-usb_device"} <= allowed
    assert s["Service.RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6 AF_BLUETOOTH AF_NETLINK"]
    assert "PrivateDevices" not in " ".join(s), "PrivateDevices would hide the serial adapters"
    # The one capability kept: binding port 80.
    assert s["Service.CapabilityBoundingSet"] == ["CAP_NET_BIND_SERVICE"]


def test_the_security_exposure_is_the_one_recorded_in_the_deployment_doc(tmp_path):
    analyze = _analyze()
    result = subprocess.run([analyze, "security", "--offline=true", "--no-pager",
                             str(_runnable_copy(tmp_path, "appliance.service"))],
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0 and "offline" in result.stderr:
        pytest.skip(f"this systemd-analyze cannot assess a unit file offline: {result.stderr.strip()}")
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    doc = (REPO / "docs" / "deployment.md").read_text()
    recorded = re.search(r"Overall exposure level: \*\*(\d+\.\d+)", doc)
    assert recorded, "docs/deployment.md must record the exposure as 'Overall exposure level: **N.N'"
    assert found.group(1) == recorded.group(1), "the unit's hardening changed: update docs/deployment.md"
    assert float(found.group(1)) <= 2.5
