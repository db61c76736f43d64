"""What the canvas draws beside a layer's column besides neurons and connections, as plain data.

A drawer module (`recurrent_drawer`, `embedding_drawer`) turns a column and the layer's real
weights into an `OverlayPlan`: heat maps of weight matrices (each a 2-D array of values, already
aggregated in blocks when big, with the scene rectangle it fills), thin frames and curves, and
short labels. `overlay_items.OverlayItems` puts a plan on screen with a few pyqtgraph items (one
ImageItem per heat map, one curve item for all lines). Nothing here imports Qt.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

MAX_IMAGE_ROWS = 256  # a heat map shows at most this many rows; bigger matrices are averaged in blocks
MAX_IMAGE_COLUMNS = 512


@dataclass
class Blocks:
    """A matrix averaged in blocks: the mean and the mean |w| of each block, and where each image
    row and column starts in the matrix (`row_edges[i]` to `row_edges[i + 1]`)."""

    mean: np.ndarray
    mean_abs: np.ndarray
    row_edges: np.ndarray
    col_edges: np.ndarray

    @property
    def aggregated(self) -> bool:
        return self.mean.shape != (self.row_edges[-1], self.col_edges[-1])


def block_means(matrix: np.ndarray, max_rows: int = MAX_IMAGE_ROWS, max_cols: int = MAX_IMAGE_COLUMNS) -> Blocks:
    """`matrix` averaged over blocks of equal size, so that at most max_rows x max_cols remain."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2:
        m = m.reshape(m.shape[0] if m.ndim else 1, -1)
    rows, cols = m.shape
    fr = max(1, math.ceil(rows / max_rows))
    fc = max(1, math.ceil(cols / max_cols))
    row_edges = np.append(np.arange(0, rows, fr), rows)
    col_edges = np.append(np.arange(0, cols, fc), cols)
    if fr == 1 and fc == 1:
        return Blocks(m, np.abs(m), row_edges, col_edges)
    sums = np.add.reduceat(np.add.reduceat(m, row_edges[:-1], axis=0), col_edges[:-1], axis=1)
    abs_sums = np.add.reduceat(np.add.reduceat(np.abs(m), row_edges[:-1], axis=0), col_edges[:-1], axis=1)
    counts = np.outer(np.diff(row_edges), np.diff(col_edges))
    return Blocks(sums / counts, abs_sums / counts, row_edges, col_edges)


def robust_scale(*arrays: np.ndarray) -> float:
    """The |value| that gets the full colour: the 98th percentile of |values| over `arrays`, so a
    few outliers do not wash out the rest (1.0 when all are zero)."""
    if not arrays:
        return 1.0
    values = np.concatenate([np.abs(np.asarray(a, dtype=np.float64)).ravel() for a in arrays])
    if len(values) == 0:
        return 1.0
    scale = float(np.percentile(values, 98))
    if scale <= 0:
        scale = float(values.max())
    return scale if scale > 0 else 1.0


Describe = Callable[[int, int], str]


@dataclass
class HeatMap:
    """One matrix drawn as an image over `rect` = (x, y, width, height) in scene units; image row
    0 is at the top. `values` are what is coloured (block means), `scale` the |value| of full
    colour; `describe(row, col)` is the hover text of one image cell."""

    values: np.ndarray
    rect: tuple[float, float, float, float]
    scale: float
    describe: Describe
    pending: bool = False  # weights not there yet: drawn blank

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """The (row, col) of the image cell at scene point (x, y), or None outside the image."""
        x0, y0, w, h = self.rect
        if not (x0 <= x <= x0 + w and y0 <= y <= y0 + h) or w <= 0 or h <= 0:
            return None
        rows, cols = self.values.shape
        col = min(int((x - x0) / w * cols), cols - 1)
        row = min(int((y0 + h - y) / h * rows), rows - 1)
        return row, col


@dataclass
class Label:
    """A short text at (x, y); `anchor` as pyqtgraph's TextItem takes it."""

    text: str
    x: float
    y: float
    anchor: tuple[float, float] = (0.5, 1.0)
    tooltip: str = ""


@dataclass
class OverlayPlan:
    """Everything drawn for one column: heat maps, lines (x and y arrays, NaN between pieces),
    frames (the same), labels."""

    heatmaps: list[HeatMap] = field(default_factory=list)
    lines_x: list[np.ndarray] = field(default_factory=list)
    lines_y: list[np.ndarray] = field(default_factory=list)
    frames_x: list[np.ndarray] = field(default_factory=list)
    frames_y: list[np.ndarray] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)

    def add_line(self, xs, ys) -> None:
        """A line (drawn in the muted ink): the recurrence loop, a lookup."""
        self.lines_x.append(np.append(np.asarray(xs, dtype=float), np.nan))
        self.lines_y.append(np.append(np.asarray(ys, dtype=float), np.nan))

    def add_frame(self, rect: tuple[float, float, float, float]) -> None:
        """A thin, pale outline around a heat map."""
        x0, y0, w, h = rect
        self.frames_x.append(np.array([x0, x0 + w, x0 + w, x0, x0, np.nan]))
        self.frames_y.append(np.array([y0, y0, y0 + h, y0 + h, y0, np.nan]))

    def describe(self, x: float, y: float) -> str:
        """The hover text of the heat-map cell at (x, y), or ''."""
        for heatmap in self.heatmaps:
            cell = heatmap.cell_at(x, y)
            if cell is not None:
                return heatmap.describe(*cell)
        return ""


def span_text(edges: np.ndarray, i: int, what: str) -> str:
    """`unit 3`, or `units 0–7 (8)` for an aggregated block."""
    start, end = int(edges[i]), int(edges[i + 1])
    if end - start == 1:
        return f"{what} {start}"
    plural = what + ("s" if not what.endswith("s") else "")
    return f"{plural} {start}–{end - 1} ({end - start:,})"


def value_text(blocks: Blocks, row: int, col: int) -> str:
    """`+0.1234`, or for a block `mean +0.0012, mean |w| 0.0400`."""
    r0, r1 = blocks.row_edges[row], blocks.row_edges[row + 1]
    c0, c1 = blocks.col_edges[col], blocks.col_edges[col + 1]
    if (r1 - r0) * (c1 - c0) == 1:
        return f"{blocks.mean[row, col]:+.4f}"
    return f"mean {blocks.mean[row, col]:+.4f}, mean |w| {blocks.mean_abs[row, col]:.4f}"


def unit_rows(col, start: int, count: int) -> tuple[float, float]:
    """Scene (bottom, top) of neurons start .. start + count - 1 of the first row of `col`'s drawing."""
    top = float(col.y_of(start)) + col.pitch / 2
    bottom = float(col.y_of(start + count - 1)) - col.pitch / 2
    return bottom, top
