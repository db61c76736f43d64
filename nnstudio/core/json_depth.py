"""A guard against deeply nested JSON, checked before the parser recurses into it."""

from __future__ import annotations


def exceeds_depth(text: str, limit: int) -> bool:
    """Whether `text` opens more than `limit` nested arrays or objects (strings are skipped)."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False
