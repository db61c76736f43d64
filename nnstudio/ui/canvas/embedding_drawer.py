"""Embedding on the canvas: its table as a heat map between the token ids and the vectors.

An Embedding's weights are one table, a row per token id (input_dim x output_dim). The table is
drawn left of the output column with the tokens along x (0 at the left) and the vector's values
along y, each aligned with the output neuron it becomes, so one vertical stripe is the vector a
token turns into. A big vocabulary is averaged over blocks of neighbouring ids (hover says which);
lines from the input's values show where the lookups start.

Plain numpy (no Qt): `plan` makes an `OverlayPlan`.
"""

from __future__ import annotations

import numpy as np

from nnstudio.ui.canvas.overlay import HeatMap, Label, OverlayPlan, block_means, robust_scale, span_text, unit_rows
from nnstudio.ui.canvas.overlay import value_text as block_value

SPACING = 1.6  # the distance from the previous column: room for the table
MARGIN = 0.14  # between the table and the columns either side
MAX_INPUT_LINES = 64


def table_rect(col, prev) -> tuple[float, float, float, float]:
    """The scene rectangle of the table: between `prev` and `col`, as tall as one row of `col`."""
    left = (prev.x + prev.out_dx if prev is not None else col.x - SPACING) + MARGIN
    right = col.x - MARGIN
    bottom, top = unit_rows(col, 0, max(col.block, 1))
    return left, bottom, max(right - left, 1e-3), top - bottom


def plan(col, prev, arrays: list[np.ndarray] | None) -> OverlayPlan:
    out = OverlayPlan()
    rect = table_rect(col, prev)
    x0, y0, w, h = rect
    tokens, dims = int(col.settings["input_dim"]), int(col.settings["output_dim"])
    table = np.asarray(arrays[0]) if arrays else None
    if table is None or table.shape != (tokens, dims):
        out.heatmaps.append(
            HeatMap(np.zeros((1, 1)), rect, 1.0, lambda r, c: f"{col.name}: embedding table pending", True)
        )
    else:
        blocks = block_means(table.T)  # rows: the vector's values (aligned with the output), columns: tokens
        scale = robust_scale(blocks.mean)

        def describe(row: int, column: int) -> str:
            token = span_text(blocks.col_edges, column, "token")
            value = span_text(blocks.row_edges, row, "value")
            return f"{col.name}: embedding of {token}, {value}: {block_value(blocks, row, column)}"

        out.heatmaps.append(HeatMap(blocks.mean, rect, scale, describe))
    out.add_frame(rect)
    out.labels.append(Label("token 0", x0, y0, (0.0, 0.0), "token ids run left to right"))
    out.labels.append(Label(f"{tokens - 1:,}", x0 + w, y0, (1.0, 0.0), f"the last of {tokens:,} token ids"))
    if prev is not None and prev.shape is not None and 0 < prev.n <= MAX_INPUT_LINES:
        ys = np.asarray(prev.y_of(np.arange(prev.n)), dtype=float)
        for y in ys:
            out.add_line([prev.x + prev.out_dx, x0], [y, float(np.clip(y, y0, y0 + h))])
    return out
