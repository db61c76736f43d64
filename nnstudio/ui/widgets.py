"""Small helpers for building widgets."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QObject

T = TypeVar("T", bound=QObject)


def named(item: T, object_name: str) -> T:
    """`item` with its object name set (style sheets and tests find it by that name)."""
    item.setObjectName(object_name)
    return item
