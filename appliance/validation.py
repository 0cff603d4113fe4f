"""Generic checks at the validation boundary: finite numbers, valid text, bounded nesting; strict JSON.

A leaf module like errors.py and clock.py: every layer may use it, it imports nothing of the appliance
but errors. JSON bodies (web.jsonio, the headend) and YAML documents (safe_yaml) go through the same
`check_value` walk, so a NaN, an Infinity, a lone surrogate or a 1,000-deep nesting is refused the
same way wherever it enters.
"""

from __future__ import annotations

import json
import math
from typing import Any

from appliance.errors import ValidationError

#: Deepest nesting of objects and lists a body or document may have. The deepest the appliance
#: itself writes is 5 (a config.yaml bank's adapter's option list); 32 leaves room and bounds recursion.
MAX_DEPTH = 32


def check_finite(value: float, field: str | None = None) -> float:
    """A float that is a real number: NaN, Infinity and overflowed literals (1e400) are refused."""
    if not math.isfinite(value):
        where = f"{field}: " if field else ""
        raise ValidationError(f"{where}{_literal(value)} is not allowed: numbers must be finite", field=field)
    return value


def _literal(value: float) -> str:
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def check_text(value: str, field: str | None = None) -> str:
    """Text that is valid Unicode: a lone surrogate (JSON "\\ud800") cannot be stored or shown."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        where = f"{field}: " if field else ""
        raise ValidationError(f"{where}text holds an unpaired surrogate (not valid Unicode)", field=field) from None
    return value


def check_value(value: object, field: str | None = None, *, max_depth: int = MAX_DEPTH) -> Any:
    """Walk a decoded JSON or YAML value: finite numbers, valid text, nesting at most `max_depth`."""
    _walk(value, field, 0, max_depth)
    return value


def _walk(value: object, path: str | None, depth: int, max_depth: int) -> None:
    if isinstance(value, float):
        check_finite(value, path)
    elif isinstance(value, str):
        check_text(value, path)
    elif isinstance(value, (dict, list, tuple)):
        if depth >= max_depth:
            raise ValidationError(f"{path or 'the document'} is nested deeper than {max_depth} levels", field=path)
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    check_text(key, path)
                _walk(item, f"{path}.{key}" if path else str(key), depth + 1, max_depth)
        else:
            for index, item in enumerate(value):
                _walk(item, f"{path}[{index}]" if path else f"[{index}]", depth + 1, max_depth)


def loads(data: str | bytes, field: str | None = None) -> Any:
    """JSON checked by `check_value`: bad syntax raises ValueError, a refused value ValidationError.

    NaN, Infinity and 1e400 parse to non-finite floats first, so the walk can name where they are.
    """
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValidationError(f"the JSON is nested deeper than {MAX_DEPTH} levels", field=field) from None
    return check_value(value, field)


def dumps(value: object, **kwargs: Any) -> str:
    """json.dumps that never writes NaN or Infinity (ValueError instead): what it writes, any parser reads."""
    return json.dumps(value, allow_nan=False, **kwargs)


def finite_or_none(value: object) -> Any:
    """A copy of a JSON-like value with each non-finite float replaced by None (JSON null), for output."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(item) for item in value]
    return value
