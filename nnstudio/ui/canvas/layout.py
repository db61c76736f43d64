"""Level-of-detail layout of the network drawing, in plain numpy (no Qt, testable alone).

The canvas draws each layer's output as a column of neurons. A column taller than the screen can
show is drawn as groups of 2**k neurons; the connections between two groups carry the aggregated
kernel: the mean of |w| over the block and the balance of signs, sum(w) / sum(|w|) in [-1, 1].

The aggregation is vectorised and mostly done once per arrival of weights: `KernelPyramid` keeps
block sums of |w| and w at a coarse base level (computed in one cache-friendly pass over the
kernel) and every coarser power-of-two level; finer levels are summed on demand over the visible
window only, so a view change costs about what is on screen, not the size of the model.
"""

from __future__ import annotations

import copy
import functools
import math
import operator
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from nnstudio.core import kernel_sums
from nnstudio.core.layers.base import Shape, size_text
from nnstudio.core.layers.registry import layer_types
from nnstudio.core.shapes import LayerError, infer_all
from nnstudio.ui.canvas import embedding_drawer, feature_maps, recurrent_drawer
from nnstudio.ui.canvas.overlay import OverlayPlan

# Geometry in scene units: a column's height grows with the square root of its size, so that a
# layer of 10 and one of 4096 both stay readable side by side (64 neurons: 64 units).
FULL_HEIGHT = 64.0
SOFT_COUNT = 1024  # columns grow as the square root of their size up to this many neurons (256 units tall)
SOFT_DOUBLINGS = 10  # and beyond it by this share of that height per doubling (a million: twice as tall)
MAIN_SPACING = 1.0  # horizontal distance before a Dense column
STAGE_SPACING = 0.45  # before a per-neuron stage (Dropout, BatchNormalization, ...) or a regrouping
POOL_SPACING = 0.6  # before a pooling's feature maps
GAP = 0.6  # vertical gap (in neuron pitches) between rows of a multi-dimensional shape

MIN_PX = 3.8  # a group of neurons is at least this many pixels tall (64 neurons fit in 245 px)
MAX_VISIBLE = 64  # at most this many groups of one column on screen (edges grow as the square)
EDGE_BUDGET = 8_000  # at most about this many connections drawn at once (coarser groups beyond)
TILES_KEY = "tiles"  # begins a convolution's key in apply_weights' cache (a pyramid's begins with an id)
WINDOW_MARGIN = 0.25  # fraction of the view height laid out above and below the view
BASE_ELEMENTS = kernel_sums.BASE_ELEMENTS  # a kernel's stored base level has at most about this many blocks
# the |w| quartiles that bin single weights' widths are read off a sample of about this many values
# (within ~1% of the whole kernel's; a partition of 65k values took 1.5 ms a kernel, ConvNeXt has 67)
QUANTILE_SAMPLE = 16_384
KRON_LIMIT = 16_000_000  # a Dense on rows is drawn block-diagonal up to this many values
# A column of more neurons than this is drawn as a box with its count: neuron indices are int64 and
# scene positions float64 (a zero-parameter model can have 10**48 outputs, and Keras builds it).
MAX_DRAWN_NEURONS = 2**48

# Edge bins: sign class (positive, negative, mixed) x magnitude bin.
SIGN_CLASSES = ("positive", "negative", "mixed")
MAGNITUDE_BINS = 4
MIXED_BALANCE = 0.2  # |balance| below this counts as a mix of signs


def column_height(n: int) -> float:
    """Scene height of a column of `n` neurons: the square root of its size up to SOFT_COUNT
    neurons, then only a little more per doubling, so that one huge layer (a million units) stands
    at most about eight times as tall as a layer of 64 instead of flattening every other column."""
    n = max(n, 1)
    if n <= SOFT_COUNT:
        return math.sqrt(n * FULL_HEIGHT)
    return math.sqrt(SOFT_COUNT * FULL_HEIGHT) * (1 + math.log2(n / SOFT_COUNT) / SOFT_DOUBLINGS)


@functools.lru_cache(maxsize=4096)
def _measures(shape: tuple[int, ...] | None) -> tuple[int, int, float, float]:
    """A column's neuron count, neurons per row, height and pitch for its drawn shape (a model
    repeats a few shapes many times)."""
    n = int(math.prod(shape)) if shape is not None else 0
    block = max(shape[-1], 1) if shape and len(shape) >= 2 else max(n, 1)
    height = column_height(n)
    rows = n // block if n else 1
    return n, block, height, height / (max(n, 1) + GAP * (rows - 1))


