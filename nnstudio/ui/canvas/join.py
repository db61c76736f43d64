"""The canvas drawer of merging layers (`drawing="merge"`): a join node where its inputs meet.

`join_edges` says which value of each input feeds which value of the output, as the layer
computes it: element-wise merges broadcast (a size-1 or missing axis feeds every position along
it), Concatenate places each input in its slice along the axis, Dot feeds each output value from
a row of each input. The edges are plain numpy index arrays (value indices in row-major order of
the drawn shapes, an axis of varying size drawn as one step), so the layout can group and draw
them as it draws any identity link. `JoinItem` draws the node: a circle with the merge's symbol
and a line from each input's port.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from nnstudio.core.layers.base import Shape
from nnstudio.core.layers.registry import layer_type
from nnstudio.ui.canvas.layout import drawn_shape
from nnstudio.ui.canvas.theme import LIGHT_THEME, Theme

MAX_JOIN_EDGES = 2_000_000  # beyond this many value-to-value edges a join is drawn without them

# What the node says, by merging class (Dot's depends on normalize).
SYMBOLS = {
    "Add": "+",
    "Subtract": "−",
    "Multiply": "×",
    "Average": "mean",
    "Maximum": "max",
    "Minimum": "min",
    "Concatenate": "concat",
    "CustomScaleLayer": "+·s",  # a + b * scale
    "ops.Add": "+",
    "ops.Multiply": "×",
}

Edges = tuple[np.ndarray, np.ndarray]  # (input value index, output value index) per edge


def symbol(class_name: str, params: Mapping[str, Any]) -> str:
    """The text on a merge's join node."""
    if class_name == "Dot":
        return "cos" if params.get("normalize") else "·"
    return SYMBOLS[class_name]


def join_edges(
    class_name: str, params: Mapping[str, Any], inputs: Sequence[Shape], output: Shape
) -> list[Edges] | None:
    """For each input, which of its values feeds which output value; None when there would be more
    than MAX_JOIN_EDGES (the join is then drawn as a node only)."""
    kind = layer_type(class_name)
    if kind.drawing != "merge":
        raise ValueError(f"{class_name} is not drawn as a join")
    shapes = [drawn_shape(s) or () for s in inputs]
    out = drawn_shape(output) or ()
    if class_name == "Concatenate":
        return _concatenate(kind.values(params)["axis"], shapes, out)
    if class_name == "Dot":
        return _dot(kind.values(params), shapes, out)
    return _broadcast(shapes, out)


def _too_many(count: int) -> bool:
    return count > MAX_JOIN_EDGES


def _index(shape: tuple[int, ...]) -> np.ndarray:
    return np.arange(math.prod(shape), dtype=np.int64).reshape(shape)


def _first_steps(index: np.ndarray, out: tuple[int, ...], skip: int | None = None) -> np.ndarray:
    """`index` cut to the output's drawn sizes where the output's axis varies (drawn as one step)
    and the input's does not; axis `skip` is left whole."""
    cut = tuple(
        slice(None) if axis == skip or size <= 1 or size <= out[axis] else slice(0, out[axis])
        for axis, size in enumerate(index.shape)
    )
    return index[cut]


def _broadcast(shapes: list[tuple[int, ...]], out: tuple[int, ...]) -> list[Edges] | None:
    n = math.prod(out)
    if _too_many(n * len(shapes)):
        return None
    edges = []
    for shape in shapes:
        index = _first_steps(_index((1,) * (len(out) - len(shape)) + shape), out)
        edges.append((np.broadcast_to(index, out).ravel(), np.arange(n, dtype=np.int64)))
    return edges


