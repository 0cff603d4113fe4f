"""The JSON value types' helpers: what they accept, what they refuse, and that the module stays a leaf."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from appliance import jsontypes
from appliance.errors import ValidationError


def test_number_keeps_ints_and_refuses_bools_and_text():
    assert jsontypes.number(3) == 3 and isinstance(jsontypes.number(3), int)
    assert jsontypes.number(2.5) == 2.5
    for value in (True, False, "3", None, [1], {"a": 1}):
        assert jsontypes.number(value) is None


def test_text_object_and_list_give_empty_for_the_wrong_shape():
    assert jsontypes.text("a") == "a" and jsontypes.text(1) is None
    assert jsontypes.as_object({"a": 1}) == {"a": 1} and jsontypes.as_object([1]) == {}
    assert jsontypes.as_list([1, 2]) == [1, 2] and jsontypes.as_list((1,)) == (1,)
    assert jsontypes.as_list("ab") == () and jsontypes.as_list({"a": 1}) == ()


def test_conversions_name_the_field_they_refuse():
    assert jsontypes.to_float("2.5", "timeout_s") == 2.5 and jsontypes.to_int(7.9, "port") == 7
    for value in ("soon", None, [3], {"s": 1}):
        with pytest.raises(ValidationError) as caught:
            jsontypes.to_float(value, "timeout_s")
        assert caught.value.field == "timeout_s" and "timeout_s must be a number" in caught.value.message
    for value in ("x", math.inf, math.nan, None):
        with pytest.raises(ValidationError, match="port must be an integer"):
            jsontypes.to_int(value, "port")


def test_as_json_is_the_same_object():
    typed = {"a": 1}
    assert jsontypes.as_json(typed) is typed


def test_the_module_is_a_leaf():
    tree = ast.parse(Path(jsontypes.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert {m for m in imported if m.startswith("appliance")} <= {"appliance.errors"}
