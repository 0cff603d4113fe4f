"""The one YAML loader: no aliases (billion laughs), bounded size and depth, finite numbers, and used everywhere."""

from __future__ import annotations

import ast
import resource
from pathlib import Path

import pytest
import yaml

from appliance import safe_yaml

ROOT = Path(__file__).resolve().parent.parent
#: 615 bytes in the issue's report; nine levels of nine aliases expand to 9^9 = 387 million strings.
BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join('*' + chr(97 + i) for _ in range(9))}]\n" for i in range(8))


def test_an_alias_bomb_is_refused_without_expanding_it():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(yaml.YAMLError, match="not allowed"):
        safe_yaml.load(BILLION_LAUGHS)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB: nothing was expanded


def test_aliases_and_merge_keys_are_refused():
    with pytest.raises(yaml.YAMLError, match="anchors"):
        safe_yaml.load("base: &b {x: 1}\nother:\n  <<: *b\n")


@pytest.mark.parametrize("text", ["x: .nan", "x: .inf", "x: -.Inf", "x: 1.0e+400", "x: [1, .NaN]"])
def test_non_finite_numbers_are_refused_with_their_line(text):
    with pytest.raises(yaml.MarkedYAMLError, match="finite") as caught:
        safe_yaml.load("ok: 1\n" + text)
    assert caught.value.problem_mark.line + 1 == 2


def test_a_lone_surrogate_is_refused():
    with pytest.raises(yaml.YAMLError, match="surrogate"):
        safe_yaml.load('name: "bad \\ud800"')


def _flow(depth: int) -> str:
    return "x: " + "[" * depth + "]" * depth


def _block(depth: int) -> str:
    return "".join(" " * i + "k:\n" for i in range(depth)) + " " * depth + "k: 1\n"


@pytest.mark.parametrize("text", [_flow(40), _flow(10_000), _block(40), _block(1000)])
def test_deep_nesting_is_refused(text):
    with pytest.raises(yaml.YAMLError, match="nested deeper"):
        safe_yaml.load(text)


def test_an_oversized_document_is_refused_before_parsing():
    with pytest.raises(yaml.YAMLError, match="larger than"):
        safe_yaml.load("x: 1\n" * (safe_yaml.MAX_CHARS // 5 + 1))


def test_ordinary_documents_load():
    assert safe_yaml.load("a: 1\nb: [1.5, two]\nc: {d: 2024-01-01}\n")["b"] == [1.5, "two"]


def test_every_yaml_the_appliance_loads_goes_through_safe_yaml():
    offenders = []
    for path in (ROOT / "appliance").rglob("*.py"):
        if path.name == "safe_yaml.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "yaml" \
                    and node.attr in ("load", "safe_load", "full_load", "unsafe_load", "load_all", "safe_load_all",
                                      "compose", "parse"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} yaml.{node.attr}")
    assert offenders == []


def test_every_json_encoder_refuses_nan():
    offenders = []
    for path in (ROOT / "appliance").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "json" \
                    and node.func.attr in ("dumps", "dump"):
                flags = {k.arg: k.value for k in node.keywords}
                if not (isinstance(flags.get("allow_nan"), ast.Constant) and flags["allow_nan"].value is False):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