def _concatenate(axis: int, shapes: list[tuple[int, ...]], out: tuple[int, ...]) -> list[Edges] | None:
    if _too_many(math.prod(out)):
        return None
    if len(shapes) == 1 or axis == 0 or axis == -(len(out) + 1):  # one input, or along the batch: a copy
        return [(np.arange(math.prod(s), dtype=np.int64), np.arange(math.prod(s), dtype=np.int64)) for s in shapes]
    position = (axis if axis > 0 else len(out) + 1 + axis) - 1  # without the batch axis
    index = _index(out)
    sizes = [s[position] for s in shapes]
    if sum(sizes) != out[position]:  # the joined axis varies: every input's first step meets in its one step
        return [(np.broadcast_to(_first_steps(_index(s), out), out).ravel(), index.ravel()) for s in shapes]
    parts = np.split(index, np.cumsum(sizes)[:-1], axis=position)
    return [
        (np.broadcast_to(_first_steps(_index(s), out, skip=position), part.shape).ravel(), part.ravel())
        for s, part in zip(shapes, parts, strict=True)
    ]


def _dot(values: Mapping[str, Any], shapes: list[tuple[int, ...]], out: tuple[int, ...]) -> list[Edges] | None:
    first, second = shapes
    axes = values["axes"]
    pair = [axes, axes] if isinstance(axes, int) else list(axes)
    contracted = [(a % (len(s) + 1)) - 1 for a, s in zip(pair, (first, second), strict=True)]
    free = [tuple(d for i, d in enumerate(s) if i != c) for s, c in zip((first, second), contracted, strict=True)]
    count = math.prod(first) * math.prod(free[1]) + math.prod(second) * math.prod(free[0])
    if _too_many(count):
        return None
    grid = np.arange(math.prod(out), dtype=np.int64).reshape(math.prod(free[0]), math.prod(free[1]))
    edges = []
    for which, (shape, c) in enumerate(zip((first, second), contracted, strict=True)):
        index = np.moveaxis(np.arange(math.prod(shape), dtype=np.int64).reshape(shape), c, -1)
        rows = index.reshape(-1, shape[c])  # one row per free position, the contracted values along it
        targets = grid if which == 0 else grid.T  # the outputs each free position of this input feeds
        src = np.repeat(rows, targets.shape[1], axis=1).ravel()
        dst = np.repeat(targets, shape[c], axis=0).reshape(rows.shape[0], -1).ravel()
        edges.append((src, dst))
    return edges


class JoinItem(pg.GraphicsObject):
    """A merge drawn as a join node: a circle at `center` with the merge's symbol, and a line to it
    from each input's port (scene positions, in the order the layer takes its inputs)."""

    def __init__(
        self,
        text: str,
        center: tuple[float, float],
        ports: Sequence[tuple[float, float]],
        radius: float = 0.12,
        theme: Theme = LIGHT_THEME,
    ) -> None:
        super().__init__()
        self.text = text
        self.center = QtCore.QPointF(*center)
        self.ports = [QtCore.QPointF(*p) for p in ports]
        self.radius = radius
        self.theme = theme

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 - Qt's name
        points = [*self.ports, self.center]
        xs, ys = [p.x() for p in points], [p.y() for p in points]
        r = self.radius
        return QtCore.QRectF(min(xs) - r, min(ys) - r, max(xs) - min(xs) + 2 * r, max(ys) - min(ys) + 2 * r)

    def paint(self, painter: QtGui.QPainter, *args: Any) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        pen = QtGui.QPen(QtGui.QColor(self.theme.identity))
        pen.setCosmetic(True)
        pen.setWidthF(1.5)
        painter.setPen(pen)
        for port in self.ports:
            painter.drawLine(port, self.center)
        painter.setBrush(QtGui.QColor(self.theme.neutral_fill))
        outline = QtGui.QPen(QtGui.QColor(self.theme.ink))
        outline.setCosmetic(True)
        outline.setWidthF(1.5)
        painter.setPen(outline)
        painter.drawEllipse(self.center, self.radius, self.radius)
        painter.save()
        painter.translate(self.center)
        scale = self.radius / 12.0  # the text is laid out in a 24-unit box, then scaled to the circle
        painter.scale(scale, -scale if painter.transform().m22() < 0 else scale)
        font = painter.font()
        font.setPixelSize(max(4, min(16, int(22 / (0.62 * max(len(self.text), 1))))))  # fits the circle
        painter.setFont(font)
        painter.drawText(QtCore.QRectF(-12, -12, 24, 24), QtCore.Qt.AlignmentFlag.AlignCenter, self.text)
        painter.restore()
