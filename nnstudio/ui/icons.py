"""Icons for layer types: a small rounded tile per type, coloured by family, from resources/icons/*.svg.

Families share a colour so a stack reads at a glance: input (green), core (blue), activation
(orange), regularisation (purple), normalisation (teal), reshaping (slate). `layer_color` gives
the family colour to other views (the canvas may use it).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap

from nnstudio.core.resources import resource

ICON_DIR = resource("icons")

FAMILIES: dict[str, tuple[str, str]] = {  # class name -> (family, colour)
    "Input": ("input", "#16a34a"),
    "Dense": ("core", "#2563eb"),
    "Activation": ("activation", "#ea580c"),
    "Dropout": ("regularization", "#9333ea"),
    "BatchNormalization": ("normalization", "#0d9488"),
    "LayerNormalization": ("normalization", "#0d9488"),
    "Flatten": ("reshaping", "#475569"),
    "Reshape": ("reshaping", "#475569"),
}
OTHER_COLOR = "#64748b"
ERROR_COLOR = "#dc2626"
ERROR_COLOR_ON_DARK = "#f87171"


def snake_case(class_name: str) -> str:
    """BatchNormalization -> batch_normalization (the icon's file stem)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


def icon_path(name: str) -> Path:
    """The SVG file for an icon stem (`dense`, `error`, ...)."""
    return ICON_DIR / f"{name}.svg"


def layer_color(class_name: str) -> QColor:
    """The colour of the layer type's family."""
    return QColor(FAMILIES.get(class_name, ("", OTHER_COLOR))[1])


def layer_family(class_name: str) -> str:
    return FAMILIES.get(class_name, ("other", OTHER_COLOR))[0]


def error_color(palette: QPalette | None = None) -> QColor:
    """The red of problems, lighter on a dark palette so it stays readable."""
    palette = palette if palette is not None else QGuiApplication.palette()
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return QColor(ERROR_COLOR_ON_DARK if dark else ERROR_COLOR)


@cache
def layer_icon(class_name: str) -> QIcon:
    """The icon of a layer type (a generic tile for types without their own)."""
    path = icon_path(snake_case(class_name))
    if not path.is_file():
        path = icon_path("layer")
    return _load(path, layer_color(class_name))


@cache
def error_icon() -> QIcon:
    """A red round icon for layers with a problem."""
    return _load(icon_path("error"), QColor(ERROR_COLOR))


def _load(path: Path, fallback: QColor) -> QIcon:
    if path.is_file():
        icon = QIcon(str(path))
        if not icon.isNull():
            return icon
    return _tile(fallback)  # resources missing (an unusual install): a plain coloured tile


def _tile(color: QColor) -> QIcon:
    pixmap = QPixmap(48, 48)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawRoundedRect(QRectF(2, 2, 44, 44), 11, 11)
    painter.end()
    return QIcon(pixmap)
