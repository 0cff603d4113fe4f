"""The one YAML loader of the appliance: safe tags only, no aliases, bounded size and depth, finite numbers.

Every YAML the appliance reads (config.yaml, snapshots, device templates, register maps) goes through
`load` or a loader derived from `SafeLoader`. Aliases are refused because a few hundred bytes of
nested aliases expand to gigabytes (the "billion laughs"); nesting is capped because composing is
recursive; `.nan`, `.inf` and lone surrogates are refused by the same checks as JSON bodies.
Every refusal is a `yaml.YAMLError`, with a line number where there is one.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from appliance.errors import ValidationError
from appliance.validation import MAX_DEPTH, check_finite, check_text

#: The largest YAML text accepted: the same as the web's upload limit; a home's config.yaml is a few KiB.
MAX_CHARS = 1024 * 1024


class SafeLoader(yaml.SafeLoader):
    """yaml.SafeLoader without anchors and aliases, with a nesting limit and finite numbers only."""

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """Compose one node, refusing aliases, anchors and nesting deeper than MAX_DEPTH."""
        event = self.peek_event()
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            raise ComposerError(None, None, f"aliases (*{event.anchor}) are not allowed", mark)
        if getattr(event, "anchor", None):
            raise ComposerError(None, None, f"anchors (&{getattr(event, 'anchor')}) are not allowed", mark)
        self._depth += 1
        try:
            # +1: the scalars inside the deepest allowed list or mapping sit one level below it.
            if self._depth > MAX_DEPTH + 1:
                raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        """A float, refused when it is .nan, .inf or overflows (1e400)."""
        value = super().construct_yaml_float(node)
        try:
            return check_finite(value)
        except ValidationError as exc:
            raise ConstructorError(None, None, exc.message, node.start_mark) from None

    def construct_yaml_str(self, node: yaml.ScalarNode) -> str:
        """A string, refused when it holds a lone surrogate ("\\ud800")."""
        value = super().construct_yaml_str(node)
        try:
            return check_text(value)
        except ValidationError as exc:
            raise ConstructorError(None, None, exc.message, node.start_mark) from None


SafeLoader.add_constructor("tag:yaml.org,2002:float", SafeLoader.construct_yaml_float)
SafeLoader.add_constructor("tag:yaml.org,2002:str", SafeLoader.construct_yaml_str)


def check_size(text: str) -> str:
    """Refuse a YAML text longer than MAX_CHARS before parsing it."""
    if len(text) > MAX_CHARS:
        raise yaml.YAMLError(f"the document is larger than {MAX_CHARS // 1024} KiB")
    return text


def load(text: str, loader: type[SafeLoader] = SafeLoader) -> Any:
    """Parse one YAML document with `loader` (SafeLoader or a subclass of it)."""
    return yaml.load(check_size(text), Loader=loader)  # noqa: S506 - every loader here derives from SafeLoader
