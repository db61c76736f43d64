"""Text from a file, made safe for the place it goes: a terminal line, a Python literal, a docstring.

A file's names and strings are data. Whatever they hold (quotes, backslashes, line breaks, ESC
sequences, bidirectional overrides, lone surrogates), these functions give text that cannot end
the string it sits in, start a new line, or drive a terminal.
"""

from __future__ import annotations

import json
import re

ELLIPSIS = "…"


def cut(text: str, limit: int) -> str:
    """`text`, or its first `limit - 1` characters and an ellipsis when it is longer."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


def _escape_char(ch: str) -> str:
    """A Python (and JSON-like) escape sequence for one character."""
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_control(text: str) -> str:
    """`text` with every non-printable character (control, format, line separator, lone surrogate)
    written as a visible escape such as `\\x1b`, so it stays one harmless line on a terminal or in a log."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape_char(ch) for ch in text)


def terminal_text(text: str, limit: int | None = None) -> str:
    """`text` escaped for a terminal (see `escape_control`), and cut to `limit` characters if given."""
    safe = escape_control(text)
    return safe if limit is None else cut(safe, limit)


def one_line(text: str, limit: int = 300) -> str:
    """`text` (an error may span many lines, or dump a whole config) as one short, escaped line."""
    return terminal_text(" ".join(str(text).split()), limit)


def python_string(text: str) -> str:
    """A double-quoted Python string literal whose value is exactly `text`.

    JSON's escaping (quotes, backslashes, control characters) is valid Python with the same
    meaning; every other character that is not printable (DEL, U+2028, bidi overrides, lone
    surrogates, ...) is escaped too, so the literal is one line of plain visible text.
    """
    encoded = json.dumps(text, ensure_ascii=False)
    return escape_control(encoded)


_DOCSTRING_UNSAFE = frozenset('"\\%')


def docstring_text(text: str, limit: int = 80) -> str:
    """`text` reduced to what may sit inside a `\"\"\"` docstring or a `#` comment: printable
    characters only, with no double quote, backslash or `%` (each becomes `?`), cut to `limit`."""
    kept = "".join("?" if (ch in _DOCSTRING_UNSAFE or not ch.isprintable()) else ch for ch in text)
    return cut(kept, limit)


def file_stem(text: str, fallback: str = "model", limit: int = 64) -> str:
    """`text` as a plain file name stem: letters, digits, `_`, `-` and `.` only (no path separators,
    no leading dot), so a name from a file can never point a default output path elsewhere."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:limit].lstrip(".")
    return stem if stem.strip("_") else fallback
