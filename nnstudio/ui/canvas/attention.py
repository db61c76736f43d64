"""The canvas drawer of attention layers (`drawing="attention"`): MultiHeadAttention's heads, with
their real weights (Attention and AdditiveAttention: one head, no projections).

`heads_plan` splits the layer's weights (in Keras's `get_weights()` order, matched to the
registry's variables) by projection and head: the query, key, value (and gate) kernels of shape
(features, heads, size) and the output kernel of shape (heads, size, out...) give each head the
mean |w| and the balance of signs sum(w) / sum(|w|) of its slice, as the canvas aggregates any
group of weights. `HeadsItem` draws the heads as a column of boxes between the query, value and
key ports and the output, each joined by a line whose colour and width are those aggregates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from nnstudio.core.layers.base import Shape
from nnstudio.core.layers.registry import layer_type
from nnstudio.ui.canvas.edges import WIDTHS, bin_colour
from nnstudio.ui.canvas.layout import MAGNITUDE_BINS, edge_bins
from nnstudio.ui.canvas.theme import LIGHT_THEME, Theme

# The projection each sublayer makes, and which input (or the output) it joins the heads to.
PROJECTIONS = {
    "query_dense": "query",
    "key_dense": "key",
    "_gate_dense": "gate",
    "value_dense": "value",
    "output_dense": "output",
}


@dataclass(frozen=True)
class HeadWeights:
    """One projection's weights, aggregated per head: mean |w|, balance of signs, mean bias."""

    strength: np.ndarray
    balance: np.ndarray
    bias: np.ndarray | None


@dataclass(frozen=True)
class HeadsPlan:
    """A MultiHeadAttention's heads and each projection's per-head aggregates (query, key, value,
    gate when it has one, output), with the edge bins the canvas colours them by."""

    num_heads: int
    projections: dict[str, HeadWeights]

    def bins(self) -> dict[str, np.ndarray]:
        """Edge bin (sign class x magnitude) of each projection's line to each head, binned across
        every projection at once so that strengths compare between them."""
        roles = list(self.projections)
        if not roles:
            return {}
        strength = np.concatenate([self.projections[r].strength for r in roles])
        balance = np.concatenate([self.projections[r].balance for r in roles])
        binned = edge_bins(strength, balance, None)
        return {role: binned[i * self.num_heads : (i + 1) * self.num_heads] for i, role in enumerate(roles)}


def _per_head(array: np.ndarray, head_axis: int) -> tuple[np.ndarray, np.ndarray]:
    moved = np.moveaxis(np.asarray(array, dtype=np.float64), head_axis, 0)
    flat = moved.reshape(moved.shape[0], -1)
    magnitude = np.abs(flat).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        balance = np.where(magnitude > 0, flat.sum(axis=1) / np.where(magnitude > 0, magnitude, 1), 0.0)
    return magnitude / max(flat.shape[1], 1), balance


def heads_plan(
    class_name: str, settings: Mapping[str, Any], inputs: Sequence[Shape], arrays: Sequence[np.ndarray]
) -> HeadsPlan:
    """The per-head aggregates of an attention layer with `settings`, fed `inputs` (query, value
    and perhaps key shapes), whose weights are `arrays` in Keras's order: a MultiHeadAttention's
    heads and projections; Attention and AdditiveAttention are one head without projections (their
    weights scale the scores). ValueError when the arrays are not the ones the registry declares."""
    kind = layer_type(class_name)
    if kind.drawing != "attention":
        raise ValueError(f"{class_name} is not drawn as attention heads")
    _outputs, variables = kind.infer(settings, list(inputs))
    if [tuple(np.shape(a)) for a in arrays] != [v.shape for v in variables]:
        raise ValueError(
            f"{class_name} weights of shapes {[tuple(np.shape(a)) for a in arrays]} do not match "
            f"{[v.shape for v in variables]}"
        )
    if "num_heads" not in kind.values(settings):
        return HeadsPlan(1, {})
    found: dict[str, dict[str, np.ndarray]] = {}
    for variable, array in zip(variables, arrays, strict=True):
        found.setdefault(variable.store, {})[variable.name] = np.asarray(array)
    heads = kind.values(settings)["num_heads"]
    projections = {}
    for store, role in PROJECTIONS.items():
        if store not in found:
            continue
        weights = found[store]
        head_axis = 0 if role == "output" else 1  # (heads, size, out...) vs (features, heads, size)
        strength, balance = _per_head(weights["kernel"], head_axis)
        bias = None
        if "bias" in weights and role != "output":  # the output's bias is per output value, not per head
            bias = np.asarray(weights["bias"], dtype=np.float64).reshape(heads, -1).mean(axis=1)
        projections[role] = HeadWeights(strength, balance, bias)
    return HeadsPlan(heads, projections)


