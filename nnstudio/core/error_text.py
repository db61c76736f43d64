"""A Keras or TensorFlow error as a person reads it: the cause in one line, the rest as details.

TensorFlow's graph errors open with "Graph execution error:" and a traceback of file paths, and
put the cause ("Incompatible shapes: [32] vs. [32,3]") near the end; Keras's own errors put it on
their first line. `cause_line` finds that line whichever it is, without file paths, and names the
innermost function of the traceback when there is one (`in mean_squared_error`).
"""

from __future__ import annotations

import re

from nnstudio.core.text_safety import one_line

_FRAME = re.compile(r'^\s*File "(?P<path>[^"]*)"(?:, line \d+)?(?:, in (?P<function>\S+))?')
_NOISE = re.compile(
    r"^\s*(Traceback \(most recent call last\):|Graph execution error:|Detected at node .*|\[\[\{\{node .*|…)\s*$"
)
_OP_MARKERS = re.compile(r"\s*\[\[\{\{node [^\]]*\}\}\]\]|\s*\[Op:[^\]]*\]")
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.\-~ ]+){2,}[\\/](?P<name>[\w.\-]+)")


def cause_line(message: str, limit: int = 300) -> str:
    """The cause in `message` as one line of at most `limit` characters (see the module docstring)."""
    innermost = None
    for line in message.splitlines():
        frame = _FRAME.match(line)
        if frame:
            innermost = frame.group("function") or innermost
            continue
        if not line.strip() or _NOISE.match(line):
            continue
        cause = _PATH.sub(lambda m: m.group("name"), _OP_MARKERS.sub("", line)).strip()
        if cause:
            if innermost and innermost not in cause and not innermost.startswith("<"):
                cause = f"{cause} (in {innermost})"
            return one_line(cause, limit)
    return one_line(_PATH.sub(lambda m: m.group("name"), message), limit) or "an unknown error"


def has_details(message: str, cause: str) -> bool:
    """Whether `message` says more than its cause line (so that a Details view is worth showing)."""
    return " ".join(message.split()) != cause
