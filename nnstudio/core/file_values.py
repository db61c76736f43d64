"""What a value read from a file may be, shared by both readers so that what one accepts the other does.

A `.nnstudio` project and a `.keras` config carry the same settings; nnstudio writes each from the
other (a `.keras` opened and saved as a project, a project exported). A value one reader takes and
the other refuses breaks that round trip (a momentum of 10**400 opened from a `.keras` file made
its saved project unreadable), so both ask this module. The caps also bound what a file can make
nnstudio carry: list lengths, text lengths, the size of numbers.
"""

from __future__ import annotations

import math
from typing import Any

from nnstudio.core.text_safety import terminal_text

MAX_TEXT_CHARS = 256  # a text setting (activation, reduction, ...)
MAX_LIST_ITEMS = 64  # a list setting (a shape)
MAX_ABS_INT = 10**15  # larger integers are no setting of a layer, an optimizer or a loss
MAX_NAME_CHARS = 128  # a model's or a layer's name
MAX_METRICS = 16  # nnstudio offers fewer metrics than this, each at most once
MAX_OPTIONS = 32  # settings of one optimizer or loss (Keras's have at most 15)


def shown(value: Any, limit: int = 60) -> str:
    """`repr(value)` cut to `limit` characters and escaped: safe in a one-line message."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        digits = int(value.bit_length() * math.log10(2)) + 1  # str() of a huge int raises ValueError
        return f"{'minus ' if value < 0 else ''}an integer of about {digits:,} digits"
    if isinstance(value, str):
        value = value[: limit + 1]
    elif isinstance(value, (list, tuple)) and len(value) > 8:
        value = [*value[:8], ...]
    return terminal_text(repr(value), limit)


def is_number(value: Any) -> bool:
    """An int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    """A number a float can hold: a finite float, or an int no larger than MAX_ABS_INT (no OverflowError)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return abs(value) <= MAX_ABS_INT
    return math.isfinite(value)


def value_problem(value: Any, nesting: int = 1) -> str | None:
    """Why `value` cannot be a setting read from a file (nested, absurd, too long), or None.

    A setting is None, a bool, a finite number no larger than MAX_ABS_INT, a text of at most
    MAX_TEXT_CHARS characters, or a list of at most MAX_LIST_ITEMS such scalars (lists of such
    lists, `nesting` levels deep, where a parameter's kind takes them: padding pairs).
    """
    if isinstance(value, list):
        if len(value) > MAX_LIST_ITEMS:
            return f"a list of {len(value):,} entries is too long for a setting (limit {MAX_LIST_ITEMS})"
        for item in value:
            if isinstance(item, dict) or (isinstance(item, list) and nesting <= 1):
                return "expected a number here, found a nested list or object"
            problem = value_problem(item, nesting - 1)
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        return "expected a value, found an object"
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value} is not a number a model can use"
    if isinstance(value, int):
        return None if abs(value) <= MAX_ABS_INT else f"{shown(value)} is absurdly large"
    if isinstance(value, str):
        return None if len(value) <= MAX_TEXT_CHARS else f"a text value longer than {MAX_TEXT_CHARS} characters"
    return f"unexpected value {shown(value)}"


def name_problem(name: Any) -> str | None:
    """Why `name` cannot name a model or layer read from a file, or None: a printable text of 1 to
    MAX_NAME_CHARS characters without `/` (Keras refuses a `/` in any name)."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME_CHARS or not name.isprintable():
        return f"a name must be a printable text of 1 to {MAX_NAME_CHARS} characters. Received: {shown(name)}"
    if "/" in name:
        return f"a name cannot contain '/'. Received: {shown(name)}"
    return None


def carried_name_problem(name: Any) -> str | None:
    """Why a project file's name cannot even be carried (too long, not printable), or None; the rest
    of `name_problem` (empty, a `/`) is left to validation, which shows it where it can be fixed."""
    if not isinstance(name, str) or len(name) > MAX_NAME_CHARS or not name.isprintable():
        return f"a name must be a printable text of at most {MAX_NAME_CHARS} characters. Received: {shown(name)}"
    return None


def metrics_problem(metrics: list[Any]) -> str | None:
    """Why a list of metric names is too long or repeats one, or None."""
    if len(metrics) > MAX_METRICS:
        return f"{len(metrics):,} metrics; the limit is {MAX_METRICS}, each named once"
    seen: set[Any] = set()
    for metric in metrics:
        if isinstance(metric, str) and metric in seen:
            return f"the metric {shown(metric)} is listed twice"
        if isinstance(metric, str):
            seen.add(metric)
    return None


def as_float_where_keras_expects_one(value: Any, default: Any) -> Any:
    """An int setting whose Keras default is a float, as a float (Keras's SGD refuses `momentum=1`)."""
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value
