"""The small shared kernel: one rule for instants (clock.parse_instant), one backoff, one CRC, one "now"."""

from __future__ import annotations

import ast
import random
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from appliance import backoff, clock
from appliance.errors import ValidationError

ROOT = Path(__file__).resolve().parents[1] / "appliance"


@pytest.mark.parametrize(("value", "expected"), [
    (1_780_000_000_000, 1_780_000_000_000),
    (1_780_000_000_000.0, 1_780_000_000_000),  # a whole float is a whole number of ms
    ("1780000000000", 1_780_000_000_000),  # ASCII digits: epoch ms (a query string's from/to)
    (" 1780000000000 ", 1_780_000_000_000),
    ("2026-05-28T20:26:40Z", 1_780_000_000_000),
    ("2026-05-28T22:26:40+02:00", 1_780_000_000_000),
    ("2026-05-28T20:26:40", 1_780_000_000_000),  # no offset: UTC
    ("2026-05-28 20:26:40", 1_780_000_000_000),
    ("2026-05-28", 1_779_926_400_000),  # a date alone: its midnight (UTC)
    ("1970-01-01T00:00:00Z", 0),
    # Both copies went through timestamp() * 1000 and truncated this one to ...471.
    ("2004-03-15T07:55:47.472Z", 1_079_337_347_472),
])
def test_one_rule_for_epoch_and_iso_input(value, expected):
    assert clock.parse_instant(value, "ts") == expected


@pytest.mark.parametrize(("value", "words"), [
    (1.5, "whole epoch milliseconds"),  # catalog/registration.py took 1, energy/market.py refused it
    (1_780_000_000_000.4, "whole epoch milliseconds"),
    ("1969-12-31T23:59:59Z", "outside 1970"),  # registration.py stored a negative time, market.py refused it
    ("5138-11-16T09:46:40Z", "outside 1970"),  # 10**14 ms: registration.py stored it, market.py refused it
    (-5, "from 1970"),
    (10 ** 14, "from 1970"),
    ("9" * 5000, "from 1970"),  # refused without converting 5000 digits
    (True, "epoch milliseconds or an ISO 8601 time"),
    (None, "epoch milliseconds or an ISO 8601 time"),
    ([1], "epoch milliseconds or an ISO 8601 time"),
    ("", "is not an ISO 8601 time"),  # registration.py and market.py answered two different messages
    ("yesterday", "is not an ISO 8601 time"),
    ("²", "is not an ISO 8601 time"),  # not an ASCII digit: int() would refuse it with a 500
    ("2026-13-01", "is not an ISO 8601 time"),
])
def test_what_the_rule_refuses_is_named_with_its_field(value, words):
    with pytest.raises(ValidationError) as caught:
        clock.parse_instant(value, "series[2].ts")
    assert caught.value.field == "series[2].ts" and words in caught.value.message


def test_a_time_without_offset_is_in_the_zone_given():
    berlin = ZoneInfo("Europe/Berlin")
    assert clock.parse_instant("2026-05-28T22:26:40", "from", zone=berlin) == 1_780_000_000_000
    assert clock.parse_instant("2026-05-29", "from", zone=berlin) == 1_780_005_600_000  # local midnight
    assert clock.parse_instant("2026-05-28T20:26:40Z", "from", zone=berlin) == 1_780_000_000_000  # offset wins


def test_stored_instants_read_back_by_the_same_rule_or_as_unknown():
    assert clock.parse_ms("2004-03-15T07:55:47.472+00:00") == 1_079_337_347_472
    assert clock.parse_ms("1780000000000") == 1_780_000_000_000
    assert [clock.parse_ms(text) for text in (None, "", "garbage", "1969-01-01T00:00:00Z")] == [None] * 4
    assert clock.parse_ms(clock.iso_ms(1_780_000_000_123)) == 1_780_000_000_123
    assert clock.parse_ms(clock.utc_now_iso()) is not None


def test_the_backoff_doubles_from_its_base_up_to_its_cap():
    assert [backoff.delay(n, 5000, 300_000) for n in range(0, 9)] == [
        5000, 5000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]
    assert backoff.delay(10 ** 9, 2.0, 300.0) == 300.0  # a long outage: no 2**(10**9) is computed


def test_jitter_keeps_half_the_wait_and_spreads_the_other_half():
    rng = random.Random(7)
    waits = [backoff.jittered(60.0, rng.random()) for _ in range(1000)]
    assert min(waits) >= 30.0 and max(waits) < 60.0
    assert max(waits) - min(waits) > 25.0  # many appliances do not come back in step
    assert (backoff.jittered(60.0, 0.0), backoff.jittered(60.0, 0.5)) == (30.0, 45.0)


def _source(path: Path) -> str:
    return path.read_text()


def test_one_crc_one_backoff_and_one_now_in_the_package():
    files = {p: _source(p) for p in ROOT.rglob("*.py")}
    crc = [p.name for p, text in files.items() if "0xA001" in text]
    assert crc == ["crc.py"], crc  # simulators use pymodbus's CRC on purpose: an independent check
    doubling = [str(p.relative_to(ROOT)) for p, text in files.items() if "* 2 **" in text]
    assert doubling == ["backoff.py"], doubling
    # "now in ms" is clock.now_ms (or a clock handed in): no module keeps its own copy. The reference headend
    # (sync/headend*.py, moving to its own edge in issue 16 item 4) and the simulators are not the product.
    for path, text in files.items():
        if path.name == "clock.py" or path.parts[-2] in ("sim", "headend") or path.name.startswith("headend"):
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef):
                assert node.name not in ("now_ms", "_now_ms", "wall_ms", "utc_now_ms", "utc_now_iso", "_now_iso"), \
                    f"{path.relative_to(ROOT)}: {node.name} copies clock.py"
        assert "time.time() * 1000" not in text and "time.time_ns() // 1_000_000" not in text, path
