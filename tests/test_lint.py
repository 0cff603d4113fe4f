"""ruff runs over the code, tests, benchmarks and docs scripts with the rules in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "appliance", "tests", "benchmarks",
                             "docs"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_ruff_catches_an_unused_import(tmp_path):
    # The configuration must be the one that is read: a broken file fails under it.
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n")
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--config",
                             str(ROOT / "pyproject.toml"), str(bad)], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1 and "F401" in result.stdout