class HeadsItem(pg.GraphicsObject):
    """The heads of a MultiHeadAttention: a column of boxes at x `middle`, joined to the input ports
    (`ports`: scene points of query, value and key, the key's being the value's when it has none)
    and to the `output` point by lines coloured and sized by each projection's per-head weights
    (grey while the weights are pending: `plan` None)."""

    def __init__(
        self,
        num_heads: int,
        ports: Mapping[str, tuple[float, float]],
        output: tuple[float, float],
        middle: float,
        height: float,
        plan: HeadsPlan | None = None,
        theme: Theme = LIGHT_THEME,
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.ports = {role: QtCore.QPointF(*point) for role, point in ports.items()}
        self.output = QtCore.QPointF(*output)
        self.middle = middle
        self.height = height
        self.plan = plan
        self.theme = theme

    def head_points(self) -> list[QtCore.QPointF]:
        """The centre of each head's box, top to bottom."""
        step = self.height / max(self.num_heads, 1)
        top = self.output.y() + self.height / 2
        return [QtCore.QPointF(self.middle, top - (i + 0.5) * step) for i in range(self.num_heads)]

    def lines(self) -> list[tuple[QtCore.QPointF, QtCore.QPointF, int | None]]:
        """Every line drawn: (from, to, edge bin or None while pending)."""
        bins = self.plan.bins() if self.plan is not None else {}
        found = []
        for h, point in enumerate(self.head_points()):
            for role in ("query", "key", "value", "gate", "output"):
                if role == "gate" and "gate" not in bins:
                    continue
                start = self.ports.get("query" if role == "gate" else role, self.ports.get("value"))
                ends = (point, self.output) if role == "output" else (start, point)
                if ends[0] is None:
                    continue
                found.append((ends[0], ends[1], int(bins[role][h]) if role in bins else None))
        return found

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 - Qt's name
        points = [*self.ports.values(), self.output, *self.head_points()]
        xs, ys = [p.x() for p in points], [p.y() for p in points]
        pad = self.height / max(self.num_heads, 1) / 2
        return QtCore.QRectF(min(xs) - pad, min(ys) - pad, max(xs) - min(xs) + 2 * pad, max(ys) - min(ys) + 2 * pad)

    def paint(self, painter: QtGui.QPainter, *args: Any) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        for start, end, bin_index in self.lines():
            if bin_index is None:
                pen = QtGui.QPen(QtGui.QColor(self.theme.pending))
                pen.setWidthF(WIDTHS[0])
            else:
                pen = QtGui.QPen(bin_colour(bin_index, theme=self.theme))
                pen.setWidthF(WIDTHS[bin_index % MAGNITUDE_BINS])
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawLine(start, end)
        outline = QtGui.QPen(QtGui.QColor(self.theme.ink))
        outline.setCosmetic(True)
        painter.setPen(outline)
        painter.setBrush(QtGui.QColor(self.theme.neutral_fill))
        half = self.height / max(self.num_heads, 1) * 0.35
        for point in self.head_points():
            painter.drawRect(QtCore.QRectF(point.x() - half, point.y() - half, 2 * half, 2 * half))
