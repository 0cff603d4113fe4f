"""mypy runs over the package (DESIGN.md section 10): the types the code declares hold.

drivers/, store/ and energy/ are held to mypy's strict flags (issue 16, item 5): setup.cfg names them in a
per-package section, and a deliberately loose module placed in each package must fail under that config.
"""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRICT_PACKAGES = ("drivers", "store", "energy")
#: mypy's --strict, as flags a per-module section can set (--strict itself cannot be set per module).
STRICT_FLAGS = ("disallow_untyped_defs", "disallow_incomplete_defs", "disallow_untyped_calls",
                "disallow_untyped_decorators", "disallow_any_generics", "disallow_subclassing_any",
                "check_untyped_defs", "warn_return_any", "no_implicit_reexport", "strict_equality", "extra_checks")
LOOSE = '''
from typing import Any


def untyped(value):
    return value


def generic(items: list) -> int:
    return len(items)


def leaks(value: Any) -> int:
    return value
'''


def test_mypy_finds_no_error():
    result = subprocess.run([sys.executable, "-m", "mypy", "appliance"], cwd=ROOT, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-4000:]


def _strict_section(package: str) -> configparser.SectionProxy:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    for name in config.sections():
        modules = [m.strip() for m in name.removeprefix("mypy-").split(",")] if name.startswith("mypy-") else []
        if f"appliance.{package}.*" in modules:
            return config[name]
    raise AssertionError(f"setup.cfg has no [mypy-appliance.{package}.*] section")


@pytest.mark.parametrize("package", STRICT_PACKAGES)
def test_package_is_configured_strict(package):
    section = _strict_section(package)
    missing = [flag for flag in STRICT_FLAGS if section.get(flag, "").strip().lower() != "true"]
    assert not missing, f"appliance.{package}.* lacks {missing}"


@pytest.mark.parametrize("package", STRICT_PACKAGES)
def test_loose_code_fails_in_a_strict_package(tmp_path, package):
    # A copy of the package layout with one loose module: the real config must reject it.
    target = tmp_path / "appliance" / package
    target.mkdir(parents=True)
    (tmp_path / "appliance" / "__init__.py").write_text("")
    (target / "__init__.py").write_text("")
    (target / "loose.py").write_text(LOOSE)
    result = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "setup.cfg"),
                             "--no-incremental", "appliance"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1, result.stdout
    for code in ("no-untyped-def", "type-arg", "no-any-return"):
        assert f"[{code}]" in result.stdout, result.stdout
