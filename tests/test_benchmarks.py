"""Every script in benchmarks/ runs with tiny sizes and prints its figures, so none can rot unnoticed.

A benchmark is only measured by hand (docs/performance.md); this checks that it still runs against the
code as it is now, and that what it prints has the figures it is for.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

#: Script -> (tiny arguments, words its output must contain).
TINY: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "footprint.py": (["--minutes", "0.25", "--warmup", "20", "--every", "1", "--flush-interval", "2"],
                     ("KiB/s", "GB/day", "writes / growth", "lean logger", "resident memory")),
    "ingest.py": (["--rows", "200", "--runs", "1"], ("rows/s", "ratio writer/lean")),
    "modbus_poll.py": ([], ("powdrive",)),
    "rollup.py": (["--days", "1", "--runs", "1"], ("one new hour", "full rebuild")),
    "sync.py": (["40"], ("rows/s", "bytes/row")),
    "web.py": (["--days", "1", "--requests", "2", "--budget", "30", "--history-days", "2"], ("median ms", "p95")),
    "simulate.py": (["--days", "0.02"], ("bytes per stored reading", "x the database", "lean baseline")),
    "storage.py": (["--rows", "200"], ("bytes per row", "ratio appliance/lean")),
    "startup.py": (["--runs", "1"], ("first 200", "baseline")),
    "fleet.py": (["--devices", "2", "--minutes", "0.2", "--flush-interval", "2"], ("per device", "lean baseline")),
    "flush_table.py": (["--intervals", "1", "2", "--minutes", "0.25"], ("flush interval", "not in the database at the kill -9", "lost after the next start")),
    "memory.py": (["--days", "0.02", "--requests", "20"], ("resident memory", "baseline")),
    "alerts.py": (["50", "4"], ("alert rules per poll", "bytes per alert change")),
    "control.py": (["2"], ("tcp", "rtu", "setpoint")),
    "mqtt.py": (["--devices", "2", "--rounds", "3", "--runs", "1"], ("msg/s", "baseline")),
}


def test_every_benchmark_script_has_a_tiny_run():
    scripts = {p.name for p in BENCHMARKS.glob("*.py")}
    assert scripts == set(TINY), f"give these a tiny run here: {sorted(scripts ^ set(TINY))}"


#: The scripts in groups of about a minute each (their tiny runs start demos and wait out flush intervals).
#: Each group is a class: the suite distributes by module and class (`--dist loadscope`), so the groups run
#: side by side on the workers instead of one after another.
GROUPS = {
    "writes": ["flush_table.py"],
    "fleet": ["fleet.py"],
    "processes": ["footprint.py", "startup.py", "memory.py", "rollup.py"],
}
QUICK = sorted(set(TINY) - {s for group in GROUPS.values() for s in group})


def runs_and_prints_its_figures(script: str) -> None:
    """Run the script with its tiny arguments; it must exit 0 and print its figures."""
    args, words = TINY[script]
    result = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True,
                            timeout=600, cwd=BENCHMARKS.parent)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    for word in words:
        assert word in out, f"{script} printed no {word!r}:\n{out}"
    assert re.search(r"\d", out), out
    assert "nan" not in out.lower().split(), out


def _scope(scripts: list[str]) -> type:
    """A class of its own (a scope of its own for --dist loadscope) running these scripts."""

    @pytest.mark.slow
    class Scripts:
        @pytest.mark.parametrize("script", scripts)
        def test_a_benchmark_runs_and_prints_its_figures(self, script):
            runs_and_prints_its_figures(script)

    return Scripts


TestWriteTable = _scope(GROUPS["writes"])
TestFleet = _scope(GROUPS["fleet"])
TestProcesses = _scope(GROUPS["processes"])
TestQuickScripts = _scope(QUICK)
