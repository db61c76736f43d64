"""The colours of the data view: one hue per class, a two-hue scale for targets, and the surface image.

Classes take the canvas's blue and orange first (as TensorFlow Playground does for its two classes),
then further colour-blind-aware hues (Tableau 10's order). The surface behind the points is each
grid point's class hue laid over the background with an opacity that grows with the model's
confidence, so the points stay the strongest marks; a regression surface runs from orange (low)
through the background to blue (high). On a dark theme the hues are lightened as the canvas's are.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtGui

from nnstudio.core.data_plane import confidence, predicted_classes
from nnstudio.ui.canvas.theme import Theme

CLASS_HUES = (
    "#1f6fb4",
    "#e8710a",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
SURFACE_OPACITY = 0.5  # a fully confident grid point: the hue at this opacity over the background


def class_colours(count: int, theme: Theme) -> list[str]:
    """`count` class colours for `theme` (hues repeat after ten)."""
    hues = [theme.positive, theme.negative] + [_for_theme(h, theme) for h in CLASS_HUES[2:]]
    return [hues[i % len(hues)] for i in range(max(count, 0))]


def _for_theme(hue: str, theme: Theme) -> str:
    if not theme.dark:
        return hue
    c = QtGui.QColor(hue)
    return QtGui.QColor.fromHslF(max(c.hslHueF(), 0.0), c.hslSaturationF(), 0.62).name()


def rgb(colours: list[str] | str) -> np.ndarray:
    """Colours as float RGB rows in 0..255."""
    items = [colours] if isinstance(colours, str) else colours
    rows = [(QtGui.QColor(c).red(), QtGui.QColor(c).green(), QtGui.QColor(c).blue()) for c in items]
    return np.array(rows, dtype=np.float64).reshape(-1, 3)


def blend(hues: np.ndarray, opacity: np.ndarray, background: str) -> np.ndarray:
    """RGBA uint8 of `hues` (..., 3) laid over `background` with `opacity` (...) in 0..1."""
    bg = rgb(background)[0]
    out = bg + (hues - bg) * np.clip(opacity, 0.0, 1.0)[..., None]
    alpha = np.full(out.shape[:-1] + (1,), 255.0)
    return np.concatenate([out, alpha], axis=-1).round().astype(np.uint8)


def class_surface(outputs: np.ndarray, classes: int, theme: Theme) -> tuple[np.ndarray, np.ndarray]:
    """(the class of each grid point (size, size), its RGBA image (size, size, 4)) from the model's
    outputs over the grid (size, size, units)."""
    size = outputs.shape[0]
    flat = outputs.reshape(size * size, -1)
    labels = predicted_classes(flat)
    palette = rgb(class_colours(max(classes, int(labels.max(initial=0)) + 1), theme))
    opacity = 0.12 + (SURFACE_OPACITY - 0.12) * confidence(flat)
    image = blend(palette[labels], opacity, theme.background)
    return labels.reshape(size, size), image.reshape(size, size, 4)


def value_scale(
    values: np.ndarray, low: float, high: float, theme: Theme, strength: float = 1.0, neutral: str | None = None
) -> np.ndarray:
    """RGBA uint8 for `values` on a scale from orange (`low`) through `neutral` (the background when
    None) to blue (`high`)."""
    mid, half = (low + high) / 2, max((high - low) / 2, 1e-12)
    t = np.clip((np.asarray(values, dtype=np.float64) - mid) / half, -1.0, 1.0)
    hues = np.where((t >= 0)[..., None], rgb(theme.positive)[0], rgb(theme.negative)[0])
    return blend(hues, np.abs(t) * strength, neutral or theme.background)


def value_surface(outputs: np.ndarray, low: float, high: float, theme: Theme) -> np.ndarray:
    """The RGBA image (size, size, 4) of the first output over the grid on the targets' scale."""
    return value_scale(outputs[..., 0], low, high, theme, SURFACE_OPACITY)
