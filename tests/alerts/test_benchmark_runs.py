"""benchmarks/alerts.py runs (tiny sizes), so it cannot rot; and a quiet evaluation changes nothing stored."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "alerts.py"


def test_the_alerts_benchmark_runs_and_prints_its_figures(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = importlib.util.spec_from_file_location("bench_alerts", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.main(["20", "4"])
    assert set(figures) == {"rules_us_per_poll", "baseline_us_per_poll", "bytes_per_change", "bytes_per_quiet_tick"}
    assert all(math.isfinite(v) and v >= 0 for v in figures.values())
    out = capsys.readouterr().out
    assert "bytes per alert change" in out and "KiB a day" in out
