"""The validation boundary's generic checks: finite numbers, valid text, bounded nesting, strict JSON."""

from __future__ import annotations

import json
import math

import pytest

from appliance import validation
from appliance.errors import ValidationError


@pytest.mark.parametrize("text", ['{"x": NaN}', '{"x": Infinity}', '{"x": -Infinity}', '{"x": 1e400}',
                                  '[1, 2, -1e999]'])
def test_non_finite_json_numbers_are_refused(text):
    with pytest.raises(ValidationError, match="finite"):
        validation.loads(text)


def test_a_lone_surrogate_is_refused_and_names_its_field():
    with pytest.raises(ValidationError, match="surrogate") as caught:
        validation.loads('{"name": "bad \\ud800 name"}')
    assert caught.value.field == "name"


def test_a_surrogate_pair_is_fine():
    assert validation.loads('{"name": "\\ud83d\\ude00"}') == {"name": "\U0001F600"}


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deep_nesting_is_refused(depth):
    with pytest.raises(ValidationError, match="nested deeper"):
        validation.loads("[" * depth + "]" * depth)


def test_nesting_up_to_the_limit_is_fine():
    depth = validation.MAX_DEPTH
    assert validation.loads("[" * depth + "]" * depth) is not None


def test_check_value_names_the_path_of_a_nan():
    with pytest.raises(ValidationError) as caught:
        validation.check_value({"config": {"limits": [1.0, math.nan]}}, "body")
    assert caught.value.field == "body.config.limits[1]"


def test_dumps_never_writes_non_standard_json():
    with pytest.raises(ValueError):
        validation.dumps({"x": math.inf})
    assert json.loads(validation.dumps(validation.finite_or_none({"x": [math.nan, 1.5]}))) == {"x": [None, 1.5]}
