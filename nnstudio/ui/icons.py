"""Icons for layer types: a small rounded tile per type, from resources/icons/<icon>.svg.

Each layer type names its icon in the registry (`LayerType.icon`); a type without its icon file
is a broken install, and `layer_icon` says so instead of drawing a stand-in. Tiles of one family
share a colour so a stack reads at a glance.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette

from nnstudio.core.layers.registry import layer_type
from nnstudio.core.resources import resource

ICON_DIR = resource("icons")

ERROR_COLOR = "#dc2626"
ERROR_COLOR_ON_DARK = "#f87171"


def icon_path(name: str) -> Path:
    """The SVG file for an icon stem (`dense`, `error`, ...)."""
    return ICON_DIR / f"{name}.svg"


def error_color(palette: QPalette | None = None) -> QColor:
    """The red of problems, lighter on a dark palette so it stays readable."""
    palette = palette if palette is not None else QGuiApplication.palette()
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return QColor(ERROR_COLOR_ON_DARK if dark else ERROR_COLOR)


@cache
@cache  # one QIcon per type: it keeps its rendered pixmaps (a list paints its rows' icons at every repaint)
def layer_icon(class_name: str) -> QIcon:
    """The icon of a layer type (KeyError for a class nnstudio has no type for)."""
    return _load(icon_path(layer_type(class_name).icon))


@cache
def error_icon() -> QIcon:
    """A red round icon for layers with a problem."""
    return _load(icon_path("error"))


def _load(path: Path) -> QIcon:
    if not path.is_file():
        raise FileNotFoundError(f"icon file missing: {path}")
    icon = QIcon(str(path))
    if icon.isNull():
        raise ValueError(f"icon file cannot be read: {path}")
    return icon
