"""Values that travel with a numpy array object in this process, for as long as the array lives.

`note(array, key, value)` ties a value (a kernel's block sums, a convolution's tile sums) to that
very array object, and `noted(array, key)` finds it again wherever the array travels (signals,
caches, views of the model), without every call in between carrying a second value. A copy or a
view of the array has no notes: the value describes the array it was made from.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

# No lock: a weakref callback can run inside any allocation (the garbage collector), also while
# this thread would hold a lock, and a dict's get/set/pop are atomic under the GIL anyway. An id
# is reused only after its array is freed, and the callback runs before that.
_notes: dict[tuple[int, str], tuple[weakref.ref, Any]] = {}


def note(array: Any, key: str, value: Any) -> None:
    """Tie `value` to this array object under `key` until the array is garbage collected."""
    entry = (id(array), key)
    _notes[entry] = (weakref.ref(array, functools.partial(_forget, entry)), value)


def _forget(entry: tuple[int, str], ref: weakref.ref) -> None:
    found = _notes.get(entry)
    if found is not None and found[0] is ref:
        _notes.pop(entry, None)


def noted(array: object, key: str) -> Any:
    """The value tied to this very array object under `key` (not to an equal copy or a view), if any."""
    found = _notes.get((id(array), key))
    if found is None or found[0]() is not array:
        return None
    return found[1]
