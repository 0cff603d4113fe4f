"""systemd/99-appliance-serial.rules: every common USB-RS485 chip gets dialout and a stable name."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "systemd" / "99-appliance-serial.rules"
CHIPS = {
    ("1a86", "7523"), ("1a86", "5523"),                                   # CH340 / CH341
    ("10c4", "ea60"), ("10c4", "ea70"),                                   # CP210x
    ("0403", "6001"), ("0403", "6010"), ("0403", "6011"), ("0403", "6014"), ("0403", "6015"),  # FTDI
    ("067b", "2303"), ("067b", "23a3"),                                   # PL2303
}
KEY = re.compile(r'(\w+)(?:\{([^}]*)\})?\s*(==|!=|\+=|:=|=)\s*"([^"]*)"')


def rules() -> list[list[tuple[str, str, str, str]]]:
    """The rules as lists of (key, attribute, operator, value), comments and blank lines left out."""
    parsed = []
    for number, line in enumerate(RULES.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pairs = [p.strip() for p in line.split(",")]
        keys = [KEY.fullmatch(p) for p in pairs]
        assert all(keys), f"line {number} does not parse: {line}"
        parsed.append([m.groups() for m in keys if m])  # type: ignore[union-attr]
    return parsed


def _chip_rules():
    for rule in rules():
        attrs = {(k, a): v for k, a, op, v in rule if op == "=="}
        if ("ATTRS", "idVendor") in attrs:
            yield attrs, rule


def test_every_listed_chip_has_one_rule():
    found = [(attrs[("ATTRS", "idVendor")], attrs[("ATTRS", "idProduct")]) for attrs, _ in _chip_rules()]
    assert sorted(found) == sorted(CHIPS)


def test_chip_rules_give_dialout_rw_and_go_to_the_naming_block():
    for _, rule in _chip_rules():
        assigns = {k: v for k, a, op, v in rule if op == "="}
        assert assigns == {"GROUP": "dialout", "MODE": "0660", "GOTO": "appliance_serial_name"}, rule


def test_only_tty_additions_are_handled_and_nothing_is_run():
    text = RULES.read_text()
    assert 'ACTION=="remove", GOTO="appliance_serial_end"' in text
    assert 'SUBSYSTEM!="tty", GOTO="appliance_serial_end"' in text
    keys = {k for rule in rules() for k, *_ in rule}
    assert not keys & {"RUN", "PROGRAM", "NAME", "OWNER"}, "permissions and names only"
    labels = [v for rule in rules() for k, _, _, v in rule if k == "LABEL"]
    gotos = {v for rule in rules() for k, _, _, v in rule if k == "GOTO"}
    assert gotos <= set(labels) and len(labels) == len(set(labels))


def test_the_link_names_the_adapter_by_serial_number_or_kernel_name():
    links = [(rule, v) for rule in rules() for k, _, op, v in rule if k == "SYMLINK" and op == "+="]
    assert len(links) == 2
    with_serial = [v for rule, v in links if ("ENV", "ID_SERIAL_SHORT", "==", "?*") in rule]
    without = [v for rule, v in links if ("ENV", "ID_SERIAL_SHORT", "!=", "?*") in rule]
    assert with_serial == ["appliance/serial-$env{ID_VENDOR_ID}_$env{ID_MODEL_ID}-$env{ID_SERIAL_SHORT}"
                           "-if$env{ID_USB_INTERFACE_NUM}"]
    assert without == ["appliance/serial-$env{ID_VENDOR_ID}_$env{ID_MODEL_ID}-%k"]


def _udevadm_complaints(rules_text: str) -> list[str]:
    """What udev itself says of a rules file: `udevadm verify` (systemd >= 254), else `udevadm test`.

    Debian bookworm's udevadm (252) has no `verify`. `udevadm test` parses every rules file it finds,
    so it runs in a private mount namespace where the rules folders hold only this file, and /run/udev
    and /dev/char are scratch: nothing on this machine is changed.
    """
    udevadm = shutil.which("udevadm")
    if udevadm is None:
        pytest.skip("no udevadm here (./install.sh --dev installs the udev package)")
    with tempfile.TemporaryDirectory() as folder:
        rules_dir = Path(folder)
        (rules_dir / RULES.name).write_text(rules_text)
        if subprocess.run([udevadm, "verify", "--help"], capture_output=True, timeout=30).returncode == 0:
            result = subprocess.run([udevadm, "verify", str(rules_dir / RULES.name)], capture_output=True,
                                    text=True, timeout=30)
            return [] if result.returncode == 0 else [result.stdout + result.stderr]
        if os.geteuid() != 0 or shutil.which("unshare") is None:
            pytest.skip("this udevadm has no 'verify', and 'udevadm test' in a private namespace needs root")
        script = (f"mount --bind {rules_dir} /etc/udev/rules.d && mount -t tmpfs none /usr/lib/udev/rules.d"
                  " && mount -t tmpfs none /run/udev && mkdir -p /dev/char && mount -t tmpfs none /dev/char"
                  f" && {udevadm} test --action=add /sys/class/tty/tty0")
        result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                                capture_output=True, text=True, timeout=60)
        output = result.stdout + result.stderr
        assert f"Reading rules file: /etc/udev/rules.d/{RULES.name}" in output, output[-2000:]
        return [line for line in output.splitlines() if line.startswith(f"/etc/udev/rules.d/{RULES.name}:")]


def test_udev_accepts_the_rules():
    assert _udevadm_complaints(RULES.read_text()) == []


def test_udev_check_rejects_a_broken_rule():
    """The check above can fail: udev names a misspelt key."""
    complaints = _udevadm_complaints(RULES.read_text() + 'SUBSYSTEM=="tty", ATTRS{idVendor}=="1a86", MODE_X="0660"\n')
    assert complaints and "MODE_X" in complaints[-1]
