"""Guards against JSON that is costly to parse or walk, checked before the parser sees it.

`json_shape(text)` gives the deepest nesting and the number of arrays and objects, in time linear
in the text and at C speed (a regular expression drops the strings, numpy counts the brackets):
a Python loop over every character took over a second on an 8 MB file. A config of a few thousand
brackets (every keras.applications model) is counted without numpy, whose import would be a fifth
of `nnstudio summary`'s time.
"""

from __future__ import annotations

import re
from itertools import accumulate

# A complete JSON string (the unrolled form: no backtracking, linear).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SMALL = 200_000  # brackets counted without numpy (a few milliseconds)


def json_shape(text: str) -> tuple[int, int]:
    """(deepest nesting of arrays and objects, how many there are) in `text`; strings are skipped.

    Text after an unterminated string is ignored (the parser reports it as invalid).
    """
    bare = _STRING.sub("", text)
    quote = bare.find('"')
    if quote >= 0:
        bare = bare[:quote]
    brackets = bare.encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0, 0
    opened = brackets.count(b"[") + brackets.count(b"{")
    if len(brackets) <= _SMALL:
        return max(accumulate(1 if code in b"[{" else -1 for code in brackets)), opened
    import numpy as np  # only for big texts: its import costs more than counting a small one

    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1).astype(np.int32)
    depth = np.cumsum(steps)
    return int(depth.max()), int((steps > 0).sum())


def exceeds_depth(text: str, limit: int) -> bool:
    """Whether `text` opens more than `limit` nested arrays or objects (strings are skipped)."""
    return json_shape(text)[0] > limit
