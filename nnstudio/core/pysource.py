"""Python source for plain values, safe by construction: what generated code writes for a value."""

from __future__ import annotations

import json
from typing import Any


def literal(value: Any) -> str:
    """A Python literal for `value`: tuples for shapes, double-quoted strings with every quote,
    backslash and control character escaped (so no name from a file can break out of its string)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        items = [literal(v) for v in value]
        return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    return repr(value)
