"""benchmarks/mqtt.py runs at a tiny size and prints its figures, so it cannot rot unnoticed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "mqtt.py"


def test_the_mqtt_benchmark_runs_tiny_and_prints_rates_and_ratios():
    result = subprocess.run([sys.executable, str(SCRIPT), "--devices", "2", "--rounds", "2", "--runs", "1"],
                            capture_output=True, text=True, timeout=300, cwd=SCRIPT.parents[1])
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert "msg/s" in lines[0] and "baseline" in lines[0] and "ratio" in lines[0]
    figures = lines[1].split()
    assert figures[0] == "2" and all(float(f.replace(",", "")) > 0 for f in figures[1:])
