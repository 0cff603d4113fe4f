"""Energy of sample pairs: trapezoids, sign changes, counters, resets, gaps, bucket boundaries."""

from __future__ import annotations

import pytest

from appliance.energy.pairs import bucket_energies
from appliance.energy.sources import RollupConfig
from appliance.errors import ValidationError

B = 300_000


def run(ts, powers, sign=1, counters=None, lo=0, hi=2 * B, gap=300_000):
    return bucket_energies(ts, [(powers, sign, counters)], lo, hi, gap, 200_000.0)


def test_constant_power_gives_power_times_time():
    ts = list(range(0, 2 * B + 1, 5_000))
    found = run(ts, [3600.0] * len(ts))
    assert found.energies[0][0] == pytest.approx(0.3) and found.energies[B][0] == pytest.approx(0.3)


def test_a_pair_across_a_boundary_is_shared_by_time():
    found = run([B - 60_000, B + 120_000], [3600.0, 3600.0])
    assert found.energies[0][0] == pytest.approx(0.06) and found.energies[B][0] == pytest.approx(0.12)


def test_a_sign_change_splits_import_from_export():
    ts, grid = [0, 60_000], [1000.0, -1000.0]
    imported = run(ts, grid, 1).energies[0][0]
    exported = run(ts, grid, -1).energies[0][0]
    assert imported == pytest.approx(exported) == pytest.approx(1000 * 30 / 2 / 3.6e6)


def test_counters_win_over_power_and_a_reset_falls_back_to_power():
    ts = [0, 60_000, 120_000, 180_000]
    counters = [10.0, 10.1, 0.0, 0.1]  # reset between the 2nd and 3rd sample
    found = run(ts, [6000.0] * 4, 1, counters)
    assert found.resets == 1
    assert found.energies[0][0] == pytest.approx(0.1 + 0.1 + 0.1)  # the reset pair: 6 kW x 1 min = 0.1 kWh


def test_a_jump_beyond_the_plausible_power_is_a_glitch():
    found = run([0, 60_000], [100.0, 100.0], 1, [5.0, 5000.0])
    assert found.resets == 1 and found.energies[0][0] == pytest.approx(100 * 60 / 3.6e6)


def test_a_gap_longer_than_the_limit_gives_no_energy():
    found = run([0, 10_000, 400_000, 410_000], [1000.0] * 4, hi=3 * B)
    assert (found.gaps, found.gap_ms) == (1, 390_000)
    total = sum(e[0] or 0 for e in found.energies.values())
    assert total == pytest.approx(2 * 1000 * 10 / 3.6e6)


def test_a_short_gap_limit_applies_inside_a_bucket_too():
    found = run([0, 10_000, 100_000, 110_000], [1000.0] * 4, gap=60_000)
    assert found.gaps == 1 and found.energies[0][0] == pytest.approx(2 * 1000 * 10 / 3.6e6)


def test_missing_values_give_none_not_zero():
    found = run([0, 10_000, 20_000], [None, None, None])
    assert found.energies[0][0] is None


def test_bad_config_is_refused():
    with pytest.raises(ValidationError) as err:
        RollupConfig(gap_limit_ms=0)
    assert err.value.field == "gap_limit_ms"
