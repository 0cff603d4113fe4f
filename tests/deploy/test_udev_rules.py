"""systemd/99-appliance-serial.rules: every common USB-RS485 chip gets dialout and a stable name."""

from __future__ import annotations

import re
import shutil
import subprocess
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


def test_udevadm_verify_accepts_the_rules():
    udevadm = shutil.which("udevadm")
    if udevadm is None:
        pytest.skip("no udevadm here (the udev package is not installed)")
    probe = subprocess.run([udevadm, "verify", "--help"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip("this udevadm has no 'verify' (systemd >= 254 has it; Debian bookworm ships 252)")
    result = subprocess.run([udevadm, "verify", str(RULES)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
