"""Recurrent layers on the canvas: the unit column, and beside it the gate bands of the real weights.

SimpleRNN, LSTM, GRU (and Bidirectional's two directions) keep, per gate (LSTM: i f c o; GRU:
z r h; SimpleRNN: one), three weight blocks side by side in Keras's layout: the input weights
(`kernel`, features x gates*units), the recurrent weights from the previous step's output
(`recurrent_kernel`, units x gates*units) and the bias. Right of the units each gate gets a band
of three heat maps whose rows are the units, so a row reads across as everything that drives
that unit's gate: its input weights, its recurrent weights, its bias. A loop under the column
shows the output going back in at the next step. The connections from the previous layer carry
the input weights of the gate that makes the new state (SimpleRNN's only one, LSTM's cell
candidate c, GRU's candidate h); the neurons' fill is that gate's bias.

Plain numpy (no Qt): `plan` makes an `OverlayPlan`, `edge_weights` the kernel and biases the
connections and neurons show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.ui.canvas.overlay import HeatMap, Label, OverlayPlan, block_means, robust_scale, span_text, unit_rows
from nnstudio.ui.canvas.overlay import value_text as block_value

ROOM = 1.3  # scene width right of the unit column taken by the gate bands (columns are 1.0 apart)
BLOCK_LEFT = 0.26  # where the bands start, right of the units (and of the counts of grouped units)
BLOCK_RIGHT = 0.06  # room left free at the right end
GATES = {"SimpleRNN": "h", "LSTM": "ifco", "GRU": "zrh"}
GATE_NAMES = {
    ("SimpleRNN", "h"): "state",
    ("LSTM", "i"): "input gate",
    ("LSTM", "f"): "forget gate",
    ("LSTM", "c"): "cell candidate",
    ("LSTM", "o"): "output gate",
    ("GRU", "z"): "update gate",
    ("GRU", "r"): "reset gate",
    ("GRU", "h"): "candidate",
}
STATE_GATE = {"SimpleRNN": 0, "LSTM": 2, "GRU": 2}  # the gate whose input weights the connections show
# (part, Keras's variable, share of a gate band's width)
PARTS = (("input", "kernel", 0.42), ("recurrent", "recurrent_kernel", 0.42), ("bias", "bias", 0.16))


@dataclass
class Direction:
    """One recurrent layer run over the sequence (a Bidirectional has two)."""

    label: str  # "" for a plain RNN, "forward" / "backward"
    class_name: str
    units: int
    offset: int  # its units start at this neuron of the column
    x0: float
    x1: float
    arrays: dict[str, np.ndarray] | None  # kernel, recurrent_kernel, bias (None while pending)
    reset_after: bool = False

    @property
    def gates(self) -> str:
        return GATES[self.class_name]

    def gate_block(self, name: str, gate: int) -> np.ndarray | None:
        """The `name` weights of one gate with the units as rows: input (units, features),
        recurrent (units, units) or bias (units, 1; GRU with reset_after: units, 2)."""
        if self.arrays is None or name not in self.arrays:
            return None
        a = np.asarray(self.arrays[name])
        u = self.units
        cols = slice(gate * u, (gate + 1) * u)
        if name == "bias":
            return a[:, cols].T if a.ndim == 2 else a[cols].reshape(u, 1)
        return a[:, cols].T


def _stored(col, arrays: list[np.ndarray] | None, store: str) -> dict[str, np.ndarray] | None:
    """The arrays of the variables kept at `store`, by Keras's variable name."""
    if arrays is None:
        return None
    return {
        name: np.asarray(a)
        for name, where, a in zip(col.weight_names, col.weight_stores, arrays, strict=False)
        if where == store
    }


def directions(col, arrays: list[np.ndarray] | None) -> list[Direction]:
    """The recurrent layers of column `col` (its settings and Keras weights), placed right of it."""
    x0, x1 = col.x + BLOCK_LEFT, col.x + ROOM - BLOCK_RIGHT
    s = col.settings
    if col.class_name != "Bidirectional":
        return [
            Direction(
                "", col.class_name, s["units"], 0, x0, x1, _stored(col, arrays, "cell"), bool(s.get("reset_after"))
            )
        ]
    forward = s["layer"]
    backward = s.get("backward_layer") or {**forward, "go_backwards": True}
    concat = s.get("merge_mode") == "concat"
    mid = (x0 + x1) / 2
    found = []
    for label, entry, store, place in (
        ("forward", forward, "forward_layer/cell", (x0, x1) if concat else (x0, mid - 0.015)),
        ("backward", backward, "backward_layer/cell", (x0, x1) if concat else (mid + 0.015, x1)),
    ):
        offset = forward["units"] if concat and label == "backward" else 0
        found.append(
            Direction(
                label,
                entry["class_name"],
                entry["units"],
                offset,
                place[0],
                place[1],
                _stored(col, arrays, store),
                bool(entry.get("reset_after")),
            )
        )
    return found