@dataclass
class Column:
    """One column of neurons: the output of a layer (or the model's input)."""

    layer_index: int  # position in spec.layers
    name: str
    class_name: str
    kind: str  # the drawer's column: "input", "dense", "stage", "regroup", "conv", "pool"; "error" when it cannot be drawn
    shape: tuple[int, ...] | None  # as drawn: an axis of varying size is drawn as one step
    x: float
    activation: str | None = None
    detail: str = ""
    error: str | None = None
    bias: np.ndarray | None = None  # per neuron, or per neuron of a row (Dense); prefix sums in _bias_cum
    stage_values: dict[str, np.ndarray] = field(default_factory=dict)  # per neuron (BatchNormalization, ...)
    weight_names: tuple[str, ...] = ()  # the layer's variables in Keras's order (kernel, bias, gamma, ...)
    weight_shapes: tuple[tuple[int, ...], ...] = ()  # and their shapes
    varying: bool = False  # an axis of the real shape varies in size (None)
    drawing: str = ""  # the layer type's drawing kind (a key of DRAWERS)
    settings: dict[str, Any] = field(default_factory=dict)  # the layer's parameter values, for its drawer
    weight_stores: tuple[str, ...] = ()  # where Keras keeps each variable (`cell`, `forward_layer/cell`)
    out_dx: float = 0.0  # scene width right of the neurons that the drawer takes; connections out start there
    below: float = 0.0  # scene height under the column that the drawer takes (a recurrence loop)
    bias_label: str = "bias"  # what the neurons' fill shows
    neurons: bool = True  # drawn as neurons; False: as feature maps (conv_drawer.py)
    figure: object | None = None  # what the drawer's `attach` made from the weights (kernel tiles, ...)
    _bias_cum: np.ndarray | None = None

    @cached_property
    def n(self) -> int:
        return _measures(None if self.shape is None else tuple(self.shape))[0]

    @cached_property
    def block(self) -> int:
        """Neurons per row: the last axis of a multi-dimensional shape, else all of them."""
        return _measures(None if self.shape is None else tuple(self.shape))[1]

    @cached_property
    def height(self) -> float:
        return _measures(None if self.shape is None else tuple(self.shape))[2]

    @cached_property
    def pitch(self) -> float:
        """Scene distance between neighbouring neurons of one row."""
        return _measures(None if self.shape is None else tuple(self.shape))[3]

    def y_of(self, index: np.ndarray | float) -> np.ndarray:
        """Scene y of neuron `index` (may be fractional); index 0 at the top."""
        idx = np.asarray(index, dtype=np.float64)
        rows = np.floor(np.clip(idx, 0, max(self.n - 1, 0)) / self.block)
        return self.height / 2 - (idx + 0.5 + GAP * rows) * self.pitch

    def y_at(self, index: float) -> float:
        """`y_of` for one index, in plain floats (numpy's scalar calls cost microseconds each)."""
        rows = math.floor(min(max(index, 0), max(self.n - 1, 0)) / self.block)
        return self.height / 2 - (index + 0.5 + GAP * rows) * self.pitch

    def index_of(self, y: float) -> float:
        """`index_at` for one height, in plain floats."""
        slots = (self.height / 2 - y) / self.pitch - 0.5
        if self.block >= self.n:
            return slots
        return slots - GAP * math.floor(max(slots, 0.0) / (self.block + GAP))

    def index_at(self, y: float | np.ndarray) -> np.ndarray:
        """The (fractional) neuron index at scene height `y` (inverse of `y_of`, up to gaps)."""
        slots = (self.height / 2 - np.asarray(y, dtype=np.float64)) / self.pitch - 0.5
        if self.block >= self.n:
            return slots
        return slots - GAP * np.floor(np.clip(slots, 0, None) / (self.block + GAP))

    def set_bias(self, bias: np.ndarray | None) -> None:
        if bias is None:
            self.bias = None
            self._bias_cum = None
            return
        # one value per neuron, or per neuron of one row when the layer applies them to each row (a
        # Dense on (56, 56, 384) has 384 biases for 1.2 M neurons: they are not repeated in memory)
        self.bias = np.asarray(bias, dtype=np.float64).ravel()
        self._bias_cum = np.concatenate(([0.0], np.cumsum(self.bias)))

    def bias_means(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray | None:
        """Mean bias of each group [starts, ends) (None: the biases do not fit the neurons)."""
        if self._bias_cum is None or self.bias is None or not self.bias.size or self.n % self.bias.size:
            return None
        return (self._bias_before(ends) - self._bias_before(starts)) / np.maximum(ends - starts, 1)

    def _bias_before(self, index: np.ndarray) -> np.ndarray:
        """The sum of the biases of the neurons before each `index` (the biases repeat every row)."""
        assert self.bias is not None and self._bias_cum is not None
        row, at = np.divmod(index, self.bias.size)
        return row * self._bias_cum[-1] + self._bias_cum[at]


@dataclass
class Link:
    """How column `dst` is computed from column `src`: a Dense kernel or one value to one value."""

    src: int
    dst: int
    kind: str  # "dense" or "identity"
    layer_name: str = ""
    pyramid: KernelPyramid | None = None  # None for identity links and while weights are pending
    shared_rows: int = 1  # a Dense on (a, f) applies its kernel to each of a rows


def blocksum(m: np.ndarray, fr: int, fc: int) -> np.ndarray:
    """Sums over blocks of fr x fc entries (the last blocks may be smaller)."""
    if fr > 1:
        m = np.add.reduceat(m, np.arange(0, m.shape[0], fr), axis=0)
    if fc > 1:
        m = np.add.reduceat(m, np.arange(0, m.shape[1], fc), axis=1)
    return m


def halve(m: np.ndarray) -> np.ndarray:
    """`blocksum(m, 2, 2)`, the same sums in the same order (rows first), made from four strided
    views: ten times faster than `reduceat` on the small arrays of a pyramid's upper levels."""
    r, c = m.shape
    if r % 2 or c % 2:  # a zero added to the last, partial blocks changes no sum
        padded = np.zeros((r + r % 2, c + c % 2), dtype=m.dtype)
        padded[:r, :c] = m
        m = padded
    rows = m[0::2] + m[1::2]
    return rows[:, 0::2] + rows[:, 1::2]


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


class KernelPyramid:
    """Block sums of |w| and w of a 2-D kernel at power-of-two block sizes.

    Levels >= `base` are stored (the base in one pass over the kernel, the others from it);
    finer levels are summed over the requested window of the raw kernel only.
    """

    def __init__(self, kernel: np.ndarray, source: np.ndarray | None = None) -> None:
        self.source = source if source is not None else kernel  # the array it was given
        k = np.asarray(kernel)
        if k.ndim != 2:  # a kernel of more axes is drawn as its matrix (every axis but the last as rows)
            k = kernel_sums.as_matrix(k) if k.ndim > 2 else k.reshape(-1, 1)
        same_values = k.dtype in (np.float32, np.float64)
        if not same_values:
            k = k.astype(np.float32)
        self.kernel = k
        self.shape = k.shape
        self.base = kernel_sums.base_level(k.size, BASE_ELEMENTS)
        self.levels: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.levels[self.base] = self._base_sums(kernel if same_values else None)
        self.quantiles = self._abs_quantiles()
        # Whether the kernel holds NaN or infinite weights (a file's may), as its base sums say:
        # known where the pyramid is built (the canvas's worker for big models), not when the
        # status text first asks on the GUI thread (a pass over the base sums of every kernel).
        self.has_non_finite = not bool(np.isfinite(self.levels[self.base][0]).all())

    def _base_sums(self, given: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The base level: the sums that came with the kernel (summed by the engine) when they
        describe this very matrix at this level, else one pass over the kernel here."""
        known = kernel_sums.recall(given) if given is not None else None
        if (
            known is not None
            and known.level == self.base
            and known.abs_sums.shape == kernel_sums.blocks_shape(self.shape, self.base)
        ):
            self.precomputed = True
            return known.abs_sums, known.signed_sums
        self.precomputed = False
        sums = kernel_sums.block_sums(self.kernel, self.base)
        return sums.abs_sums, sums.signed_sums

    def _abs_quantiles(self) -> np.ndarray:
        """|w| at the 25th, 50th and 75th percentiles (from a strided sample of about QUANTILE_SAMPLE values)."""
        k = self.kernel
        if k.size == 0:
            return np.zeros(3)
        # whole rows spread over the kernel: contiguous reads
        rows = max(1, min(k.shape[0], QUANTILE_SAMPLE // max(k.shape[1], 1)))
        sample = k[np.linspace(0, k.shape[0] - 1, rows).astype(np.int64)].reshape(-1)[:262_144]
        return quartiles(np.abs(sample))

    def level(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Stored block sums at level k >= base (2**k x 2**k blocks)."""
        if k in self.levels:
            return self.levels[k]
        below = self.level(k - 1)
        sums = (halve(below[0]), halve(below[1]))
        self.levels[k] = sums
        return sums

    def sums(self, a: int, b: int, rows: tuple[int, int], cols: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Block sums (|w|, w) for groups of 2**a rows x 2**b columns over the aligned window."""
        r0, r1 = rows
        c0, c1 = cols
        k = min(a, b)
        if k < self.base:
            window = self.kernel[r0:r1, c0:c1]
            return blocksum(np.abs(window), 1 << a, 1 << b), blocksum(window, 1 << a, 1 << b)
        ab, sg = self.level(k)
        f = 1 << k
        sl = (slice(r0 // f, _ceil_div(r1, f)), slice(c0 // f, _ceil_div(c1, f)))
        fr, fc = 1 << (a - k), 1 << (b - k)
        return blocksum(ab[sl], fr, fc), blocksum(sg[sl], fr, fc)


def effective_kernel(kernel: np.ndarray, shared_rows: int, limit: int = KRON_LIMIT) -> np.ndarray:
    """The matrix from every input value to every output value of a Dense applied to each of
    `shared_rows` rows: block-diagonal copies of the kernel (the kernel alone when too big)."""
    if shared_rows <= 1 or kernel.size * shared_rows * shared_rows > limit:
        return kernel
    return np.kron(np.eye(shared_rows, dtype=kernel.dtype), kernel)


# -- building the columns from a summary -----------------------------------------------------


@dataclass(frozen=True)
class Drawer:
    """How the canvas draws the layers whose type names this drawing kind (`LayerType.drawing`).

    `column`: the look of the column (input; dense: neurons with biases; stage: one marker per
    value, from the type's `marker`; regroup: small markers, values regrouped); `spacing`: the
    distance from the previous column; `link`: how it joins the previous column ("dense": through
    its kernel, "identity": one value to one value when the counts match, "join": from each of
    several inputs as `join.join_edges` says, "heads": through attention heads, `attention.py`,
    "none"); `neurons`: False for layers drawn as feature maps instead of neurons (conv_drawer.py);
    `attach(column, weights)` reads the layer's weights (by name) into `column.figure` when they arrive.

    Beside neurons: `room`, the scene width the drawer takes right of them, and `below(column)`,
    the height under them; `edge_weights(column, previous column, arrays)`: the (kernel, bias per
    neuron) the connections and neurons show when these are not the layer's first two arrays;
    `overlay(column, previous column, arrays | None)`: what is drawn besides neurons and
    connections, an OverlayPlan (recurrent_drawer.py, embedding_drawer.py); `bias_label`: what the
    neurons' fill is called."""

    column: str
    spacing: float
    link: str
    needs_marker: bool = False
    neurons: bool = True
    attach: Callable[[Column, dict[str, np.ndarray]], None] | None = None
    room: float = 0.0
    below: Callable[[Column], float] | None = None
    edge_weights: Callable[[Column, Column | None, list], tuple[Any, Any]] | None = None
    overlay: Callable[[Column, Column | None, list | None], OverlayPlan] | None = None
    bias_label: str = "bias"


DRAWERS: dict[str, Drawer] = {
    "input": Drawer("input", 0.0, "none"),
    "dense": Drawer("dense", MAIN_SPACING, "dense"),
    "stage": Drawer("stage", STAGE_SPACING, "identity", needs_marker=True),
    "regroup": Drawer("regroup", STAGE_SPACING, "identity", needs_marker=True),
    "recurrent": Drawer(
        "recurrent",
        MAIN_SPACING,
        "dense",
        room=recurrent_drawer.ROOM,
        below=recurrent_drawer.loop_depth,
        edge_weights=recurrent_drawer.edge_weights,
        overlay=recurrent_drawer.plan,
        bias_label="state-gate bias",
    ),
    "embedding": Drawer("embedding", embedding_drawer.SPACING, "none", overlay=embedding_drawer.plan),
    "merge": Drawer("merge", STAGE_SPACING, "join"),  # a join node: ui/canvas/join.py
    "attention": Drawer("attention", MAIN_SPACING, "heads"),  # heads with their weights: ui/canvas/attention.py
    # convolutions: their feature maps and their filters as kernel tiles (feature_maps.py)
    "conv": Drawer("conv", MAIN_SPACING, "none", neurons=False, attach=feature_maps.attach_kernels),
    "conv_transpose": Drawer("conv", MAIN_SPACING, "none", neurons=False, attach=feature_maps.attach_kernels),
    "depthwise_conv": Drawer("conv", MAIN_SPACING, "none", neurons=False, attach=feature_maps.attach_kernels),
    "separable_conv": Drawer("conv", MAIN_SPACING, "none", neurons=False, attach=feature_maps.attach_kernels),
    "pool": Drawer("pool", POOL_SPACING, "none", neurons=False),
}
MAP_COLUMNS = {d.column for d in DRAWERS.values() if not d.neurons}  # columns drawn as feature maps
HEADERS_BELOW = {"stage", "regroup", "pool"}  # columns whose name is written below them (the others: above)


def drawn_shape(shape: Shape | None) -> tuple[int, ...] | None:
    """The shape as the canvas draws it: an axis of varying size (None) as one step."""
    return None if shape is None else tuple(1 if d is None else d for d in shape)


def build_columns(summary, spec, cache: dict | None = None) -> tuple[list[Column], list[Link]]:
    """Columns and links for the model: one column for the input and one per layer after it.

    `cache` (kept by the caller across calls, replaced here by this model's entries) holds what
    each layer's column took from its layer type (caption, variables, settings), by layer id, for
    a layer of the same type and parameters with the same shapes next time (those an edit left alone)."""
    known = cache.copy() if cache is not None else {}
    if cache is not None:
        cache.clear()
    columns: list[Column] = []
    links: list[Link] = []
    x = 0.0
    kinds = layer_types()
    if spec.layers:
        first = spec.layers[0]
        shape = summary.input_shape
        varying = shape is not None and None in shape
        detail = f"{_count(drawn_shape(shape))} inputs" + (f" · {size_text(shape)}" if shape and len(shape) > 1 else "")
        if varying:
            detail += " · variable length"
        column_kind = "input"
        if not _drawable(shape):
            column_kind, detail = "error", f"{detail} · too many to draw"
        columns.append(
            Column(
                0, first.name, first.class_name, column_kind, _drawable_shape(shape), x, detail=detail, varying=varying
            )
        )
    in_shape = summary.input_shape
    # A functional model: each column is fed by the column of the layer it reads (none for a merge).
    column_of = {spec.layers[0].id: 0} if spec.layers else {}
    shape_of = {spec.layers[0].id: summary.input_shape} if spec.layers else {}
    functional = spec.is_functional
    for row in summary.rows:
        layer = spec.layers[row.index]
        kind = kinds.get(row.class_name)
        if functional and layer.id in column_of:
            continue  # the first Input, drawn above
        prev = columns[-1] if columns else None
        prev_index = len(columns) - 1
        drawing = kind.drawing_of(layer.params) if kind is not None else ""
        drawer = DRAWERS[drawing] if kind is not None else None
        x += (drawer.spacing if drawer is not None else MAIN_SPACING) + (prev.out_dx if prev is not None else 0.0)
        if functional:
            reads = [ref.layer for ref in (layer.inbound[0] if layer.inbound else ())]
            if kind is not None and kind.takes_one_input:
                reads = reads[:1]  # an RNN's initial states change no weight: drawn from its sequences
            single = len(reads) == 1 and reads[0] in column_of
            prev_index = column_of[reads[0]] if single else -1
            prev = columns[prev_index] if single else None
            in_shape = shape_of.get(reads[0]) if single else None
            column_of[layer.id] = len(columns)
            shape_of[layer.id] = row.output_shape
        shape = row.output_shape
        found = known.get(layer.id)
        if found is not None and (found[1] != (in_shape, shape) or not _same_layer(found[0], layer)):
            found = None
        if found is not None:
            activation = found[2]
        else:
            has_activation = kind is not None and any(p.name == "activation" for p in kind.params)
            activation = str(layer.get("activation")) if has_activation else None
        if kind is None or drawer is None or row.error or shape is None:
            columns.append(
                Column(row.index, row.name, row.class_name, "error", None, x, activation, row.class_name, row.error)
            )
            in_shape = None
            continue
        if found is None and not _drawable(shape):  # (what was cached could be drawn)
            count = _count(drawn_shape(shape))
            detail = f"{kind.caption_for(layer.params, shape)} · {count} neurons, too many to draw"
            columns.append(Column(row.index, row.name, row.class_name, "error", None, x, activation, detail))
            in_shape = shape
            continue
        if found is None:
            varying = None in shape
            detail = kind.caption_for(layer.params, shape) + (" · variable length" if varying else "")
            variables = _variables(layer, in_shape)
            found = (layer, (in_shape, shape), activation, detail, drawn_shape(shape), varying)
            found += (tuple(v.name for v in variables), tuple(v.shape for v in variables))
            found += (tuple(v.store for v in variables), kind.values(layer.params))
        if cache is not None:
            cache[layer.id] = found
        col = Column(row.index, row.name, row.class_name, drawer.column, found[4], x, activation, found[3])
        col.varying, col.weight_names, col.weight_shapes, col.weight_stores = found[5:9]
        col.drawing, col.neurons, col.settings, col.out_dx = drawing, drawer.neurons, dict(found[9]), drawer.room
        col.bias_label = drawer.bias_label
        col.below = drawer.below(col) if drawer.below is not None else 0.0
        if not col.neurons and prev is not None and prev.kind == "input":
            prev.neurons = False  # the input of a convolution or pooling is drawn as feature maps too
        if col.kind == "stage" and prev is not None and not prev.neurons and len(shape) >= 2:
            col.neurons = False  # so is a per-value stage on feature maps (BatchNormalization, ReLU, Dropout)
        columns.append(col)
        in_shape = shape
        if functional and drawer.link == "join":
            # an element-wise merge in a graph: each input of the output's size feeds it value to value
            for source_id in dict.fromkeys(ref.layer for call in layer.inbound[:1] for ref in call):
                fed = columns[column_of[source_id]] if source_id in column_of else None
                if fed is not None and fed.shape is not None and fed.n == col.n:
                    links.append(Link(column_of[source_id], len(columns) - 1, "identity", row.name))
            continue
        if prev is None or prev.shape is None:
            continue
        source = prev_index
        if drawer.link == "dense":
            shared = prev.n // prev.block if prev.shape and len(prev.shape) > 1 else 1
            if drawer.edge_weights is not None:
                shared = 1  # its edge_weights give the whole matrix
            links.append(Link(source, len(columns) - 1, "dense", row.name, shared_rows=shared))
        elif drawer.link == "identity" and prev.n == col.n:
            links.append(Link(source, len(columns) - 1, "identity", row.name))
    return columns, links


def _same_layer(a, b) -> bool:
    """Two layer specs of the same type with the same parameters (names and connections aside)."""
    if a is b:
        return True
    try:
        return bool(a.class_name == b.class_name and a.params == b.params)
    except (ValueError, TypeError):  # a parameter that does not compare as one truth value
        return False


def _variables(layer, in_shape: Shape | None) -> list:
    """The layer's variables in Keras's order, from the registry's inference."""
    if in_shape is None:
        return []
    try:
        return infer_all(layer, [in_shape])[1]
    except LayerError:
        return []


def edge_arrays(columns: list[Column], index: int, arrays: list) -> tuple[Any, Any]:
    """(kernel, bias per neuron) that the connections into column `index` and its neurons show:
    the layer's first arrays (a Dense's kernel and bias), or what its drawer makes of them."""
    col = columns[index]
    drawer = DRAWERS.get(col.drawing)
    if drawer is not None and drawer.edge_weights is not None:
        return drawer.edge_weights(col, columns[index - 1] if index > 0 else None, arrays)
    named = dict(zip(col.weight_names, arrays, strict=False))
    bias = named.get("bias", arrays[1] if len(arrays) > 1 and not col.weight_names else None)
    return (arrays[0] if arrays else None), bias


def overlay_plans(columns: list[Column], weights: dict | None) -> list[OverlayPlan]:
    """What the drawers of the columns draw besides neurons and connections (weights None: pending)."""
    plans = []
    for i, col in enumerate(columns):
        drawer = DRAWERS.get(col.drawing)
        if drawer is None or drawer.overlay is None or col.kind == "error":
            continue
        arrays = weights.get(col.name) if weights else None
        plans.append(drawer.overlay(col, columns[i - 1] if i > 0 else None, arrays))
    return plans


def _drawable(shape: Shape | None) -> bool:
    drawn = drawn_shape(shape)
    return drawn is None or math.prod(drawn) <= MAX_DRAWN_NEURONS


def _drawable_shape(shape: Shape | None) -> tuple[int, ...] | None:
    return drawn_shape(shape) if _drawable(shape) else None


def _count(shape) -> str:
    return f"{math.prod(shape):,}" if shape is not None else "?"


def apply_weights(columns: list[Column], links: list[Link], weights: dict | None, cache: dict | None = None) -> None:
    """Attach real weights (layer name -> Keras get_weights() list) to links and columns.

    `cache` (kept by the caller across calls) maps (id(kernel), shared_rows) to the kernel's
    pyramid, and a convolution's arrays to its tiles, so that the same arrays sent again after an
    edit are not summed again."""
    for col in columns:
        col.set_bias(None)
        col.stage_values = {}
        col.figure = None
    by_dst = {link.dst: link for link in links}
    cache = {} if cache is None else cache
    known = dict(cache)  # what the arrays attached before gave
    cache.clear()  # from now on: what the current arrays give (only they are kept alive)
    _build_pyramids(columns, links, weights, known, cache)
    for ci, col in enumerate(columns):
        link = by_dst.get(ci)
        arrays = weights.get(col.name) if weights else None
        if link is not None and link.kind == "dense":
            if arrays:
                kernel, bias = edge_arrays(columns, ci, arrays)
                if kernel is None or np.ndim(kernel) != 2:
                    link.pyramid = None
                col.set_bias(bias)
            else:
                link.pyramid = None
        elif arrays and col.kind == "stage":
            col.stage_values = {
                n: np.asarray(a).ravel() for n, a in zip(col.weight_names, arrays, strict=False) if np.asarray(a).size
            }
        elif arrays and not col.neurons and (attach := DRAWERS[col.drawing].attach) is not None:
            if attach is feature_maps.attach_kernels:
                _attach_tiles(col, arrays, known, cache)
            else:
                attach(col, dict(zip(col.weight_names, arrays, strict=False)))


def _attach_tiles(col: Column, arrays: list, known: dict, cache: dict) -> None:
    """A convolution's tiles: those summed before from these very arrays (`known`), else summed now;
    kept in `cache` with the arrays."""
    key = (TILES_KEY, col.drawing, tuple(id(a) for a in arrays))
    found = known.get(key)
    if found is not None and all(a is b for a, b in zip(found[0], arrays, strict=True)):
        col.figure = found[1]
    else:
        feature_maps.attach_kernels(col, dict(zip(col.weight_names, arrays, strict=False)))
    cache[key] = (tuple(arrays), col.figure)


def _build_pyramids(columns: list[Column], links: list[Link], weights: dict | None, known: dict, cache: dict) -> None:
    """Block sums for every Dense kernel, big ones in parallel (numpy releases the GIL): those of the
    same arrays taken from `known`, those the engine summed (`kernel_sums.recall`) at once; each
    kept in `cache` with its arrays."""
    jobs = []
    for link in links:
        arrays = weights.get(columns[link.dst].name) if weights else None
        kernel = edge_arrays(columns, link.dst, arrays)[0] if link.kind == "dense" and arrays else None
        if kernel is None or np.ndim(kernel) != 2:
            link.pyramid = None
            continue
        kernel = np.asarray(kernel)
        found = known.get((id(kernel), link.shared_rows))
        if found is not None and found.source is kernel:
            link.pyramid = found  # the same arrays again: keep what was summed
            continue
        jobs.append((link, kernel, effective_kernel(kernel, link.shared_rows)))
    # A pass over a big kernel is worth a thread; a pyramid from sums the engine made is not (its
    # threads would only wait for the interpreter, in turn with the GUI thread).
    big: list = []
    quick: list = []
    for job in jobs:
        (big if job[2].size > 1_000_000 and kernel_sums.recall(job[2]) is None else quick).append(job)
    for link, kernel, effective in quick:
        link.pyramid = KernelPyramid(effective, source=kernel)
    if big:
        workers = min(len(big), os.cpu_count() or 1, 4)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            made = pool.map(lambda j: KernelPyramid(j[2], source=j[1]), big)
            for (link, _, _), pyramid in zip(big, made, strict=True):
                link.pyramid = pyramid
    for link in links:
        if link.pyramid is not None:
            cache[(id(link.pyramid.source), link.shared_rows)] = link.pyramid


def copy_structure(columns: list[Column], links: list[Link]) -> tuple[list[Column], list[Link]]:
    """Shallow copies of the columns and links, so that weights can be attached to the copies in a
    worker thread while the screen keeps drawing from the originals."""
    return [copy.copy(c) for c in columns], [copy.copy(lk) for lk in links]


def aggregation_work(columns: list[Column], links: list[Link]) -> int:
    """How many kernel values attaching weights to this model sums (the effective, block-diagonal
    kernel of a Dense on a multi-dimensional input counts as what `effective_kernel` makes)."""
    total = 0
    for link in links:
        if link.kind != "dense":
            continue
        size = columns[link.src].block * columns[link.dst].block
        shared = link.shared_rows
        total += size * shared * shared if shared > 1 and size * shared * shared <= KRON_LIMIT else size
    return total + figure_weights(columns)


def figure_weights(columns: list[Column]) -> int:
    """How many kernel weights the layers drawn as feature maps hold (biases and a stage's
    per-channel values aside, as for Dense)."""
    return sum(
        math.prod(shape)
        for col in columns
        if not col.neurons
        for name, shape in zip(col.weight_names, col.weight_shapes, strict=False)
        if name.endswith("kernel")
    )


def bias_scale(columns: list[Column]) -> float:
    """The largest |bias| of any column (1.0 when there is none): the fill of a neuron is |b| / this."""
    biases = [float(np.abs(c.bias).max()) for c in columns if c.bias is not None and c.bias.size]
    return max(biases) if biases and max(biases) > 0 else 1.0


# -- level of detail for a view ---------------------------------------------------------------


@dataclass
class ColumnLod:
    column: int  # index in the columns list
    level: int  # groups of 2**level neurons
    starts: np.ndarray
    ends: np.ndarray
    y: np.ndarray  # scene y of each group's centre
    bias: np.ndarray | None  # mean bias of each group

    @property
    def counts(self) -> np.ndarray:
        return self.ends - self.starts


@dataclass
class LinkLod:
    link: int  # index in the links list
    kind: str  # "dense" or "identity"
    x0: float
    x1: float
    src: np.ndarray  # group number in the source ColumnLod for each edge
    dst: np.ndarray
    y0: np.ndarray
    y1: np.ndarray
    mean_abs: np.ndarray | None  # None while weights are pending (and for identity links)
    balance: np.ndarray | None
    bins: np.ndarray | None  # edge bin index (sign class * MAGNITUDE_BINS + magnitude), -1 = neutral
    individual: bool  # every edge is one weight


@dataclass
class Lod:
    columns: dict[int, ColumnLod]
    links: list[LinkLod]
    # what compute_lod chose before fitting the edge budget, per column on screen: its window of
    # neurons (first, last) and level (another computation for the same view may start from these)
    windows: dict[int, tuple[int, int]] = field(default_factory=dict)
    wanted: dict[int, int] = field(default_factory=dict)

    def edge_count(self) -> int:
        return sum(len(link.src) for link in self.links)


def column_level(col: Column, px_per_unit: float, visible: float) -> int:
    """Group size 2**level so that groups are >= MIN_PX tall and <= MAX_VISIBLE are on screen."""
    n = col.n
    if n <= 1:
        return 0
    pitch_px = col.pitch * px_per_unit
    need = max(MIN_PX / max(pitch_px, 1e-12), visible / MAX_VISIBLE, 1.0)
    level = max(0, math.ceil(math.log2(need) - 1e-9))
    return min(level, math.ceil(math.log2(n)))


GEOMETRY_FIELDS = ("shape", "x", "neurons", "out_dx")  # what a column's groups and their places depend on
STRUCTURE_FIELDS = (
    *GEOMETRY_FIELDS,
    *("layer_index", "name", "class_name", "kind", "activation", "detail", "error", "weight_names"),
    *("weight_shapes", "varying", "drawing", "settings", "weight_stores", "below", "bias_label"),
)


_geometry = operator.attrgetter(*GEOMETRY_FIELDS)
_structure = operator.attrgetter(*STRUCTURE_FIELDS)


def same_geometry(a: Column, b: Column) -> bool:
    """The two columns have the same neurons in the same places (weights aside)."""
    return _geometry(a) == _geometry(b)


def same_column(a: Column, b: Column) -> bool:
    """The two columns draw the same layer alike (weights aside)."""
    try:
        return bool(_structure(a) == _structure(b))
    except (ValueError, TypeError):  # a setting that does not compare as one truth value
        return False


def same_links(a: list[Link], b: list[Link]) -> bool:
    """The two lists join the same columns in the same way (names and weights aside)."""
    return [(k.src, k.dst, k.kind, k.shared_rows) for k in a] == [(k.src, k.dst, k.kind, k.shared_rows) for k in b]


def compute_lod(
    columns: list[Column],
    links: list[Link],
    view: tuple[float, float, float, float],
    size_px: tuple[float, float],
    previous: Lod | None = None,
    kept: list[bool] | None = None,
) -> Lod:
    """Groups and edges to draw for the view (x0, x1, y0, y1 in scene units) at size_px pixels.

    `previous`: the level of detail computed for the same view and size from columns of which
    those where `kept[i]` have the same geometry (`same_geometry`), and links joined alike
    (`same_links`): their groups are taken over instead of being chosen again, and the edges
    between two taken-over columns while no weights are shown on them. The result is the same."""
    vx0, vx1, vy0, vy1 = view
    width_px, height_px = size_px
    px_per_unit = height_px / max(vy1 - vy0, 1e-12)
    margin = WINDOW_MARGIN * (vy1 - vy0)
    wy0, wy1 = vy0 - margin, vy1 + margin
    spacing = MAIN_SPACING * 1.05
    windows: dict[int, tuple[int, int]] = {}
    levels: dict[int, int] = {}
    for ci, col in enumerate(columns):
        if previous is not None and kept is not None and kept[ci]:
            if ci in previous.windows:
                windows[ci], levels[ci] = previous.windows[ci], previous.wanted[ci]
            continue
        if col.n == 0 or not col.neurons or col.x < vx0 - spacing or col.x > vx1 + spacing:
            continue
        if col.y_at(0) < wy0 - col.pitch or col.y_at(col.n - 1) > wy1 + col.pitch:
            continue  # wholly above or below the window
        last = col.n - 1
        lo = int(min(max(math.floor(col.index_of(wy1)), 0), last))
        hi = int(min(max(math.ceil(col.index_of(wy0)), 0), last))
        vis_lo = min(max(col.index_of(vy1), 0.0), float(col.n))
        vis_hi = min(max(col.index_of(vy0), 0.0), float(col.n))
        windows[ci] = (lo, hi)
        levels[ci] = column_level(col, px_per_unit, max(vis_hi - vis_lo, 1.0))
    wanted = dict(levels)
    _fit_edge_budget(columns, links, windows, levels)
    col_lods: dict[int, ColumnLod] = {}
    for ci, (lo, hi) in windows.items():
        col = columns[ci]
        level = levels[ci]
        old = previous.columns.get(ci) if previous is not None and kept is not None and kept[ci] else None
        if old is not None and old.level == level:
            col_lods[ci] = ColumnLod(ci, level, old.starts, old.ends, old.y, col.bias_means(old.starts, old.ends))
            continue
        g = 1 << level
        i0 = lo // g * g
        i1 = min(col.n, (hi // g + 1) * g)
        starts = np.arange(i0, i1, g, dtype=np.int64)
        ends = np.minimum(starts + g, col.n)
        y = (col.y_of(starts) + col.y_of(ends - 1)) / 2
        col_lods[ci] = ColumnLod(ci, level, starts, ends, y, col.bias_means(starts, ends))
    old_links = {ll.link: ll for ll in previous.links} if previous is not None else {}
    link_lods = []
    for li, link in enumerate(links):
        a = col_lods.get(link.src)
        b = col_lods.get(link.dst)
        if a is None or b is None:
            continue
        old_link = old_links.get(li)
        if (
            old_link is not None
            and old_link.mean_abs is None
            and link.pyramid is None
            and _same_groups(a, previous, link.src)
            and _same_groups(b, previous, link.dst)
        ):
            link_lods.append(old_link)  # joins the same groups, with no weights to show
            continue
        link_lods.append(_link_lod(li, link, columns, a, b))
    return Lod(col_lods, link_lods, windows, wanted)


def _same_groups(lod: ColumnLod, previous: Lod | None, ci: int) -> bool:
    old = previous.columns.get(ci) if previous is not None else None
    return old is not None and old.starts is lod.starts and old.y is lod.y


def _group_count(window: tuple[int, int], level: int) -> int:
    g = 1 << level
    return window[1] // g - window[0] // g + 1


def _fit_edge_budget(columns, links, windows: dict[int, tuple[int, int]], levels: dict[int, int]) -> None:
    """Coarsen the busiest columns until the connections to draw fit EDGE_BUDGET."""
    dense = [(lk.src, lk.dst) for lk in links if lk.kind == "dense" and lk.src in windows and lk.dst in windows]
    if not dense:
        return
    for _ in range(64):
        counts = {ci: _group_count(windows[ci], levels[ci]) for ci in windows}
        total = sum(counts[a] * counts[b] for a, b in dense)
        if total <= EDGE_BUDGET:
            return
        involved = {c for pair in dense for c in pair if counts[c] > 1}
        if not involved:
            return
        most = max(counts[c] for c in involved)
        for c in involved:  # coarsen alike columns alike
            if counts[c] == most:
                levels[c] += 1


def _link_lod(li: int, link: Link, columns: list[Column], a: ColumnLod, b: ColumnLod) -> LinkLod:
    xa, xb = columns[link.src].x + columns[link.src].out_dx, columns[link.dst].x
    if link.kind == "identity":
        # one value to one value: join each group of the finer side to the group holding it
        if a.level >= b.level:
            src = np.arange(len(a.starts))
            dst = np.searchsorted(b.starts, a.starts, side="right") - 1
        else:
            dst = np.arange(len(b.starts))
            src = np.searchsorted(a.starts, b.starts, side="right") - 1
        ok = (src >= 0) & (dst >= 0) & (src < len(a.starts)) & (dst < len(b.starts))
        src, dst = src[ok], dst[ok]
        return LinkLod(
            li, link.kind, xa, xb, src, dst, a.y[src], b.y[dst], None, None, None, a.level == 0 and b.level == 0
        )
    na, nb = len(a.starts), len(b.starts)
    src = np.repeat(np.arange(na), nb)
    dst = np.tile(np.arange(nb), na)
    individual = a.level == 0 and b.level == 0
    pyr = link.pyramid
    joined = _shared_mask(link, columns, a, b, src, dst)
    if pyr is None:
        if joined is not None:
            src, dst = src[joined], dst[joined]
        return LinkLod(li, link.kind, xa, xb, src, dst, a.y[src], b.y[dst], None, None, None, individual)
    rows_n, cols_n = pyr.shape
    r0, r1 = int(a.starts[0]), int(min(a.ends[-1], rows_n))
    c0, c1 = int(b.starts[0]), int(min(b.ends[-1], cols_n))
    if r1 <= r0 or c1 <= c0:  # a kernel too big to expand: outside its rows there is nothing
        return LinkLod(li, link.kind, xa, xb, src[:0], dst[:0], a.y[:0], b.y[:0], None, None, None, individual)
    s_abs, s_sig = pyr.sums(a.level, b.level, (r0, r1), (c0, c1))
    ra = np.minimum(a.ends, rows_n) - np.minimum(a.starts, rows_n)
    cb = np.minimum(b.ends, cols_n) - np.minimum(b.starts, cols_n)
    ka, kb = s_abs.shape
    count = np.outer(ra[:ka], cb[:kb]).astype(np.float64)
    mean_abs = (s_abs / np.maximum(count, 1)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        balance = np.where(s_abs > 0, s_sig / np.where(s_abs > 0, s_abs, 1), 0.0).ravel()
    src = np.repeat(np.arange(ka), kb)
    dst = np.tile(np.arange(kb), ka)
    if joined is not None and ka * kb == na * nb:
        src, dst, mean_abs, balance = src[joined], dst[joined], mean_abs[joined], balance[joined]
    bins = edge_bins(mean_abs, balance, pyr.quantiles if individual else None)
    return LinkLod(li, link.kind, xa, xb, src, dst, a.y[src], b.y[dst], mean_abs, balance, bins, individual)


def _shared_mask(link: Link, columns, a: ColumnLod, b: ColumnLod, src, dst) -> np.ndarray | None:
    """For a Dense applied to each row of a multi-dimensional input: which group pairs hold any
    connection (row r of the input only feeds row r of the output)."""
    if link.shared_rows <= 1:
        return None
    f, u = columns[link.src].block, columns[link.dst].block
    a_lo, a_hi = a.starts // f, (a.ends - 1) // f
    b_lo, b_hi = b.starts // u, (b.ends - 1) // u
    return (a_lo[src] <= b_hi[dst]) & (b_lo[dst] <= a_hi[src])


def edge_bins(mean_abs: np.ndarray, balance: np.ndarray, thresholds: np.ndarray | None) -> np.ndarray:
    """Bin each edge: sign class (positive / negative / mixed) x magnitude (0..MAGNITUDE_BINS-1).

    Single weights are binned by the layer's |w| quartiles, so widths stay put while zooming;
    aggregated edges by the quartiles of what is drawn, so that contrast survives averaging.
    """
    if mean_abs.size == 0:
        return np.zeros(0, dtype=np.int64)
    if thresholds is None:
        thresholds = quartiles(mean_abs)
    magnitude = np.searchsorted(thresholds, mean_abs, side="right")
    sign = np.where(balance >= MIXED_BALANCE, 0, np.where(balance <= -MIXED_BALANCE, 1, 2))
    return sign * MAGNITUDE_BINS + np.minimum(magnitude, MAGNITUDE_BINS - 1)


def quartiles(values: np.ndarray) -> np.ndarray:
    """The 25th, 50th and 75th percentiles (linear interpolation, as np.quantile), by partition:
    np.quantile imports numpy.ma on first use, which takes ~85 ms on the GUI thread."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        return np.zeros(3)
    pos = np.array([0.25, 0.5, 0.75]) * (v.size - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, v.size - 1)
    part = np.partition(v, sorted({*lo.tolist(), *hi.tolist()}))  # (np.unique imports numpy.ma too)
    return part[lo] + (part[hi] - part[lo]) * (pos - lo)


def scene_bounds(columns: list[Column]) -> tuple[float, float, float, float]:
    """x0, x1, y0, y1 of the whole drawing (without labels)."""
    if not columns:
        return (-0.5, 0.5, -1.0, 1.0)
    h = max(c.height for c in columns)
    low = min(-c.height / 2 - c.below for c in columns)
    return (columns[0].x, columns[-1].x + columns[-1].out_dx, low, h / 2)
