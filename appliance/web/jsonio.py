"""The app's JSON provider: bodies are read strictly (finite numbers, valid text, bounded depth); output is standard JSON."""

from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider

from appliance import validation


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON with the validation boundary's checks on every body read and allow_nan=False on every write."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse a request body; a NaN, Infinity, lone surrogate or deep nesting is a ValidationError (400)."""
        return validation.loads(s)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialise; a non-finite float (a value stored before the boundary refused them) is written as null."""
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        try:
            return json.dumps(obj, allow_nan=False, **kwargs)
        except ValueError:
            return json.dumps(validation.finite_or_none(obj), allow_nan=False, **kwargs)
