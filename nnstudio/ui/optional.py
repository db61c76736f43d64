"""Other developers' widgets, imported lazily, and the placeholder shown when one is missing or broken."""

from __future__ import annotations

import importlib
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def optional(module: str, name: str) -> Any | None:
    """A class from another developer's module, or None when it cannot be imported."""
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError:
        return None
    except Exception:  # a broken widget module must not stop the window
        return None


def placeholder(object_name: str, text: str) -> QLabel:
    """A greyed, centred, wrapped label standing in for a widget that is not there."""
    label = QLabel(text)
    label.setObjectName(object_name)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setMargin(16)
    label.setEnabled(False)
    return label
