"""NetworkCanvas: every neuron and the real weights of a Sequential model, at any size.

The window gives it the analytic summary and spec (`set_model`) at once after each edit, and the
weight arrays (`set_weights`) when the Keras build arrives. Layout and level of detail live in
`layout.py` (numpy only); the connections are a few binned items (`edges.py`); the neurons one
scatter item fed by style codes (`styled_scatter.py`); the column headers are made as they are
needed, the hidden and off-screen ones in short steps between events (`headers.py`). After an edit
that keeps the model's structure, set_model draws again only what changed.

API (objectName "networkCanvas"):
    set_model(summary, spec)      draw from the analytic shapes now; weights pending
    set_model(..., drawn=False)   take the model, then draw_model() fits and draws it (a later step)
    set_weights(weights | None)   {layer name: Keras get_weights() arrays}; None = pending
    weightsDrawn()                the weights given last are on screen (at once for small models)
    lodApplied()                  a level of detail for the current view is on screen
    busy()                        background work runs or waits; shutdown() joins it
    select_layer(index)           highlight spec.layers[index] (-1: none)
    layerClicked(int)             a click on a column (index in spec.layers)
    fit_view()                    whole network (double-click, F or Home do the same; + and - zoom)
    export_png(path, scale=2), export_svg(path)
    describe_at(x, y) / click_at(x, y)   tooltip text / click at a scene point (tests, keyboard)

Big models (more than SYNC_WORK kernel values) never sum on the GUI thread: the block sums of the
kernels when weights arrive and the level of detail after the view changes run in one background
job at a time (`ui/background_job.py`), on copies of the columns, and the result replaces what is shown in
one step when it arrives. Until then the canvas keeps the previous drawing (after an edit: the
structure with weights pending). Requests made while a job runs wait in one slot, newest wins; a
result for a model, or a pending state, that was replaced meanwhile is dropped, and so is a level
of detail for a view that has moved since. Small models do all of it at once, inside the call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Signal, Slot

from nnstudio.core.layers.registry import all_types
from nnstudio.ui.background_job import BackgroundJob, JobResult
from nnstudio.ui.canvas import layout as L
from nnstudio.ui.canvas.conv_drawer import FeatureMapItem, places_of
from nnstudio.ui.canvas.edges import PENDING_BIN, WIDTHS, EdgeLayer, EdgePlan, bin_pen, plan_edges
from nnstudio.ui.canvas.headers import ColumnHeaders, HeaderItem
from nnstudio.ui.canvas.overlay_items import OverlayItems
from nnstudio.ui.canvas.styled_scatter import StyledScatter
from nnstudio.ui.canvas.theme import LIGHT_THEME, Theme, mix, theme_for
from nnstudio.ui.turns import Turns

# class -> the symbol of its marker (fills: theme.stage_fills), for every type drawn as a stage
STAGE_SYMBOLS = {t.class_name: t.marker.symbol for t in all_types() if t.marker is not None}
LOD_DELAY_MS = 30
SYNC_WORK = 250_000  # models with at most this many kernel values are summed inside the call (~30 ms
# for 535,040 on this machine: above it, in the background)
LEGEND_MARGIN_PX = 10  # between the legend and the canvas's edges
COLUMN_GAP_PX = 120  # the legend stands beside the drawing only where columns stay this far apart
WORKER_LINGER_S = 30.0  # a background worker waits this long for the next job (an edit's starts at once)
# Weights that keep coming (training snapshots) start a new background sum no sooner than this
# many times the last one's duration after it ended: the worker takes at most half a core from
# the training it is drawing.
WEIGHTS_REST = 1.0


BIAS_LEVELS = 8  # a neuron's fill: its bias's hue at one of this many strengths (and none)
BIAS_KEYS = tuple(tuple(f"bias:{sign}:{lv}" for lv in range(BIAS_LEVELS + 1)) for sign in (0, 1))
# every style key a neuron can have (the canvas maps keys to its theme's brushes), and every symbol
STYLE_KEYS = ("input", "pending", "neutral", *("stage:" + n for n in STAGE_SYMBOLS), *BIAS_KEYS[0], *BIAS_KEYS[1])
STYLE_CODES = {key: code for code, key in enumerate(STYLE_KEYS)}
BIAS_BASE = STYLE_CODES[BIAS_KEYS[0][0]]  # the bias keys follow one another: negative, then positive
SYMBOLS = tuple(dict.fromkeys(("o", "s", *STAGE_SYMBOLS.values())))
SYMBOL_CODES = {symbol: code for code, symbol in enumerate(SYMBOLS)}


@dataclass
class NeuronPlan:
    """The neurons of one level of detail, ready for the scatter item: positions, sizes, a symbol
    code per point (index in SYMBOLS), a style code per point (index in STYLE_KEYS: the canvas maps
    keys to its theme's brushes), and the groups whose counts are written beside them:
    (x, symbol size, text px, ys, counts) per column."""

    x: np.ndarray
    y: np.ndarray
    size: np.ndarray
    symbols: np.ndarray
    styles: np.ndarray
    counts: list
    ppx: float

    def style_keys(self) -> list[str]:
        """The style key of every point."""
        return [STYLE_KEYS[c] for c in self.styles.tolist()]


def plan_neurons(
    columns: list,
    lod: L.Lod,
    pixel_scale: tuple[float, float],
    pending: bool,
    bias_scale: float,
    cache: dict | None = None,
):
    """Lay out the neurons of `lod` (numpy only: safe in the worker thread). `cache` (kept by the
    caller, replaced here) holds each column's points, taken over while nothing they show changed."""
    ppx, ppy = pixel_scale
    known = cache.copy() if cache is not None else {}
    if cache is not None:
        cache.clear()
    pieces = []
    for ci, cl in lod.columns.items():
        col = columns[ci]
        key = (cl.y, cl.bias, col.x, col.kind, col.class_name, cl.level, col.pitch, ppy, pending, bias_scale)
        found = known.get(ci)
        # the arrays by identity: the level of detail hands the same ones on while they hold
        if found is not None and found[0][0] is cl.y and found[0][1] is cl.bias and found[0][2:] == key[2:]:
            piece = found[1]
        else:
            piece = _column_neurons(col, cl, ppy, pending, bias_scale)
        if cache is not None:
            cache[ci] = (key, piece)
        pieces.append(piece)
    if not pieces:
        empty = np.zeros(0, dtype=np.int64)
        return NeuronPlan(np.zeros(0), np.zeros(0), np.zeros(0), empty, empty, [], ppx)
    # a column's scalars repeated over its points at once (a big model has hundreds of columns)
    counts_of = np.array([piece.m for piece in pieces], dtype=np.int64)
    x = np.repeat(np.array([piece.x for piece in pieces], dtype=float), counts_of)
    size = np.repeat(np.array([piece.size for piece in pieces], dtype=float), counts_of)
    symbols = np.repeat(np.array([piece.symbol for piece in pieces], dtype=np.int64), counts_of)
    styles = np.repeat(np.array([piece.style for piece in pieces], dtype=np.int64), counts_of)
    y = np.concatenate([piece.y for piece in pieces])
    starts = np.cumsum(counts_of) - counts_of
    for start, piece in zip(starts.tolist(), pieces, strict=True):
        if piece.styles is not None:  # a column coloured by its biases
            styles[start : start + piece.m] = piece.styles
    counts = [piece.counts for piece in pieces if piece.counts is not None]
    return NeuronPlan(x, y, size, symbols, styles, counts, ppx)


@dataclass(frozen=True)
class ColumnNeurons:
    """One column's points: `m` of them at `x` and `y`, of one size and symbol code, of one style
    code (`style`) or of one each (`styles`), and its groups' counts (or None)."""

    m: int
    x: float
    y: np.ndarray
    size: float
    symbol: int
    style: int
    styles: np.ndarray | None
    counts: tuple | None


def _column_neurons(col: L.Column, cl: L.ColumnLod, ppy: float, pending: bool, bias_scale: float) -> ColumnNeurons:
    """One column's points (scalars worked out in plain Python: numpy's are slower one at a time)."""
    m = len(cl.starts)
    pitch_px = col.pitch * (1 << cl.level) * ppy
    # sizes in half pixels: pyqtgraph renders each (symbol, size, brush) once and reuses it
    size = round(min(max(pitch_px * 0.72, 3.0), 22.0) * 2) / 2
    styles = None
    if col.kind in ("stage", "regroup"):
        symbol = STAGE_SYMBOLS[col.class_name]
        if col.kind == "regroup":
            size = round(min(max(pitch_px * 0.45, 2.5), 12.0) * 2) / 2
        style = STYLE_CODES["stage:" + col.class_name]
    else:
        symbol = "o" if cl.level == 0 else "s"
        if col.kind == "input":
            style = STYLE_CODES["input"]
        elif cl.bias is None:
            style = STYLE_CODES["pending" if pending else "neutral"]
        else:
            style = 0
            levels = np.round(np.clip(np.abs(cl.bias) / bias_scale, 0, 1) * BIAS_LEVELS).astype(np.int64)
            styles = BIAS_BASE + (cl.bias >= 0).astype(np.int64) * (BIAS_LEVELS + 1) + levels
    counts = None
    if cl.level > 0 and pitch_px >= 11:
        counts = (col.x, size, min(10.0, pitch_px * 0.75), np.asarray(cl.y), np.asarray(cl.counts))
    return ColumnNeurons(
        m, float(col.x), np.asarray(cl.y, dtype=float), size, SYMBOL_CODES[symbol], style, styles, counts
    )


def _room_under(columns: list[L.Column]) -> float:
    """Pixels kept under the columns for a drawer's label under its drawing (a recurrence's loop)."""
    return 16.0 if any(c.below for c in columns) else 0.0


def matching_weights(columns: list[L.Column], links: list[L.Link], weights):
    """The arrays of `weights` that fit the drawn layers (those of a stale build do not: shown as pending)."""
    if not weights:
        return weights
    out = {}
    for link in links:
        arrays = weights.get(link.layer_name)
        if link.kind != "dense" or not arrays:
            continue
        src, dst = columns[link.src], columns[link.dst]
        if np.shape(L.edge_arrays(columns, link.dst, arrays)[0]) in ((src.block, dst.block), (src.n, dst.n)):
            out[link.layer_name] = arrays
    for col in columns:  # layers drawn by an overlay alone (an Embedding's table)
        arrays = weights.get(col.name)
        drawer = L.DRAWERS.get(col.drawing)
        overlay_only = drawer is not None and drawer.overlay is not None and drawer.link == "none"
        if arrays and overlay_only and len(arrays) == len(col.weight_names):
            out[col.name] = arrays
    for col in columns:
        if col.kind == "stage" and col.name in weights:
            arrays = weights[col.name]
            if all(np.size(a) == col.block for a in arrays):
                out[col.name] = arrays
        elif not col.neurons and col.name in weights:
            arrays = weights[col.name]
            if [tuple(np.shape(a)) for a in arrays] == list(col.weight_shapes):
                out[col.name] = arrays
    return out


def _plans(columns, lod, pixel_scale, pending, bias_scale) -> tuple[EdgePlan, NeuronPlan]:
    """What the worker prepares for the GUI thread along with a level of detail."""
    return plan_edges(lod, pixel_scale[1]), plan_neurons(columns, lod, pixel_scale, pending, bias_scale)


def _same_range(a, b) -> bool:
    """Two view ranges ((x0, x1), (y0, y1)) are the same (up to rounding)."""
    for (a0, a1), (b0, b1) in zip(a, b, strict=True):
        if max(abs(a0 - b0), abs(a1 - b1)) > 1e-9 * max(1.0, abs(a1 - a0)):
            return False
    return True


def _objects(values: list) -> np.ndarray:
    """A 1-D object array of `values` (numpy would unpack sequences among them)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


_SYMBOL_ARRAY = _objects(list(SYMBOLS))
_TEXT_SYMBOLS: dict[str, tuple[QtGui.QPainterPath, float]] = {}


def _text_symbol(text: str) -> tuple[QtGui.QPainterPath, float]:
    """A ScatterPlotItem symbol that writes `text`, centred in a unit square, and its aspect
    (width / height): draw it at size = text height * aspect."""
    found = _TEXT_SYMBOLS.get(text)
    if found is None:
        font = QtGui.QFont()
        font.setPointSize(10)
        raw = QtGui.QPainterPath()
        raw.addText(0, 0, font, text)
        br = raw.boundingRect()
        side = max(br.width(), br.height(), 1e-6)
        tr = QtGui.QTransform()
        tr.scale(1 / side, 1 / side)
        tr.translate(-br.center().x(), -br.center().y())
        found = (tr.map(raw), max(br.width() / max(br.height(), 1e-6), 1.0))
        _TEXT_SYMBOLS[text] = found
    return found


class NetworkCanvas(pg.GraphicsLayoutWidget):
    """The network drawing: columns of neurons joined by their real weights."""

    # Qt sends palette and resize events while the widget is constructed: restyle only once it is whole
    _theme_ready = False

    layerClicked = Signal(int)  # index in spec.layers
    weightsDrawn = Signal()  # the weights given to set_weights are drawn (or pending is shown)
    lodApplied = Signal()  # a new level of detail is on screen

    def __init__(self, parent: QtWidgets.QWidget | None = None, turns: Turns | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkCanvas")
        # a worker's result is taken on a turn of its own (the window's turns: one step per turn for
        # all its views), not in the pass of the event loop that delivers it with the scene's
        # repaint and the other views' posted calls
        self._turns = turns if turns is not None else Turns(self)
        self._arrived: JobResult | None = None
        self.theme: Theme = LIGHT_THEME  # follows the palette: apply_theme()
        self._brushes: dict | None = None  # style key -> brush for the theme (see _brush_table)
        self._brush_codes: np.ndarray | None = None  # the same brushes by style code (see _brush_array)
        self._grouped = False  # some neurons are drawn as groups (the status line says how to see them)
        self._outline_pen = pg.mkPen(self.theme.outline, width=1)
        self.setBackground(self.theme.background)
        self.ci.setContentsMargins(0, 0, 0, 0)
        self.view: pg.ViewBox = self.addViewBox(enableMenu=False)
        self.view.setDefaultPadding(0)
        self.view.disableAutoRange()

        self.columns: list[L.Column] = []
        self.links: list[L.Link] = []
        self.lod = L.Lod({}, [])
        self._lod_key: tuple | None = None  # the view and size self.lod was computed for
        self._bounds = L.scene_bounds([])  # of the current columns (set_model)
        self._under_px = 0.0  # room under the columns for a drawer's label (set_model)
        self._counts = (0, 0)  # neurons and weights of the current columns (set_model)
        self._neuron_pieces: dict = {}  # each column's points, for the next plan_neurons on the GUI thread
        self._column_cache: dict = {}  # what build_columns took from each layer's type, for the next edit
        self.weights: Mapping[str, list[np.ndarray]] | None = None
        self.pending = True
        self.selected_index = -1
        self.last_hover_text = ""
        self._spec = None
        self._bias_scale = 1.0
        self._shape_key: tuple = ()
        self._pyramids: dict = {}  # kernel pyramids of the current weights, reused after an edit
        # background work for big models: one job at a time, one waiting request (newest wins)
        self._jobs = BackgroundJob(self._on_job_arrived, linger_s=WORKER_LINGER_S)
        self._layouts = BackgroundJob(self._on_layout_done, name="canvas-layout", linger_s=WORKER_LINGER_S)
        self._layout_waiting: tuple | None = None  # (summary, spec, ready) asked for while a layout ran
        self.destroyed.connect(self._jobs.close)
        self.destroyed.connect(self._layouts.close)
        self._big = False  # more than SYNC_WORK kernel values: summing happens in the background
        self._structure = 0  # bumped when the shown columns are replaced by a call (edit, pending)
        self._want: str | None = None  # "weights" or "lod": what to run when the worker is free
        self._incoming: tuple | None = None  # (structure, weights) waiting for the worker
        self._running: str | None = None  # the kind of the job in the worker
        self._next_weights_at = 0.0  # time.monotonic() before which no weights job starts
        self._rest_timer = QtCore.QTimer(self)
        self._rest_timer.setSingleShot(True)
        self._rest_timer.timeout.connect(self._kick_slot)
        self.last_job_ms = 0.0

        self.selection = QtWidgets.QGraphicsRectItem()
        self.selection.setZValue(-30)
        self.selection.hide()
        self.view.addItem(self.selection)

        self.edges = EdgeLayer(z=-10)
        self.view.addItem(self.edges)
        self.maps = FeatureMapItem()  # convolution and pooling layers: feature maps and kernel tiles
        self.maps.setZValue(5)
        self.view.addItem(self.maps)
        self.overlays = OverlayItems(self.view, self.theme)  # gate bands, embedding tables (drawer overlays)
        self.neurons = StyledScatter(pxMode=True, hoverable=False)
        self.neurons.setZValue(10)
        self.view.addItem(self.neurons)
        self.counts = pg.ScatterPlotItem(pxMode=True, pen=None)
        self.counts.setZValue(11)
        self.view.addItem(self.counts)
        # one header per column, made as they are needed (headers.py)
        self.column_headers = ColumnHeaders(
            self, self.view, self.font, lambda: self.theme, lambda: self._panel_brush(210)
        )
        self.column_headers.completed.connect(self._on_headers_completed)

        self.status = pg.TextItem(anchor=(0, 1))
        self.status.setParentItem(self.view)
        self.view.sigResized.connect(self._place_status)
        self.legend: pg.LegendItem | None = None  # the one of _legends on screen
        self._legends: dict[int, pg.LegendItem] = {}  # by column count
        self._legend_beside = False  # the legend stands right of the drawing (else under it)
        self._legend_lift = 0.0  # pixels the legend stands above the bottom edge, over the status text
        self._style_items()

        self._lod_timer = QtCore.QTimer(self)
        self._lod_timer.setSingleShot(True)
        self._lod_timer.setInterval(LOD_DELAY_MS)
        self._lod_timer.timeout.connect(self.refresh_lod)
        self.view.sigRangeChanged.connect(self._schedule_lod)
        self.view.sigResized.connect(self._on_resized)
        self.view.sigRangeChangedManually.connect(self._on_user_moved)
        self._auto_fit = True  # until the person pans or zooms, resizing refits the drawing
        self._last_fit: list | None = None  # the view range the last fit_view set
        self._refitting = False  # a refit for the status text's room is under way (see _update_status)
        self._fit_due = False  # a refit asked for by a resize or the status text, made on the next turn
        self._draw_due: bool | None = None  # set_model(drawn=False): whether draw_model fits (None: drawn)
        self._planned_lod: tuple[tuple, list[L.Column], L.Lod] | None = None  # plan_drawing's (view key, columns, lod)
        self._kept: tuple[list[L.Column], list[bool]] | None = None  # an edit's columns, and which kept their geometry
        # columns, and their `places_of` made in the thread that made them (None: to be made when drawn)
        self._known_places: tuple[list[L.Column], tuple | None] = ([], None)
        self._prepared: tuple | None = None  # (summary, spec, its columns and links, their places): see prepare_model
        self._refit_for_status = False  # ... and whether the status text asked (see _update_status)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.setMinimumSize(200, 150)
        self.apply_theme()
        self._theme_ready = True

    # -- public API -------------------------------------------------------------------------

    def prepare_model(self, summary, spec, ready: Callable[[], None] | None = None) -> None:
        """Lay out the columns of a model about to be drawn, the costlier half of `set_model`, which
        takes them when given the same summary and spec. With `ready`, in a background thread (a
        big model's layout takes tens of milliseconds): `ready()` is called on the GUI thread once
        it is done, unless a newer request superseded it (a failed layout is made again by
        `set_model`)."""
        if ready is None:
            self._prepared = (summary, spec, L.build_columns(summary, spec, self._column_cache), None)
        elif self._layouts.running:
            self._layout_waiting = (summary, spec, ready)
        else:
            self._start_layout(summary, spec, ready)

    def _start_layout(self, summary, spec, ready: Callable[[], None]) -> None:
        cache = dict(self._column_cache)  # the thread's own: set_model may use the canvas's meanwhile

        def layout_job():
            columns, links = L.build_columns(summary, spec, cache)
            return (columns, links), cache, places_of(columns, spec)

        self._layouts.start((summary, spec, ready), layout_job)

    @Slot(object)
    def _on_layout_done(self, result: JobResult) -> None:
        if self._layouts.closed:
            return
        self._layouts.done()
        summary, spec, ready = result.tag
        waiting, self._layout_waiting = self._layout_waiting, None
        if waiting is not None:
            self._start_layout(*waiting)
            return
        if result.error is None:
            built, self._column_cache, places = result.value
            self._prepared = (summary, spec, built, places)
        ready()

    def set_model(self, summary, spec, drawn: bool = True) -> None:
        """Draw the model from its analytic summary at once; weights are pending until set_weights.

        After an edit that keeps the model's structure (as many columns, joined alike, most of them
        unchanged: one layer's units or settings changed, a rename), only what changed is drawn
        again, and the view stays where it is (a fitted view follows the fit); another model is
        drawn afresh and fitted. With `drawn=False` another model's columns are taken but its
        fit and drawing wait for `draw_model()` (a big model's second step)."""
        self._draw_due = None
        prepared, self._prepared = self._prepared, None
        if prepared is not None and prepared[0] is summary and prepared[1] is spec:
            columns, links = prepared[2]
            self._known_places = (columns, prepared[3])
        else:
            columns, links = L.build_columns(summary, spec, self._column_cache)
            self._known_places = ([], None)  # nothing of the model before is held on to
        previous, previous_links = self.columns, self.links
        self._spec = spec
        self._structure += 1  # a job still running for the old model is dropped
        self._want, self._incoming = None, None
        self._next_weights_at = 0.0
        self.columns, self.links = columns, links
        self._big = L.aggregation_work(columns, links) > SYNC_WORK
        if self._big:  # its weights will be summed in the worker: have it wait for them
            self._jobs.prepare()
        self._bounds = L.scene_bounds(columns)
        self._under_px = _room_under(columns)
        self.edges.set_bounds(*self._bounds)
        # what the status line counts (weights aside, the same until the next model)
        self._counts = (
            sum(c.n for c in columns),
            sum(columns[lk.src].block * columns[lk.dst].block for lk in links if lk.kind == "dense")
            + L.figure_weights(columns),
        )
        self.weights = None
        self.pending = True
        self._bias_scale = 1.0
        self.overlays.show(L.overlay_plans(columns, None))
        key = tuple((c.kind, c.n) for c in columns)
        refit = key != self._shape_key
        self._shape_key = key
        if previous and len(previous) == len(columns) and L.same_links(previous_links, links):
            changed = [i for i, (a, b) in enumerate(zip(previous, columns, strict=True)) if not L.same_column(a, b)]
            if 2 * len(changed) <= len(columns):
                self._update_model(previous, changed, drawn)
                return
        self.column_headers.set_columns(columns)
        self._update_status()  # before the fit: it keeps the status text's room free
        self._draw_due = refit
        if drawn:
            self.draw_model()

    def plan_drawing(self) -> None:
        """draw_model's first half, for a turn of its own before it: the view fitted to the model
        `set_model(..., drawn=False)` took (when it is to be) and the level of detail for that view
        worked out, not yet on screen; draw_model then shows it. Nothing when the model is drawn, or
        when its level of detail is made in the background."""
        refit = self._draw_due
        if refit is None or not self.columns or self._lod_in_background():
            return
        if refit:
            self._set_fit_range()
            self._draw_due = False  # fitted: draw_model refreshes what the fit shows
        self._lod_timer.stop()  # the range set: draw_model comes next
        self._planned_lod = (self._view_key(), self.columns, self._compute_lod())

    def draw_model(self) -> None:
        """Fit the model `set_model(..., drawn=False)` took (or, when its columns are as many and as big
        as before, refresh what is on screen) and show its selection; nothing when it is drawn."""
        refit, self._draw_due = self._draw_due, None
        if refit is None:
            return
        if refit:
            self.fit_view()  # which refreshes the level of detail for the new range
        else:
            self.refresh_lod()
        self.select_layer(self.selected_index)

    def _update_model(self, previous: list[L.Column], changed: list[int], drawn: bool) -> None:
        """set_model for columns like `previous` but for those in `changed`: their headers and
        groups are made again, those of the others are taken over (when the view has not moved).
        With `drawn=False` the groups wait for plan_drawing and draw_model, as another model's do."""
        columns = self.columns
        kept = [L.same_geometry(a, b) for a, b in zip(previous, columns, strict=True)]
        self.column_headers.update_columns(columns, changed)
        maps_moved = any(
            not columns[j].neurons or not previous[j].neurons
            for i in changed
            for j in (i - 1, i, i + 1)
            if 0 <= j < len(columns)
        )
        self.maps.set_columns(
            columns, self._spec, self.pending, same_places=not maps_moved, places=self._places_of(columns)
        )
        self._update_status()  # which fits again when the status text takes other room
        self._lod_timer.stop()
        self._kept = (columns, kept)  # the old groups of these columns hold for the new ones
        self._draw_due = self._still_fitted() and not self._fitted()
        if drawn:
            self.draw_model()

    def _places_of(self, columns: list[L.Column]) -> tuple | None:
        """`places_of(columns, spec)` when a background thread made it with them, else None."""
        known, places = self._known_places
        return places if known is columns else None

    def _compute_lod(self) -> L.Lod:
        """The level of detail of the current columns for the current view; the groups of the
        columns an edit kept (`_update_model`) taken over from the one on screen."""
        previous, kept = None, None
        if self._kept is not None and self._kept[0] is self.columns and self._lod_key == self._view_key():
            previous, kept = self.lod, self._kept[1]
        return L.compute_lod(self.columns, self.links, self.view_rect(), self._pixels(), previous, kept)

    def set_weights(self, weights: Mapping[str, list[np.ndarray]] | None) -> None:
        """Show the real weights (layer name -> Keras get_weights() arrays); None: pending.

        Small models are drawn inside the call; for a big one the kernels are summed in the
        background and `weightsDrawn` is emitted once the drawing is on screen."""
        nothing_coming = self._incoming is None and self._want != "weights" and self._running != "weights"
        if weights is None and self.weights is None and self.pending and nothing_coming:
            # pending already (set_model, as after an edit): nothing on screen changes
            self._pyramids.clear()  # as attaching no weights does: no array is kept for later
            self.weightsDrawn.emit()
            return
        if self._big and weights:  # which arrays fit, and their sums: all in the worker
            self._incoming = (self._structure, weights)
            self._want = "weights"
            self._kick()
            self._update_status()
            return
        matching = matching_weights(self.columns, self.links, weights)
        self._structure += 1  # replaces what is shown now: older background results are dropped
        self._want, self._incoming = None, None
        columns, links = L.copy_structure(self.columns, self.links)
        L.apply_weights(columns, links, matching, self._pyramids)
        self.columns, self.links = columns, links
        self.weights = weights
        self.pending = weights is None
        self._bias_scale = L.bias_scale(columns)
        self.overlays.show(L.overlay_plans(columns, matching))
        self._update_status()
        self.refresh_lod()
        self.weightsDrawn.emit()

    def busy(self) -> bool:
        """A background job runs or waits (big models only), or the lines of the newest level of
        detail are still being rasterised in slices (see edges.py)."""
        return self._jobs.running or self._want is not None or not self.edges.settled()

    def release_workers(self) -> None:
        """End the background workers that wait for a job (the next job starts a new one)."""
        self._jobs.release()
        self._layouts.release()

    def resume_workers(self) -> None:
        """The background workers wait for the next job again (the window is shown again after its close)."""
        self._jobs.resume()
        self._layouts.resume()

    def shutdown(self) -> None:
        """Stop background work for good and join its thread (also done when the widget is destroyed)."""
        self._want, self._incoming = None, None
        self._rest_timer.stop()
        self._lod_timer.stop()  # a zoom just before closing: no level of detail for a cleared view
        self.column_headers.stop()
        self._jobs.close()
        self._layouts.close()
        self._layout_waiting = None

    def close(self) -> bool:
        self._theme_ready = False  # pyqtgraph's close() clears the scene: no more restyling
        return super().close()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        # pyqtgraph's close() has cleared the scene already: this canvas draws nothing any more
        self.shutdown()
        super().closeEvent(event)

    def select_layer(self, index: int) -> None:
        """Highlight the layer at `index` in spec.layers (-1: none)."""
        self.selected_index = index
        self._place_selection()
        self.column_headers.select(self._column_index_of_layer(index))

    @property
    def headers(self) -> list[HeaderItem | None]:
        """Each column's header (None while it is still to be made: see headers.py)."""
        return self.column_headers.items

    def headers_complete(self) -> bool:
        """Every column has its header (they are made in steps for big models)."""
        return self.column_headers.complete()

    def _place_selection(self) -> None:
        col = self._column_of_layer(self.selected_index)
        if col is None:
            self.selection.hide()
            return
        ppx, ppy = self._pixel_scale()
        half = (26 if col.kind in ("dense", "input", "error", "recurrent", "embedding") else 18) / ppx
        h = col.height / 2 + 14 / ppy
        self.selection.setRect(QtCore.QRectF(col.x - half, -h, 2 * half + col.out_dx, 2 * h))
        self.selection.show()

    def fit_view(self) -> None:
        """Show the whole network, clear of the legend, the status text and the headers."""
        self._set_fit_range()
        self.refresh_lod()

    def _set_fit_range(self) -> None:
        """The view's range set to the fit (its level of detail not refreshed)."""
        self._fit_due = False  # a refit asked for meanwhile is this one
        x_range, y_range = self._fit_range()
        self.view.setRange(xRange=x_range, yRange=y_range, padding=0)
        self._last_fit = self.view.viewRange()
        self._auto_fit = True

    def _fit_range(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The x and y ranges that show the whole network clear of what stands around it."""
        x0, x1, y0, y1 = self._bounds
        w_px, h_px = self._pixels()
        self._place_overlays()
        margins = self._margins(w_px, h_px)
        left, right, top, bottom = margins
        w = max(x1 - x0, 0.5)
        h = max(y1 - y0, 1.0)
        per_px_x = w / max(w_px - left - right, 0.3 * w_px)
        per_px_y = h / max(h_px - top - bottom, 0.3 * h_px)
        return (x0 - left * per_px_x, x1 + right * per_px_x), (y0 - bottom * per_px_y, y1 + top * per_px_y)

    @Slot()
    def _on_headers_completed(self) -> None:
        """The headers made in steps may need other room than the fit gave them (text of other
        heights): fit again, unless the person has moved the view."""
        if self.columns and self._still_fitted() and not self._fitted():
            self.fit_view()

    def _still_fitted(self) -> bool:
        """The view is where the last fit_view put it (neither the person nor a program moved it)."""
        return self._auto_fit and self._last_fit is not None and _same_range(self._last_fit, self.view.viewRange())

    def _fitted(self) -> bool:
        """The view shows what fit_view would show now."""
        return _same_range(self._fit_range(), self.view.viewRange())

    def _margins(self, w_px: float, h_px: float) -> tuple[float, float, float, float]:
        """Pixels (left, right, top, bottom) kept free around the drawing (see _free_margins), within
        a share of the canvas."""
        left, right, top, bottom = self._free_margins(w_px, h_px)
        return left, right, min(top, 0.3 * h_px), min(bottom, 0.5 * h_px)

    def _free_margins(
        self, w_px: float, h_px: float, legend_shown: bool | None = None
    ) -> tuple[float, float, float, float]:
        """Pixels (left, right, top, bottom) the input's labels, the headers above and below the
        columns, the legend (right or bottom; `legend_shown`: whether it is, default as it is now) and
        the status text need around the drawing."""
        legend = self._legend()
        shown = legend.isVisible() if legend_shown is None else legend_shown
        legend_size = legend.boundingRect() if shown else QtCore.QRectF()
        status_h = self.status.boundingRect().height()
        above, below_h = self.column_headers.heights()
        below_rows = self.column_headers.below_rows()
        below = below_rows * (below_h + 2) + self._under_px
        left = 110.0
        last = self.column_headers.natural_width(self.columns[-1]) / 2 if self.columns else 0.0
        if self._legend_beside:
            right = legend_size.width() + LEGEND_MARGIN_PX + max(last, 24.0) + 8
            bottom = status_h + 10 + below
        else:
            right = min(max(110.0, last + 12), 0.2 * w_px)
            if self._legend_lift:
                bottom = legend_size.height() + self._legend_lift + LEGEND_MARGIN_PX + 6 + below
            else:
                bottom = max(legend_size.height(), status_h) + LEGEND_MARGIN_PX + 6 + below
        top = above + 8
        return left, right, top, bottom

    def _place_overlays(self) -> None:
        """The legend beside the drawing (one column, right) when the canvas is wide, else under it
        (two columns, bottom right, above the status text when both do not fit side by side), or
        hidden where the drawing and its headers leave it no room; the status text bottom left."""
        if len(self._legends) < 2:
            return  # still being built
        w_px, h_px = self._pixels()
        gaps = max(len(self.columns) - 1, 1)
        room = w_px - 110 - self._legends[1].boundingRect().width() - 40  # for the drawing, beside the legend
        self._legend_beside = w_px >= 1.45 * h_px and room / gaps >= COLUMN_GAP_PX
        self.legend = legend = self._legends[1 if self._legend_beside else 2]
        self._place_status()
        lift = 0.0
        if not self._legend_beside and legend.boundingRect().width() + self.status.boundingRect().width() + 30 > w_px:
            lift = self.status.boundingRect().height() + 4  # no room beside the status text: above it
        self._legend_lift = lift
        legend.anchor((1, 1), (1, 1), offset=(-LEGEND_MARGIN_PX, -LEGEND_MARGIN_PX - lift))
        # hidden where there is no room under the drawing for it: the drawing and its headers come first
        room_for_it = self._free_margins(w_px, h_px, legend_shown=True)[3] <= 0.5 * h_px
        if not room_for_it:
            self._legend_lift = 0.0
        for each in self._legends.values():  # each shown or hidden once (its entries' show events cost)
            each.setVisible(room_for_it and each is legend)

    def export_png(self, path: str | Path, scale: float = 2) -> None:
        """Save the drawing as PNG at `scale` times the widget's size (2x for high-DPI screens),
        with pyqtgraph's ImageExporter. Connections are drawn as plain lines there (a few
        thousand antialiased wide lines take Qt's raster engine seconds); at 2x they look smooth."""
        from pyqtgraph.exporters import ImageExporter

        exporter = ImageExporter(self.ci)
        params = exporter.parameters()
        rect = self.ci.sceneBoundingRect()
        params["width"] = int(round(rect.width() * scale))
        params["height"] = int(round(rect.height() * scale))
        params["antialias"] = True
        # the legend keeps its screen size in an export: scale it with the rest, then put it back
        legend = self._legend()
        legend.setScale(scale)
        box = self.view.boundingRect()
        size = legend.boundingRect()
        legend.setPos(box.width() - size.width() - 10, box.height() - size.height() - 10)
        try:
            exporter.export(str(path))
        finally:
            legend.setScale(1)
            self._place_overlays()

    def _legend(self) -> pg.LegendItem:
        legend = self.legend
        assert legend is not None, "the legend is built in the constructor"
        return legend

    def export_svg(self, path: str | Path) -> None:
        """Save the drawing as SVG, every connection a vector line.

        pyqtgraph's SVGExporter fails here on closed symbol paths ("... Z") that Qt 6.12 writes,
        so the scene is rendered through Qt's own QSvgGenerator, with the items in export mode.
        """
        from PySide6 import QtSvg

        rect = self.ci.sceneBoundingRect()
        generator = QtSvg.QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(QtCore.QSize(round(rect.width()), round(rect.height())))
        generator.setViewBox(QtCore.QRectF(0, 0, rect.width(), rect.height()))
        generator.setTitle(self._spec.name if self._spec is not None else "network")
        generator.setDescription("nnstudio network drawing")
        items = [self.edges, self.neurons, self.counts, self.maps]
        for item in items:
            item.setExportMode(True, {"antialias": True})
        painter = QtGui.QPainter(generator)
        try:
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
            self.scene().render(painter, QtCore.QRectF(0, 0, rect.width(), rect.height()), rect)
        finally:
            painter.end()
            for item in items:
                item.setExportMode(False)

    # -- level of detail --------------------------------------------------------------------

    @Slot()
    def _schedule_lod(self, *args) -> None:
        self._lod_timer.start()

    def view_rect(self) -> tuple[float, float, float, float]:
        (x0, x1), (y0, y1) = self.view.viewRange()
        return x0, x1, y0, y1

    def _pixels(self) -> tuple[float, float]:
        r = self.view.boundingRect()
        return max(r.width(), 1.0), max(r.height(), 1.0)

    @Slot()
    def refresh_lod(self) -> None:
        """Recompute groups and edges for what is on screen, and update the items (for a big
        model with weights: in the background; `lodApplied` says when it is on screen)."""
        self._lod_timer.stop()
        if not self.columns:
            self.lod = L.Lod({}, [])
            self.edges.update_lod(self.lod)
            self.neurons.clear()
            self.counts.clear()
            return
        if self._lod_in_background():
            self._place_headers()
            self._place_selection()
            if self._want is None:
                self._want = "lod"
            self._kick()
            return
        planned, self._planned_lod = self._planned_lod, None
        if planned is not None and planned[0] == self._view_key() and planned[1] is self.columns:
            self._show_lod(planned[2])
        else:
            self._show_lod(self._compute_lod())

    def _lod_in_background(self) -> bool:
        """Whether the level of detail is made in the worker (a big model with its weights)."""
        return self._big and any(lk.pyramid is not None for lk in self.links)

    def _show_lod(self, lod: L.Lod, plans: tuple | None = None, view_key: tuple | None = None) -> None:
        """Put `lod` on screen; `plans` = (EdgePlan, NeuronPlan) made in the worker for it, and
        `view_key` the view it was made for (default: the current one)."""
        self.lod = lod
        self._lod_key = view_key if view_key is not None else self._view_key()
        self._kept = None
        self.maps.set_columns(self.columns, self._spec, self.pending, places=self._places_of(self.columns))
        if plans is None:
            self.edges.update_lod(self.lod, self._pixel_scale()[1])
            self._draw_neurons()
        else:
            self.edges.apply_plan(plans[0])
            self._draw_neurons(plans[1])
        grouped = any(cl.level > 0 for cl in lod.columns.values())
        if grouped != self._grouped:
            self._grouped = grouped
            self._update_status()
        self._place_headers()
        self._place_selection()
        self.lodApplied.emit()

    # -- background work (big models) ---------------------------------------------------------

    def _view_key(self) -> tuple:
        return (self.view_rect(), self._pixels())

    def _kick(self) -> None:
        """Start the waiting request if the worker is free. Its inputs are taken now, so a
        request that waited runs on the newest weights, model and view."""
        if self._jobs.running or self._want is None:
            return
        if self._want == "weights":
            rest = self._next_weights_at - time.monotonic()
            if rest > 0:  # weights keep coming: let the last sum's time pass first
                self._rest_timer.start(int(rest * 1000) + 1)
                return
        want, self._want = self._want, None
        view, pixels = self.view_rect(), self._pixels()
        if want == "weights":
            incoming, self._incoming = self._incoming, None
            assert incoming is not None
            structure, weights = incoming
            if structure != self._structure:
                return
            shown_columns, shown_links = self.columns, self.links  # replaced, never changed, by the GUI thread
            spec = self._spec
            cache = dict(self._pyramids)

            scale = self._pixel_scale()

            def job():
                matching = matching_weights(shown_columns, shown_links, weights)
                columns, links = L.copy_structure(shown_columns, shown_links)
                L.apply_weights(columns, links, matching, cache)
                bias_scale = L.bias_scale(columns)
                lod = L.compute_lod(columns, links, view, pixels)
                plans = _plans(columns, lod, scale, False, bias_scale)
                overlays = L.overlay_plans(columns, matching)
                return columns, links, cache, bias_scale, lod, plans, overlays, places_of(columns, spec)

            self._jobs.start(("weights", structure, (view, pixels), weights), job)
            self._running = want
            self._update_status()
        else:
            columns, links = self.columns, self.links
            scale, pending, bias_scale = self._pixel_scale(), self.pending, self._bias_scale

            def lod_job():
                lod = L.compute_lod(columns, links, view, pixels)
                return lod, _plans(columns, lod, scale, pending, bias_scale)

            self._jobs.start(("lod", self._structure, (view, pixels), columns), lod_job)
            self._running = want

    @Slot()
    def _kick_slot(self) -> None:
        self._kick()

    @Slot(object)
    def _on_job_arrived(self, result: JobResult) -> None:
        self._arrived = result  # one job runs at a time: the next starts once this one is taken
        self._turns.ask(self._take_arrived)

    def _take_arrived(self) -> None:
        result, self._arrived = self._arrived, None
        if result is not None:
            self._on_job_done(result)

    def _on_job_done(self, result: JobResult) -> None:
        if self._jobs.closed:  # posted just before the canvas was shut down or destroyed
            return
        self._jobs.done()
        self._running = None
        self.last_job_ms = result.elapsed_ms
        kind, structure, view_key, extra = result.tag
        current = structure == self._structure
        if result.error is not None:
            if current:
                self.status.setText(f"could not draw the weights: {result.error[:120]}")
        elif kind == "weights" and current:
            # newer than what is shown: take it, even when newer weights already wait (during
            # training they always do, and dropping would show none until it stops)
            columns, links, cache, scale, lod, plans, overlays, places = result.value
            self.columns, self.links = columns, links
            self._under_px = _room_under(columns)
            self._known_places = (columns, places)
            self._pyramids = cache
            self._bias_scale = scale
            self.weights = extra
            self.pending = False
            self.overlays.show(overlays)
            self._next_weights_at = time.monotonic() + WEIGHTS_REST * result.elapsed_ms / 1000
            self._show_lod(lod, plans, view_key)
            if view_key != self._view_key() and self._want is None:
                self._want = "lod"
            self.weightsDrawn.emit()
        elif kind == "lod" and current and extra is self.columns:
            if view_key == self._view_key():
                lod, plans = result.value
                self._show_lod(lod, plans, view_key)
            elif self._want is None:  # the view moved meanwhile: a stale detail is dropped
                self._want = "lod"
        self._kick()
        if kind == "weights" and result.error is None:
            self._update_status()

    @Slot()
    def _on_resized(self, *args) -> None:
        if self._auto_fit and self.columns:
            self._place_overlays()
            self._request_fit()
        else:
            self._place_overlays()
            self._schedule_lod()

    @Slot()
    def _on_user_moved(self, *args) -> None:
        self._auto_fit = False

    def _place_headers(self) -> None:
        """Headers sit just above their column (stages: below), and stay on screen when zoomed in."""
        ppx, ppy = self._pixel_scale()
        self.column_headers.place(ppx, ppy, self.view_rect())

    def _draw_neurons(self, plan: NeuronPlan | None = None) -> None:
        """Put the neurons (and the counts of groups) of self.lod on screen; `plan` may have been
        made in the worker (from the same lod and view), else it is made here."""
        if plan is None:
            plan = plan_neurons(
                self.columns, self.lod, self._pixel_scale(), self.pending, self._bias_scale, self._neuron_pieces
            )
        if len(plan.x):
            self.neurons.set_points(
                plan.x,
                plan.y,
                plan.size,
                plan.symbols,
                plan.styles,
                _SYMBOL_ARRAY,
                self._brush_array(),
                self._outline_pen,
            )
        else:
            self.neurons.clear()
        cx, cy, csym, csize = [], [], [], []
        ppx = plan.ppx
        for x, size, text_px, ys, counts in plan.counts:
            for yv, count in zip(ys.tolist(), counts.tolist(), strict=False):
                symbol_path, aspect = _text_symbol(f"{count:,}")
                width = text_px * aspect
                cx.append(x + (size / 2 + 3 + width / 2) / ppx)
                cy.append(yv)
                csym.append(symbol_path)
                csize.append(width)
        if cx:
            self.counts.setData(x=np.array(cx), y=np.array(cy), size=np.array(csize), symbol=csym, pen=None)
        else:
            self.counts.clear()

    def _brush_array(self) -> np.ndarray:
        """The brushes of the theme in STYLE_KEYS order (an object array, indexed by style code)."""
        if self._brush_codes is None:
            table = self._brush_table()
            self._brush_codes = _objects([table[key] for key in STYLE_KEYS])
        return self._brush_codes

    def _brush_table(self) -> dict:
        """Style key (see plan_neurons) -> brush, the same objects for as long as the theme lasts
        (pyqtgraph renders a symbol anew for every new brush object)."""
        if self._brushes is None:
            t = self.theme
            table = {
                "input": pg.mkBrush(t.input_fill),
                "pending": pg.mkBrush(t.pending_fill),
                "neutral": pg.mkBrush(t.neutral_fill),
            }
            for name in STAGE_SYMBOLS:
                table["stage:" + name] = pg.mkBrush(t.stage_fills[name])
            for lv in range(BIAS_LEVELS + 1):
                table[BIAS_KEYS[1][lv]] = pg.mkBrush(mix(t.positive, 0.85 * lv / BIAS_LEVELS, t.neutral_fill))
                table[BIAS_KEYS[0][lv]] = pg.mkBrush(mix(t.negative, 0.85 * lv / BIAS_LEVELS, t.neutral_fill))
            self._brushes = table
        return self._brushes

    def _pixel_scale(self) -> tuple[float, float]:
        x0, x1, y0, y1 = self.view_rect()
        w, h = self._pixels()
        return w / max(x1 - x0, 1e-12), h / max(y1 - y0, 1e-12)

    # -- text -------------------------------------------------------------------------------

    @Slot()
    def _place_status(self, *args) -> None:
        """The status text at the bottom left, under the drawing (fit_view keeps its room free)."""
        box = self.view.boundingRect()
        self.status.setAnchor((0, 1))
        self.status.setPos(8, box.height() - 6)

    def _update_status(self) -> None:
        if not self.columns:
            self.status.setText("no model")
            return
        neurons, weights = self._counts
        text = f"{neurons:,} neurons · {weights:,} weights"
        if self._grouped:
            text += " · squares: groups of neurons, zoom in"
        if self._incoming is not None or self._running == "weights":
            text += "\ndrawing the weights…" if self.pending else "\nupdating the weights…"
        elif self.pending:
            text += "\nweights pending (building with Keras…)"
        else:
            text += "\nhover: values · wheel: zoom · drag: pan · F: fit"
        odd = [lk.layer_name for lk in self.links if lk.pyramid is not None and lk.pyramid.has_non_finite]
        if odd:
            text += f"\nNaN or infinite weights in {', '.join(odd[:3])}{' …' if len(odd) > 3 else ''} (drawn grey)"
        before = (self.status.boundingRect().size(), self._legend_lift, self._legend().isVisible())
        self.status.setText(text)
        self._place_overlays()
        after = (self.status.boundingRect().size(), self._legend_lift, self._legend().isVisible())
        moved = after[0].height() != before[0].height() or after[1:] != before[1:]
        if moved and self._auto_fit and self.columns and not self._refitting:
            # The room the status text and the legend take changed: fit once more. Not again from
            # within that fit: at some sizes its grouping note comes and goes with each fit.
            self._request_fit(status=True)

    def _request_fit(self, status: bool = False) -> None:
        """Fit again on the next turn of the event loop: the resizes of one layout change and the
        status text's new room make one fit, not one each, and not inside the step that caused them."""
        self._refit_for_status = self._refit_for_status or status
        if not self._fit_due:
            self._fit_due = True
            QtCore.QTimer.singleShot(0, self, self._fit_when_due)

    def _fit_when_due(self) -> None:
        status, self._refit_for_status = self._refit_for_status, False
        if not self._fit_due:
            return
        self._fit_due = False
        if not (self._auto_fit and self.columns):
            return
        if self._draw_due is not None:  # the model taken waits for draw_model(), which fits it then
            self._draw_due = True
            return
        self._refitting = status
        try:
            self.fit_view()
        finally:
            self._refitting = False

    def _panel_brush(self, alpha: int) -> QtGui.QBrush:
        colour = QtGui.QColor(self.theme.panel)
        colour.setAlpha(alpha)
        return pg.mkBrush(colour)

    def _build_legend(self) -> None:
        """Two legends with the same entries in the theme's colours: one column (beside the drawing)
        and two (under it); the one the fit chose is shown."""
        t = self.theme
        for columns in (1, 2):
            legend = self._legends.get(columns)
            if legend is None:
                legend = pg.LegendItem(labelTextSize="8pt", colCount=columns, verSpacing=-6, horSpacing=14)
                legend.setParentItem(self.view)
                legend.anchor((1, 1), (1, 1), offset=(-LEGEND_MARGIN_PX, -LEGEND_MARGIN_PX))
                self._legends[columns] = legend
            else:  # a new theme: the same legend, new entries
                legend.clear()
            legend.setLabelTextColor(t.ink)
            legend.setBrush(self._panel_brush(230))
            legend.setPen(pg.mkPen(t.panel_border))
            legend.addItem(pg.PlotDataItem(pen=bin_pen(3, theme=t)), "weight &gt; 0")
            legend.addItem(pg.PlotDataItem(pen=bin_pen(7, theme=t)), "weight &lt; 0")
            legend.addItem(pg.PlotDataItem(pen=bin_pen(0, theme=t)), "small |w|: pale, thin")
            legend.addItem(pg.PlotDataItem(pen=pg.mkPen(t.positive, width=WIDTHS[-1])), "large |w|: strong, thick")
            legend.addItem(pg.PlotDataItem(pen=bin_pen(11, theme=t)), "group of mixed signs")
            legend.addItem(pg.PlotDataItem(pen=bin_pen(PENDING_BIN, theme=t)), "weights pending")
            for label, symbol, fill in (
                ("neuron, fill = bias", "o", mix(t.positive, 0.5, t.neutral_fill)),
                ("group of neurons (count)", "s", t.neutral_fill),
            ):
                legend.addItem(
                    pg.ScatterPlotItem(symbol=symbol, size=10, brush=pg.mkBrush(fill), pen=pg.mkPen(t.outline)), label
                )
        self._place_overlays()  # which shows the one the fit chose

    # -- colours ----------------------------------------------------------------------------

    def _style_items(self) -> None:
        """Give every item the colours of self.theme (background, lines, labels, legend)."""
        t = self.theme
        self.setBackground(t.background)
        self._brushes = None
        self._brush_codes = None
        self._outline_pen = pg.mkPen(t.outline, width=1)
        sel_colour = QtGui.QColor(t.selection)
        sel_colour.setAlpha(70 if not t.dark else 36)
        self.selection.setBrush(QtGui.QBrush(sel_colour))
        border = QtGui.QColor(t.selection)
        border.setAlpha(220 if not t.dark else 170)
        pen = QtGui.QPen(border, 1.5)
        pen.setCosmetic(True)
        self.selection.setPen(pen)
        self.edges.set_theme(t)
        self.maps.set_theme(t)
        self.overlays.set_theme(t)
        self.counts.setBrush(pg.mkBrush(t.muted))
        self.status.setColor(t.muted)
        self.status.fill = self._panel_brush(210)
        self.status.update()
        self._build_legend()

    def apply_theme(self, theme: Theme | None = None) -> None:
        """Recolour the drawing for `theme` (default: the one this widget's palette asks for)."""
        theme = theme if theme is not None else theme_for(self.palette())
        if theme == self.theme:
            return
        self.theme = theme
        self._style_items()
        self.column_headers.restyle()  # fills and text colours
        self.select_layer(self.selected_index)
        if self.columns:
            self._draw_neurons()
        self._place_status()

    def changeEvent(self, event: QtCore.QEvent) -> None:
        super().changeEvent(event)
        palette_events = (QtCore.QEvent.Type.PaletteChange, QtCore.QEvent.Type.ApplicationPaletteChange)
        if event.type() in palette_events and self._theme_ready:  # not while constructed
            self.apply_theme()

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        if self._theme_ready:
            self.apply_theme()  # the palette may have changed while hidden, or before the first show
        super().showEvent(event)

    # -- interaction ------------------------------------------------------------------------

    def _column_index_of_layer(self, index: int) -> int:
        """The index of the column that shows spec.layers[index] (-1: none)."""
        for ci, col in enumerate(self.columns):
            if col.layer_index == index:
                return ci
        return -1

    def _column_of_layer(self, index: int) -> L.Column | None:
        for col in self.columns:
            if col.layer_index == index:
                return col
        return None

    def _column_near(self, x: float, max_px: float) -> int | None:
        if not self.columns:
            return None
        ppx, _ = self._pixel_scale()
        xs = np.array([c.x for c in self.columns])
        ci = int(np.argmin(np.abs(xs - x)))
        return ci if abs(xs[ci] - x) * ppx <= max_px else None

    def describe_at(self, x: float, y: float) -> str:
        """The tooltip for scene point (x, y): a neuron (group), a weight of a drawer's heat map, or a
        connection, or ''."""
        ppx, ppy = self._pixel_scale()
        text = self.maps.describe(x, y, ppx, ppy) or self.overlays.describe(x, y)
        if text:
            return text
        ci = self._column_near(x, 14)
        if ci is not None and ci in self.lod.columns:
            cl = self.lod.columns[ci]
            g = int(np.argmin(np.abs(cl.y - y)))
            if abs(cl.y[g] - y) * ppy <= max(8.0, self.columns[ci].pitch * (1 << cl.level) * ppy / 2):
                return self._describe_neuron(self.columns[ci], cl, g)
        for ll in self.lod.links:
            if not (ll.x0 < x < ll.x1) or not len(ll.src):
                continue
            t = (x - ll.x0) / (ll.x1 - ll.x0)
            y_at = ll.y0 + (ll.y1 - ll.y0) * t
            dx = (ll.x1 - ll.x0) * ppx
            dy = (ll.y1 - ll.y0) * ppy
            dist = np.abs(y_at - y) * ppy * np.abs(dx) / np.hypot(dx, dy)
            e = int(np.argmin(dist))
            if dist[e] <= 4.0:
                return self._describe_edge(ll, e)
        return ""

    def _describe_neuron(self, col: L.Column, cl: L.ColumnLod, g: int) -> str:
        start, end = int(cl.starts[g]), int(cl.ends[g])
        head = f"{col.name} ({col.class_name})"
        which = f"neuron {start}" if end - start == 1 else f"neurons {start}–{end - 1} ({end - start:,})"
        lines = [head, which]
        if col.activation:
            lines.append(f"activation: {col.activation}")
        if cl.bias is not None:
            label = col.bias_label if end - start == 1 else f"mean {col.bias_label}"
            lines.append(f"{label}: {cl.bias[g]:+.4f}")
        elif col.kind in ("dense", "recurrent"):
            lines.append(f"{col.bias_label}: pending" if self.pending else f"{col.bias_label}: none")
        if end - start == 1:
            for key, values in col.stage_values.items():
                if start < values.size:
                    lines.append(f"{key}: {values[start]:+.4f}")
        return "\n".join(lines)

    def _describe_edge(self, ll: L.LinkLod, e: int) -> str:
        link = self.links[ll.link]
        src_col, dst_col = self.columns[link.src], self.columns[link.dst]
        a = self.lod.columns[link.src]
        b = self.lod.columns[link.dst]
        i, j = int(ll.src[e]), int(ll.dst[e])
        s0, s1 = int(a.starts[i]), int(a.ends[i])
        d0, d1 = int(b.starts[j]), int(b.ends[j])
        if ll.kind == "identity":
            return f"{dst_col.name}: value {s0} passes to {d0} one to one"
        if ll.mean_abs is None or ll.balance is None:
            return f"{dst_col.name}: weights from {src_col.name} pending"
        if ll.individual:
            w = float(ll.balance[e] * ll.mean_abs[e])
            return f"{dst_col.name}: weight {src_col.name}[{s0}] → {dst_col.name}[{d0}] = {w:+.4f}"
        share = (1 + ll.balance[e]) / 2 * 100
        return (
            f"{dst_col.name}: {(s1 - s0) * (d1 - d0):,} weights, {src_col.name}[{s0}–{s1 - 1}] → "
            f"{dst_col.name}[{d0}–{d1 - 1}]\nmean |w| = {ll.mean_abs[e]:.4f}, "
            f"sign balance {ll.balance[e]:+.2f} ({share:.0f}% of |w| positive)"
        )

    @Slot(object)
    def _on_mouse_moved(self, pos) -> None:
        if not self.view.sceneBoundingRect().contains(pos):
            return
        p = self.view.mapSceneToView(pos)
        text = self.describe_at(p.x(), p.y())
        self.last_hover_text = text
        if text:
            QtWidgets.QToolTip.showText(QtGui.QCursor.pos(), text, self)
        else:
            QtWidgets.QToolTip.hideText()

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        """F or Home: fit the network; + and -: zoom about the centre."""
        key = event.key()
        if key in (QtCore.Qt.Key.Key_F, QtCore.Qt.Key.Key_Home):
            self.fit_view()
        elif key in (QtCore.Qt.Key.Key_Plus, QtCore.Qt.Key.Key_Equal):
            self._auto_fit = False
            self.view.scaleBy((0.8, 0.8))
        elif key == QtCore.Qt.Key.Key_Minus:
            self._auto_fit = False
            self.view.scaleBy((1.25, 1.25))
        else:
            super().keyPressEvent(event)

    @Slot(object)
    def _on_mouse_clicked(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        if event.double():
            self.fit_view()
            return
        p = self.view.mapSceneToView(event.scenePos())
        self.click_at(p.x(), p.y())

    def click_at(self, x: float, y: float) -> int | None:
        """Select the layer whose column is at scene x (as a click there does) and emit layerClicked."""
        ci = self._column_near(x, 40)
        if ci is None:
            return None
        index = self.columns[ci].layer_index
        self.select_layer(index)
        self.layerClicked.emit(index)
        return index
