"""Results kept per immutable object, so that re-analysing an edited model redoes only what changed.

An edit makes a new `ModelSpec` that shares every untouched `LayerSpec` (and each layer's `inbound`)
with the old one, by identity. An `IdentityMemo` keeps, per object, the result computed for it
together with the other inputs that result depended on (`extra`, compared by equality); the next
analysis meets the same objects and reuses their results. Entries hold their object, so an id is
never that of a dead object; the memo is emptied whenever it grows past `limit` entries. Reads and
writes are single dict operations: the reading thread and the GUI thread may share a memo.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Result = TypeVar("Result")


class IdentityMemo(Generic[Result]):
    """`get(obj, extra, compute)`: compute(), or the result kept for the same object and `extra`."""

    def __init__(self, limit: int = 20_000) -> None:
        self._entries: dict[int, tuple[object, Hashable, Result]] = {}
        self._limit = limit

    def get(self, obj: object, extra: Hashable, compute: Callable[[], Result]) -> Result:
        """The result for `obj` with `extra`, computed now unless kept from an earlier call."""
        entry = self._entries.get(id(obj))
        if entry is not None and entry[0] is obj and entry[1] == extra:
            return entry[2]
        result = compute()
        if len(self._entries) >= self._limit:
            self._entries = {}
        self._entries[id(obj)] = (obj, extra, result)
        return result

    def __len__(self) -> int:
        return len(self._entries)
