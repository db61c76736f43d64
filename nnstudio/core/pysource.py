"""Python source for plain values, safe by construction: what generated code writes for a value."""

from __future__ import annotations

import math
from typing import Any

from nnstudio.core.text_safety import python_string


def literal(value: Any) -> str:
    """A Python literal for `value`, safe by construction: it evaluates to `value` and nothing else.

    Strings are double-quoted with every quote, backslash and non-printable character escaped (no
    text from a file can end its string); lists and tuples become tuples (shapes); numbers that are
    not finite become `float("inf")` / `float("nan")`. Anything but JSON's value types is refused.
    """
    if isinstance(value, str):
        return python_string(value)
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return float.__repr__(value) if math.isfinite(value) else f'float("{float.__repr__(value)}")'
    if isinstance(value, (list, tuple)):
        items = [literal(v) for v in value]
        return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no Python literal for a {type(value).__name__}")