def edge_weights(col, prev, arrays: list[np.ndarray]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The kernel the connections from `prev` draw (the state gate's input weights, features x
    units; repeated for every time step of a fixed-length input) and each neuron's bias."""
    parts = [(d, d.arrays) for d in directions(col, arrays) if d.arrays is not None and "kernel" in d.arrays]
    if not parts:
        return None, None
    if col.class_name == "Bidirectional" and col.settings.get("merge_mode") != "concat":
        parts = parts[:1]  # merged into the same units: the forward layer's
    kernels, biases = [], []
    for d, stored in parts:
        gate = STATE_GATE[d.class_name]
        kernels.append(np.asarray(stored["kernel"])[:, gate * d.units : (gate + 1) * d.units])
        bias = d.gate_block("bias", gate)
        biases.append(bias[:, 0] if bias is not None else np.zeros(d.units))
    kernel = np.concatenate(kernels, axis=1)
    bias = np.concatenate(biases) if any("bias" in stored for _d, stored in parts) else None
    steps_in = prev.n // max(prev.block, 1) if prev is not None and prev.shape else 1
    steps_out = col.n // max(col.block, 1) if col.shape else 1
    if steps_in > 1 and kernel.shape[0] * steps_in == prev.n:
        if steps_out == steps_in and kernel.size * steps_in * steps_in <= 16_000_000:
            kernel = np.kron(np.eye(steps_in, dtype=kernel.dtype), kernel)  # step t feeds step t
        elif steps_out == 1:
            kernel = np.tile(kernel, (steps_in, 1))  # every step feeds the last one's units
    return kernel, bias


def plan(col, prev, arrays: list[np.ndarray] | None) -> OverlayPlan:
    """The gate bands, the loop and their labels for a recurrent column (blank while pending)."""
    out = OverlayPlan()
    found = directions(col, arrays)
    lowest = min(unit_rows(col, d.offset, d.units)[0] for d in found) if found else None
    for d in found:
        bottom, top = unit_rows(col, d.offset, d.units)
        scales = {}
        for part, variable, _share in PARTS:
            blocks = [d.gate_block(variable, g) for g in range(len(d.gates))]
            known = [b for b in blocks if b is not None]
            scales[part] = robust_scale(*known) if known else 1.0
        gap = 0.03 * (d.x1 - d.x0)
        band = (d.x1 - d.x0 - gap * (len(d.gates) - 1)) / len(d.gates)
        for g, letter in enumerate(d.gates):
            bx = d.x0 + g * (band + gap)
            x = bx
            for part, variable, share in PARTS:
                width = band * share
                rect = (x + 0.004, bottom, width - 0.008, top - bottom)
                matrix = d.gate_block(variable, g)
                if part == "bias" and matrix is None and d.arrays is not None:
                    x += width
                    continue  # use_bias off: no bias strip
                out.heatmaps.append(_heatmap(col, d, g, part, matrix, rect, scales[part]))
                x += width
            out.add_frame((bx, bottom, band, top - bottom))
            if bottom == lowest:
                tip = f"{GATE_NAMES[(d.class_name, letter)]}: input weights · recurrent weights · bias"
                out.labels.append(Label(letter, bx + band / 2, bottom, (0.5, 0.0), tip))
        if d.label:  # which direction: right of its bands (side by side, under them)
            arrow = "→" if d.label == "forward" else "←"
            tip = f"{d.label} {d.class_name}: {d.units} units"
            if col.settings.get("merge_mode") == "concat":
                out.labels.append(Label(arrow, d.x1 + 0.01, (top + bottom) / 2, (0.0, 0.5), tip))
            else:
                out.labels.append(Label(f"{arrow} {d.label}", (d.x0 + d.x1) / 2, top, (0.5, 1.0), tip))
    if lowest is not None:
        _loop(out, col, found, lowest)
    return out


def _heatmap(col, d: Direction, gate: int, part: str, matrix, rect, scale: float) -> HeatMap:
    letter = d.gates[gate]
    where = f"{col.name}: {(d.label + ' ') if d.label else ''}{d.class_name} · {GATE_NAMES[(d.class_name, letter)]} ({letter})"
    if matrix is None:  # pending
        return HeatMap(
            np.zeros((max(d.units, 1), 1)), rect, 1.0, lambda r, c: f"{where} · {part} weights pending", True
        )
    blocks = block_means(matrix)

    def describe(row: int, column: int) -> str:
        unit = span_text(blocks.row_edges + d.offset, row, "unit")
        value = block_value(blocks, row, column)
        if part == "input":
            return f"{where}\ninput weight, {span_text(blocks.col_edges, column, 'input')} → {unit}: {value}"
        if part == "recurrent":
            source = span_text(blocks.col_edges, column, "unit")
            return f"{where}\nrecurrent weight, {source} (previous step) → {unit}: {value}"
        which = "bias" if blocks.mean.shape[1] == 1 else ("input bias", "recurrent bias")[min(column, 1)]
        return f"{where}\n{which} of {unit}: {value}"

    return HeatMap(blocks.mean, rect, scale, describe)


def loop_depth(col) -> float:
    """How far under the column the loop reaches (scene units)."""
    return 0.1 * col.height + 0.8


def _loop(out: OverlayPlan, col, found: list[Direction], lowest: float) -> None:
    """A line from under the units round into the bands (between the first two, clear of the gate
    letters): the output fed back at the next step."""
    depth = loop_depth(col)
    below = lowest - depth
    start = float(col.y_of(col.n - 1)) - col.pitch
    d = found[-1]
    gates = len(d.gates)
    gap = 0.03 * (d.x1 - d.x0)
    band = (d.x1 - d.x0 - gap * (gates - 1)) / gates
    x_in = d.x0 + band + gap / 2 if gates > 1 else d.x0 + band * 0.63  # a SimpleRNN: into its recurrent part
    tip = lowest - 0.05 * depth
    out.add_line([col.x, col.x, x_in, x_in], [start, below, below, tip])
    head = 0.12 * depth
    out.add_line([x_in - 0.025, x_in, x_in + 0.025], [tip - head, tip, tip - head])
    out.labels.append(
        Label(
            "output → next step", (col.x + x_in) / 2, below, (0.5, 0.0), "the output goes back in at the next time step"
        )
    )
