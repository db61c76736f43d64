"""The graph view: a functional model's layers as boxes laid out left to right, edited by mouse and keys.

Every gesture ends in a handler of the view that calls the document, so tests drive them without a
real drag (QDrag cannot run offscreen):

- `drop_layer(class_name, scene_pos)`: a palette entry dropped on a connection inserts the layer
  there, dropped on a layer or just right of it starts a branch from it, anywhere else adds it
  unconnected (an Input: another model input). The view's drag and drop events call it.
- `connect_by_drag(source_id, target_id)`: dragging from a layer's output port (right) to another
  layer connects them (a merge layer takes several inputs).
- a selected connection is deleted with Delete (`delete_selection`), a selected layer too.

Keys (with the view focused): arrows walk the graph (Left: what the layer reads, Right: what reads
it, Up/Down: the column), Alt+Left / Alt+Right select the selected layer's input / output
connections, Delete removes the selection, Esc cancels a connection being made. The window's
Edit menu adds Add Branch, Connect (twice: from the selected layer, then to the one selected
next) and Toggle Output (`branch_selected`, `connect_selected`, `toggle_output_selected`), and the
palette's Enter inserts on the selected connection (`add_from_palette`).

Selection is the document's: selecting a box selects the layer everywhere. The layout comes from
`GraphLayout` (grandalf's Sugiyama), seeded with the previous order so that edits do not reshuffle it,
and is kept per structure. An edit that leaves the scene's structure as it is (`_key_for`: the same
layers, connections, groups, outputs) only gives the boxes their new words (`NodeItem.set_labels`);
a structure of `LAYOUT_AWAY_FROM` boxes or more not laid out before is laid out in a background
thread (`laying_out()`, then `built`), the scene drawn when the layout arrives; meanwhile the graph drawn
before stays in view, veiled, and takes no clicks or keys.

Repeated blocks (`core.graph_blocks`: a ResNet stage, a DenseNet dense block) can be collapsed into
one box (`GroupItem`); a model of `COLLAPSE_FROM` layers or more opens with all of them collapsed.
Double-click or Enter on a box expands it, double-click on an expanded group's frame header or
Enter on one of its layers collapses it; a hidden layer selected elsewhere (the Model dock, Find)
expands its group. An overview (`GraphOverview`) appears when the graph does not fit the view.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene, QGraphicsView, QLabel, QMenu, QWidget

from nnstudio.core import graph_edit
from nnstudio.core.graph_blocks import COLLAPSE_FROM, BlockGroup, group_of, repeated_blocks
from nnstudio.core.layers.registry import is_input, layer_types
from nnstudio.core.shapes import format_shape
from nnstudio.core.spec import LayerSpec, ModelSpec, TensorRef
from nnstudio.core.summary import LayerRow, Summary
from nnstudio.core.validation import Issue
from nnstudio.services.document import Document
from nnstudio.ui.background_job import BackgroundJob, JobResult
from nnstudio.ui.graph.items import NODE_HEIGHT, NODE_WIDTH, EdgeItem, GroupFrame, GroupItem, NodeItem, OutputTag
from nnstudio.ui.graph.layout import GraphLayout, Placement
from nnstudio.ui.graph.overview import GraphOverview
from nnstudio.ui.layer_stack import describe
from nnstudio.ui.palette import LAYER_MIME
from nnstudio.ui.turns import Turns

Connection = tuple[TensorRef, str | None]  # a source tensor and the layer that reads it (None: the model's output)
USAGE = "Drop a layer on a connection to insert it, beside a layer to branch · drag from a right-hand port to connect"
COLUMN_GAP = 50.0
READABLE_SCALE = 0.8  # a first view of a big graph is no smaller than this (F shows it all)
OUTPUT_GAP = 36.0
EDITOR_KEY = "graph"  # the project's editor state: {"collapsed": [group names]}
MAX_REMEMBERED = 10_000
DOT_STEP = 24  # the background's dot grid, in scene units
DOTS_FROM = 0.3  # no dots below this scale
LAYOUT_AWAY_FROM = 150  # a graph of this many boxes not laid out before is laid out off the GUI thread
OPENED_AWAY_FROM = 40  # ... and a model of this many layers just put in the document (its first drawing)
PLACEMENTS_KEPT = 8  # layouts remembered by structure (expanding and collapsing again, undo)
ITEMS_PER_TURN = 250  # boxes and lines a big graph laid out off the GUI thread gets per turn when drawn
_WHOLE = object()  # what a scene drawn in turns gives once it is whole
GROUP_NODE = "\x00group:"  # the layout's name for a collapsed group's box (no layer id starts so)


class GraphView(QGraphicsView):
    """The model's graph (objectName `graphView`), shown for functional models."""

    refused = Signal(str)  # an edit made here was refused: why
    connectionSelected = Signal(object)  # the selected Connection, or None
    pendingChanged = Signal(object)  # the layer id a keyboard connection starts from, or None
    groupsChanged = Signal()  # a group was expanded or collapsed, or the groups changed
    built = Signal()  # the scene was drawn afresh (after a layout made off the GUI thread, too)

    BANNER_MS = 6000

    def __init__(
        self,
        document: Document,
        current_class: Callable[[], str | None] | None = None,
        parent: QWidget | None = None,
        turns: Turns | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("graphView")
        self.setAccessibleName("Model graph")
        self.document = document
        self.current_class = current_class or (lambda: None)
        self.graph_scene = QGraphicsScene(self)
        self.setScene(self.graph_scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.layout_engine = GraphLayout(NODE_WIDTH, NODE_HEIGHT, COLUMN_GAP, 22)
        self.nodes: dict[str, NodeItem] = {}
        self.edges: list[EdgeItem] = []
        self._selected_connection: Connection | None = None
        self._pending: str | None = None  # the layer a keyboard connection starts from
        self._dragging_from: str | None = None
        self._rubber: QGraphicsPathItem | None = None
        self._hint: NodeItem | EdgeItem | None = None
        self._syncing = False
        self._fitted = False
        self._placements: dict[tuple, Placement] = {}  # layouts by structure (visible nodes, connections)
        self._scene_key: tuple | None = None  # what the items drawn now stand for, less their words
        self._scene_from: tuple | None = None  # what the scene was made from (`_drawn_from`)
        # per layer position: what its box's words were made from (`_label_sources`)
        self._label_sources: list[tuple[LayerSpec, LayerRow | None, tuple[Issue, ...]]] = []
        self._layout_job = BackgroundJob(self._on_layout_done, name="graph-layout", daemon=True)
        self.destroyed.connect(self._layout_job.close)
        self._layout_wanted: tuple | None = None  # the structure being laid out off the GUI thread (or drawn in turns)
        self._drawing: Iterator[None] | None = None  # what is left of that structure's scene, drawn a part per turn
        # A layout that came is drawn on a turn of its own: the result arrives among other queued
        # calls (the open's steps, repaints), and input and paints get their turns in between.
        self._turns = turns if turns is not None else Turns(self)
        # the layout waiting for its turn to start: after the window's paint of what asked for it (the
        # layout's Python and the paint's take turns holding the interpreter: the paint took twice as long)
        self._layout_start: tuple[tuple, Callable[[], Placement]] | None = None
        self._layout_starter = QTimer(self)  # not a turn: a window's close drops its turns, not this
        self._layout_starter.setSingleShot(True)
        self._layout_starter.setInterval(0)
        self._layout_starter.timeout.connect(self._start_layout)
        self._after_build: list[Callable[[], None]] = []  # what waits for that layout's scene
        self._model_number = 0  # counts the models shown (a layout made for an earlier one is dropped)
        self._scene_model = 0  # the model whose graph the scene shows
        self.groups: tuple[BlockGroup, ...] = ()
        self.group_items: dict[str, GroupItem] = {}  # collapsed groups' boxes, by group key
        self.frames: dict[str, GroupFrame] = {}  # expanded groups' frames, by group key
        self._group_of: dict[str, BlockGroup] = {}
        self._groups_for: tuple | None = None  # the structure the groups were found in
        self._collapsed: set[str] = set()
        self._first_sight = True  # the next groups found are a newly opened model's
        self._quiet = False  # selecting a collapsed group's layer without expanding it
        self.builds = 0  # how many times the scene was built (the overview redraws its picture after each)
        self._dot_brush: tuple[int, QBrush] | None = None

        self.banner = QLabel(self.viewport())
        self.banner.setObjectName("graphRefusedBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "QLabel#graphRefusedBanner { background: #fdecec; color: #9b1c1c; border: 1px solid #f5b5b5;"
            " border-radius: 6px; padding: 6px 10px; }"
        )
        self.banner.hide()
        self.hint = QLabel(self.viewport())
        self.hint.setObjectName("graphHint")
        self.hint.setStyleSheet(
            "QLabel#graphHint { background: palette(highlight); color: palette(highlighted-text);"
            " border-radius: 6px; padding: 5px 10px; }"
        )
        self.hint.hide()
        self.usage = QLabel(USAGE, self.viewport())
        self.usage.setObjectName("graphUsage")
        self.usage.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        small = self.usage.font()
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.9))
        self.usage.setFont(small)
        self._banner_timer = QTimer(self)
        self._banner_timer.setSingleShot(True)
        self._banner_timer.timeout.connect(self.banner.hide)

        self.overview = GraphOverview(self)
        self.graph_scene.selectionChanged.connect(self._on_scene_selection)
        document.changed.connect(self.rebuild)
        document.selectionChanged.connect(self._on_document_selection)
        document.replaced.connect(self._on_replaced)
        self.rebuild()

    # -- building the scene -------------------------------------------------------------------------

    def _on_replaced(self) -> None:
        self._model_number += 1
        self._stop_drawing()
        self._layout_wanted = None
        self._layout_start = None
        self._after_build.clear()
        self.layout_engine.forget()
        self._placements.clear()
        self._scene_key = None
        self._scene_from = None
        self._fitted = False
        self._selected_connection = None
        self._first_sight = True
        self._collapsed.clear()
        self._groups_for = None
        self.cancel_connection()

    def rebuild(self, _spec: object = None, in_turns: bool = False) -> None:
        """Show the document's graph (nothing for a Sequential chain, which the stack shows). An edit that
        keeps the graph's structure (a layer's parameters, a rename) changes the words of the boxes it
        affects in place; any other draws the scene afresh (the layout of a structure seen before is reused;
        a big one not seen before is laid out off the GUI thread, the scene drawn when it is ready: with
        `in_turns`, a part per turn of the event loop, veiled until it is whole)."""
        self._stop_drawing()  # a scene being drawn in turns is drawn afresh, for the document as it is now
        spec = self.document.spec
        if spec.is_functional and (self.nodes or self.group_items):
            self._update_groups(spec)
            if self._scene_key is not None and (
                self._drawn_from() == self._scene_from or self._key_for(spec) == self._scene_key
            ):
                self._relabel(spec)
                self._restore_selection()
                return
        laid_out = self._layout_of(spec) if spec.is_functional else None
        opened = self._scene_model != self._model_number and len(spec.layers) >= OPENED_AWAY_FROM
        if (
            laid_out is not None
            and laid_out[0] not in self._placements
            and (len(laid_out[1]) >= LAYOUT_AWAY_FROM or opened)
        ):
            self._lay_out_away(*laid_out)
            return
        self._layout_wanted = None  # a layout under way is no longer waited for (it is kept when it comes)
        self._clear_scene()
        self._scene_model = self._model_number
        self.builds += 1
        if spec.is_functional and in_turns and laid_out is not None:
            self._layout_wanted = laid_out[0]  # veiled, taking no clicks, until the scene is whole
            self._drawing = self._populating(spec)
            self._draw_next_part()
            return
        self.setInteractive(True)
        self._syncing = True
        try:
            if spec.is_functional:
                for _part in self._populating(spec):
                    pass
            elif self.groups:  # a Sequential stack has no graph, and no groups
                self.groups, self._group_of, self._groups_for = (), {}, None
                self.groupsChanged.emit()
        finally:
            self._syncing = False
        self._scene_drawn()

    def _draw_next_part(self) -> None:
        """Draw the next part of the scene being drawn in turns; once it is whole, show it."""
        drawing = self._drawing
        if drawing is None:
            return
        self._syncing = True
        try:
            whole = next(drawing, _WHOLE) is _WHOLE
        finally:
            self._syncing = False
        if self._drawing is not drawing:  # dropped meanwhile
            return
        if not whole:
            self._turns.ask(self._draw_next_part)
            return
        self._drawing = None
        self._layout_wanted = None
        self.setInteractive(True)
        self.viewport().update()
        self._scene_drawn()

    def _stop_drawing(self) -> None:
        """Drop the scene being drawn in turns (what it drew so far stays until the scene is cleared)."""
        if self._drawing is not None:
            self._drawing = None
            self._turns.drop(self._draw_next_part)

    def _scene_drawn(self) -> None:
        """What follows a scene drawn afresh: the selection, the scene's extent, the first fit, the
        overview, the steps waiting for it, `built`."""
        if self._pending is not None and self._pending not in self.nodes:
            self.cancel_connection()
        if self._selected_connection is not None and self._find_edge(self._selected_connection) is None:
            self._selected_connection = None
            self.connectionSelected.emit(None)
        self._restore_selection()
        rect = self.graph_scene.itemsBoundingRect().adjusted(-60, -50, 60, 50)
        self.setSceneRect(rect)
        if not self._fitted and self.nodes and self.isVisible():
            self.fit(readable=True)
        self.overview.refresh()
        waiting, self._after_build = self._after_build, []
        for step in waiting:
            step()
        self.built.emit()

    def _clear_scene(self) -> None:
        self._stop_drawing()
        self._syncing = True
        try:
            self.graph_scene.clear()
        finally:
            self._syncing = False
        self.nodes.clear()
        self.edges.clear()
        self.group_items.clear()
        self.frames.clear()
        self._hint = None
        self._rubber = None
        self._scene_key = None
        self._scene_from = None
        self._label_sources = []

    def _layout_of(self, spec: ModelSpec) -> tuple[tuple, tuple[str, ...], list[tuple[str, str]]]:
        """The layout `spec` needs as its groups are shown: (its key, the nodes, the connections between them)."""
        self._update_groups(spec)
        ids = spec.ids()
        shown = {layer_id: self._shown_as(layer_id) for layer_id in ids}
        visible = tuple(dict.fromkeys(shown[layer_id] for layer_id in ids))
        pairs = [(shown[ref.layer], shown[c]) for ref, c in graph_edit.connections(spec) if ref.layer in shown]
        return (visible, tuple(pairs)), visible, pairs

    def laying_out(self) -> bool:
        """Whether a layout is being made off the GUI thread, or its scene drawn in turns (`built` says
        when the scene is whole)."""
        return self._layout_wanted is not None

    def layout_running(self) -> bool:
        """Whether a layout is being made off the GUI thread or waits for its turn to start, whether or not
        its scene is still wanted (a late one is kept for its structure)."""
        return self._layout_start is not None or self._layout_job.running

    def _lay_out_away(self, structure: tuple, visible: tuple[str, ...], pairs: list[tuple[str, str]]) -> None:
        """Lay out `structure` in a background thread. Meanwhile the graph drawn before stays in view under a
        veil that says what happens, and takes no clicks or keys (it shows a graph that is no more); another
        model's graph is not shown at all."""
        if self._layout_wanted == structure:
            return
        self._layout_wanted = structure
        self._scene_key = None  # what is drawn is not the document's graph: the next change draws afresh
        if self._scene_model != self._model_number:
            self._clear_scene()
            self.builds += 1
            self.overview.hide()
        self.setInteractive(False)
        self.viewport().update()
        self.document.summary()  # the scene needs it: analysed now (in the edit's step) rather than with the scene
        if self._layout_job.running:  # its result arrives first, then this one is asked for
            return
        previous = self.layout_engine.previous_order()
        plan = self.layout_engine.plan
        self._layout_start = ((self._model_number, structure), lambda: plan(visible, pairs, previous))
        self._layout_starter.start()

    @Slot()
    def _start_layout(self) -> None:
        start, self._layout_start = self._layout_start, None
        if start is not None and not self._layout_job.closed:
            self._layout_job.start(*start)

    def _on_layout_done(self, result: JobResult) -> None:
        self._layout_job.done()
        if self._layout_job.closed:
            return
        model, structure = result.tag
        if model == self._model_number:  # else made for a model no longer shown
            if result.error is not None:  # laid out on the GUI thread instead, where a failure shows
                placement = self.layout_engine.place(list(structure[0]), list(structure[1]))
            else:
                placement = result.value
                self.layout_engine.remember(placement)
            self._keep_placement(structure, placement)
        if self._layout_wanted is not None:
            self._turns.ask(self._draw_laid_out)

    def draw_laid_out_now(self) -> None:
        """Draw a layout that came and waits for its turn now, and the rest of a scene being drawn in
        turns (before something reads the scene)."""
        self._turns.run_now(self._draw_laid_out)
        while self._drawing is not None:
            self._turns.drop(self._draw_next_part)
            self._draw_next_part()

    @Slot()
    def _draw_laid_out(self) -> None:
        """The structure asked for now: drawn in turns (its layout came), or laid out in turn."""
        if self._layout_wanted is not None and self._drawing is None:
            self._layout_wanted = None
            self.rebuild(in_turns=True)

    def _keep_placement(self, structure: tuple, placement: Placement) -> None:
        if len(self._placements) >= PLACEMENTS_KEPT:
            self._placements.pop(next(iter(self._placements)))
        self._placements[structure] = placement

    def _when_built(self, step: Callable[[], None]) -> None:
        """Do `step` now, or once the layout being made is drawn."""
        if self._layout_wanted is None:
            step()
        else:
            self._after_build.append(step)

    def _key_for(self, spec: ModelSpec) -> tuple:
        """What decides which items the scene has and where (not what they say): the layers shown and
        their connections (with their roles), the groups and which are collapsed, the outputs, which
        boxes are Inputs. Two specs with the same key differ only in words."""
        kinds = layer_types()
        by_id = {layer.id: layer for layer in spec.layers}
        connections = tuple(
            (ref, consumer, _role(by_id, ref, consumer)) for ref, consumer in graph_edit.connections(spec)
        )
        inputs = tuple((kind := kinds.get(layer.class_name)) is not None and kind.is_input for layer in spec.layers)
        groups = tuple((g.key, g.name, g.blocks) for g in self.groups)
        return spec.ids(), connections, inputs, spec.outputs, groups, frozenset(self._collapsed)

    def _drawn_from(self) -> tuple:
        """What the scene's items are made from (as `_key_for`, which it decides, but cheap to compare): the
        graph's structure found by `_update_groups` (the same object while only settings are edited) and
        which groups are collapsed."""
        return self._groups_for, frozenset(self._collapsed)

    def _relabel(self, spec: ModelSpec) -> None:
        """Give the boxes the words of `spec` (the same structure as drawn): those of the layers whose
        spec, summary row or problems changed (the analysis keeps an untouched layer's row object), and
        of the collapsed groups holding one. The items, the layout and the view's place stay."""
        summary = self.document.summary()
        sources = _label_sources(spec, summary)
        changed = [i for i, (old, new) in enumerate(zip(self._label_sources, sources, strict=False)) if old != new]
        if len(self._label_sources) != len(sources):
            changed = list(range(len(sources)))
        self._label_sources = sources
        for index in changed:
            layer, row, problems = sources[index]
            node = self.nodes.get(layer.id)
            if node is not None:
                node.set_labels(
                    layer.class_name,
                    layer.name,
                    describe(layer),
                    _detail(row, index, summary),
                    problems[0].message if problems else None,
                )
        if self.group_items and changed:
            ids = spec.ids()
            touched = {ids[i] for i in changed}
            positions = {layer_id: i for i, layer_id in enumerate(ids)}
            rows = {row.index: row for row in summary.rows}
            for group in self.groups:
                box = self.group_items.get(group.key)
                if box is not None and not touched.isdisjoint(group.members):
                    box.set_labels(*_group_labels(spec, group, summary, rows, positions))

    def _update_groups(self, spec: ModelSpec) -> None:
        """The repeated blocks of `spec` (found again when its layers, names or connections change); a newly
        opened big model has them collapsed."""
        structure = (
            tuple((layer.id, layer.name, layer.class_name, layer.inbound) for layer in spec.layers),
            spec.inputs,
            spec.outputs,
        )
        if self._groups_for == structure:  # a parameter edit: the same groups
            return
        before = {g.key for g in self.groups}
        self.groups = repeated_blocks(spec)
        self._group_of = group_of(self.groups)
        self._groups_for = structure
        keys = {g.key for g in self.groups}
        if self._first_sight:
            self._first_sight = False
            remembered = self._remembered()
            if remembered is not None:  # as the project was saved
                self._collapsed = {g.key for g in self.groups if g.name in remembered}
            else:
                self._collapsed = set(keys) if len(spec.layers) >= COLLAPSE_FROM else set()
        else:
            self._collapsed &= keys  # a group an edit made stays as the person left the rest: expanded
        if keys != before:
            self.groupsChanged.emit()

    def _shown_as(self, layer_id: str) -> str:
        """The layout node that shows layer `layer_id`: its own, or its collapsed group's box."""
        group = self._group_of.get(layer_id)
        if group is not None and group.key in self._collapsed:
            return GROUP_NODE + group.key
        return layer_id

    def _populating(self, spec: ModelSpec) -> Iterator[None]:
        """Put `spec`'s boxes and lines in the scene, pausing (a yield) after every ITEMS_PER_TURN."""
        summary = self.document.summary()
        structure, visible, pairs = self._layout_of(spec)
        ids = spec.ids()
        scene_key = self._key_for(spec)
        shown = {layer_id: self._shown_as(layer_id) for layer_id in ids}
        placement = self._placements.get(structure)
        if placement is None:
            placement = self.layout_engine.place(visible, pairs)
            self._keep_placement(structure, placement)
        sources = _label_sources(spec, summary)
        positions = {layer_id: i for i, layer_id in enumerate(ids)}
        rows = {row.index: row for row in summary.rows}
        kinds = layer_types()
        made = 0  # boxes and lines put in the scene
        for index, layer in enumerate(spec.layers):
            if shown[layer.id] != layer.id:
                continue
            problems = summary.issues_for(index)
            kind = kinds.get(layer.class_name)
            node = NodeItem(
                layer.id,
                layer.class_name,
                layer.name,
                describe(layer),
                _detail(sources[index][1], index, summary),
                problems[0].message if problems else None,
                kind is None or not kind.is_input,
            )
            x, y = placement.centres[layer.id]
            node.setPos(x, y)
            node.pending_source = layer.id == self._pending
            self.graph_scene.addItem(node)
            self.nodes[layer.id] = node
            made += 1
            if made % ITEMS_PER_TURN == 0:
                yield
        for group in self.groups:
            if group.key in self._collapsed:
                self._add_group_box(spec, group, summary, placement.centres[GROUP_NODE + group.key], positions, rows)
        seen: dict[tuple[str, str], int] = {}
        for ref, consumer, role in scene_key[1]:
            source, target = shown.get(ref.layer), shown[consumer]
            if source is None or source == target:
                continue
            key = (source, target)
            repeat = seen.get(key, 0)
            seen[key] = repeat + 1
            editable = source == ref.layer and target == consumer
            if repeat and not editable:
                continue  # one line to or from a collapsed box per pair
            bends = [QPointF(x, y) for x, y in placement.routes.get(key, [])[1:-1]]
            start = self._box(source).output_port()
            end = self._box(target).input_port() + QPointF(-2, 0)
            offset = QPointF(0, 8.0 * repeat)
            edge = EdgeItem(ref, consumer, [start, *[b + offset for b in bends], end + offset], role)
            if not editable:
                edge.setFlag(EdgeItem.GraphicsItemFlag.ItemIsSelectable, False)
                edge.setToolTip("A connection inside a collapsed group: expand it to edit")
                edge.editable = False
            self.graph_scene.addItem(edge)
            if editable:
                self.edges.append(edge)
            made += 1
            if made % ITEMS_PER_TURN == 0:
                yield
        for group in self.groups:
            if group.key not in self._collapsed:
                self._add_group_frame(group)
        keys = spec.dict_output_keys()  # a model that gives a dict: each output's key
        for number, ref in enumerate(spec.outputs, start=1):
            giver = self._box(shown[ref.layer]) if ref.layer in shown else None
            if giver is None:
                continue
            text = keys[number - 1] if keys else "output" if len(spec.outputs) == 1 else f"output {number}"
            tag = OutputTag(text)
            if keys:
                tag.setToolTip(f"The model's output under the key {text!r}")
            start = giver.output_port()
            tag.setPos(start + QPointF(OUTPUT_GAP + OutputTag.WIDTH / 2, 0))
            self.graph_scene.addItem(tag)
            edge = EdgeItem(ref, None, [start, start + QPointF(OUTPUT_GAP - 2, 0)])
            self.graph_scene.addItem(edge)
            self.edges.append(edge)
        self._scene_key = scene_key
        self._scene_from = self._drawn_from()
        self._label_sources = sources

    def _box(self, node: str) -> NodeItem | GroupItem:
        """The item drawn for layout node `node` (a layer id, or a collapsed group's box)."""
        found = self.nodes.get(node)
        return found if found is not None else self.group_items[node[len(GROUP_NODE) :]]

    def _add_group_box(
        self,
        spec: ModelSpec,
        group: BlockGroup,
        summary,
        centre: tuple[float, float],
        positions: dict[str, int],
        rows: dict[int, LayerRow],
    ) -> None:
        box = GroupItem(group, *_group_labels(spec, group, summary, rows, positions))
        box.setPos(*centre)
        self.graph_scene.addItem(box)
        self.group_items[group.key] = box

    def _add_group_frame(self, group: BlockGroup) -> None:
        rect = QRectF()
        for member in group.members:
            node = self.nodes.get(member)
            if node is not None:
                rect = rect.united(node.sceneBoundingRect())
        if rect.isEmpty():
            return
        frame = GroupFrame(group, rect)
        self.graph_scene.addItem(frame)
        self.frames[group.key] = frame

    # -- groups of repeated blocks ---------------------------------------------------------------------

    def _remembered(self) -> set[str] | None:
        """The names of the groups the project was saved with collapsed (its `editor` entry), or None."""
        entry = self.document.editor.get(EDITOR_KEY)
        names = entry.get("collapsed") if isinstance(entry, dict) else None
        if not isinstance(names, list) or len(names) > MAX_REMEMBERED or not all(isinstance(n, str) for n in names):
            return None
        return set(names)

    def _remember(self) -> None:
        """Keep which groups are collapsed in the document's editor state (saved with a project), after
        the person expanded or collapsed one."""
        if self.document.spec.is_functional and self.groups:
            self.document.editor[EDITOR_KEY] = {"collapsed": [g.name for g in self.groups if g.key in self._collapsed]}

    def set_collapsed(self, key: str, collapsed: bool) -> None:
        """Collapse (or expand) the group whose key is `key`; a selected layer inside stays selected (its
        group's box then shows it)."""
        if key not in {g.key for g in self.groups} or (key in self._collapsed) == collapsed:
            return
        if collapsed:
            self._collapsed.add(key)
        else:
            self._collapsed.discard(key)
        self._remember()
        self.rebuild()
        self.groupsChanged.emit()

    def set_all_collapsed(self, collapsed: bool) -> None:
        """Collapse (or expand) every group."""
        self._collapsed = {g.key for g in self.groups} if collapsed else set()
        self._remember()
        self.rebuild()
        self.groupsChanged.emit()

    def toggle_selected_group(self) -> str | None:
        """Expand the collapsed group that holds the selected layer, or collapse the expanded one; the
        reason when the selected layer is in no group."""
        layer_id = self.selected_layer_id()
        group = self._group_of.get(layer_id) if layer_id is not None else None
        if group is None:
            return self._report("The selected layer is not part of a group of repeated blocks")
        self.set_collapsed(group.key, group.key not in self._collapsed)
        return None

    def unknown_groups(self, names: list[str]) -> str | None:
        """Why some of `names` name no group of repeated blocks (with the names there are), or None."""
        known = [g.name for g in self.groups]
        missing = [name for name in names if name not in known]
        if not missing:
            return None
        there = ", ".join(known) if known else "none: this model has no repeated blocks"
        return f"no group of repeated blocks is named {', '.join(map(repr, missing))} (groups: {there})"

    def show_group(self, name: str) -> None:
        """Expand the group named `name` and bring its end into view at a readable scale, the rest of
        the graph (collapsed groups included) following it."""
        group = next((g for g in self.groups if g.name == name), None)
        if group is None:
            return
        self.set_collapsed(group.key, False)
        self._when_built(lambda: self._look_at_group(group.key))

    def _look_at_group(self, key: str) -> None:
        frame = self.frames.get(key)
        if frame is None:
            return
        self.resetTransform()
        self.scale(READABLE_SCALE, READABLE_SCALE)
        self._fitted = True
        rect = frame.sceneBoundingRect()
        self.centerOn(rect.right() + 60, rect.center().y())
        self.overview.refresh()

    def reveal(self, layer_id: str) -> None:
        """Show layer `layer_id`: expand its group, and centre the view on it."""
        group = self._group_of.get(layer_id)
        if group is not None and group.key in self._collapsed:
            self.set_collapsed(group.key, False)
        self._when_built(lambda: self._centre_on(layer_id))

    def _centre_on(self, layer_id: str) -> None:
        node = self.nodes.get(layer_id)
        if node is not None:
            self.centerOn(node)
            self.overview.refresh()

    # -- selection ---------------------------------------------------------------------------------

    def selected_connection(self) -> Connection | None:
        """The selected connection (source tensor, reader id or None for the output), or None."""
        return self._selected_connection

    def select_connection(self, connection: Connection | None) -> None:
        """Select a connection (None: none); the document's layer selection is cleared."""
        edge = self._find_edge(connection) if connection is not None else None
        self._selected_connection = connection if edge is not None else None
        self._syncing = True
        try:
            self.graph_scene.clearSelection()
            if edge is not None:
                edge.setSelected(True)
                self.ensureVisible(edge, 40, 40)
        finally:
            self._syncing = False
        if edge is not None:
            self.document.select_layer(-1)
        self.connectionSelected.emit(self._selected_connection)

    def _find_edge(self, connection: Connection) -> EdgeItem | None:
        for edge in self.edges:
            if (edge.source, edge.target) == connection:
                return edge
        return None

    def _restore_selection(self) -> None:
        if self._selected_connection is not None:
            self.select_connection(self._selected_connection)
        else:
            self._select_layer(self.document.selected_index)

    def _on_document_selection(self, index: int) -> None:
        """The selection changed (here or elsewhere): a layer hidden in a collapsed group expands it,
        unless the group's box was what the person picked."""
        spec = self.document.spec
        layer_id = spec.layers[index].id if 0 <= index < len(spec.layers) else None
        group = self._group_of.get(layer_id) if layer_id is not None and spec.is_functional else None
        if layer_id is not None and group is not None and group.key in self._collapsed and not self._quiet:
            self._collapsed.discard(group.key)
            self._remember()
            self.rebuild()  # selects it
            self.groupsChanged.emit()
            found: str = layer_id
            self._when_built(lambda: self._centre_on(found) if self.isVisible() else None)
            return
        self._select_layer(index)

    def _select_layer(self, index: int) -> None:
        spec = self.document.spec
        layer_id = spec.layers[index].id if 0 <= index < len(spec.layers) else None
        self._syncing = True
        try:
            self.graph_scene.clearSelection()
            node = self.nodes.get(layer_id) if layer_id is not None else None
            if node is not None:
                node.setSelected(True)
                if self.isVisible():
                    self.ensureVisible(node, 40, 40)
            holder = self._group_of.get(layer_id) if layer_id is not None else None
            for key, box in self.group_items.items():
                holds = holder is not None and holder.key == key
                if holds != box.holds_selection:
                    box.holds_selection = holds
                    box.update()
            for edge in self.edges:
                near = layer_id is not None and layer_id in (edge.source.layer, edge.target)
                if near != edge.near_selection:
                    edge.near_selection = near
                    edge.update()
        finally:
            self._syncing = False
        if layer_id is not None and self._selected_connection is not None:
            self._selected_connection = None
            self.connectionSelected.emit(None)

    def _on_scene_selection(self) -> None:
        if self._syncing:
            return
        items = self.graph_scene.selectedItems()
        node = next((item for item in items if isinstance(item, NodeItem)), None)
        edge = next((item for item in items if isinstance(item, EdgeItem)), None)
        if node is not None:
            self._selected_connection = None
            self.connectionSelected.emit(None)
            self.document.select_layer(self.document.spec.position_of(node.layer_id))
        elif edge is not None:
            self.select_connection((edge.source, edge.target))
        else:
            self._selected_connection = None
            self.connectionSelected.emit(None)
            self.document.select_layer(-1)

    def selected_layer_id(self) -> str | None:
        layer = self.document.selected_layer()
        return layer.id if layer is not None else None

    # -- edits (the handlers every gesture and key goes through) -----------------------------------------

    def drop_target(self, scene_pos: QPointF) -> tuple[str, NodeItem | EdgeItem | None]:
        """What a palette entry dropped at `scene_pos` would do: ("connection", edge) inserts on it,
        ("branch", node) branches from it, ("free", None) adds the layer unconnected."""
        for item in self.graph_scene.items(scene_pos):
            if isinstance(item, NodeItem):
                return "branch", item
        for item in self.graph_scene.items(scene_pos):
            if isinstance(item, EdgeItem) and item.editable and item.shape().contains(scene_pos):
                return "connection", item
        for node in self.nodes.values():  # just right of a box: a branch from it
            local = node.mapFromScene(scene_pos)
            if NODE_WIDTH / 2 < local.x() < NODE_WIDTH / 2 + COLUMN_GAP and abs(local.y()) < NODE_HEIGHT:
                return "branch", node
        return "free", None

    def drop_layer(self, class_name: str, scene_pos: QPointF) -> str | None:
        """Add a `class_name` layer where a palette entry was dropped (see `drop_target`); the reason
        when the edit is refused (shown in the view's banner)."""
        kind, item = self.drop_target(scene_pos)
        if kind == "connection" and isinstance(item, EdgeItem):
            reason = self.document.insert_on_connection(class_name, item.source, item.target)
        elif kind == "branch" and isinstance(item, NodeItem):
            if is_input(class_name):
                reason = self.document.add_unconnected(class_name)
            else:
                reason = self.document.add_branch(item.layer_id, class_name)
        else:
            reason = self.document.add_unconnected(class_name)
        return self._report(reason)

    def connect_by_drag(self, source_id: str, target_id: str) -> str | None:
        """Connect layer `source_id`'s output to layer `target_id` (the end of a drag from a port)."""
        if source_id == target_id:
            return None
        return self._report(self.document.connect_layers(source_id, target_id))

    def delete_selection(self) -> str | None:
        """Delete the selected connection, or else the selected layer."""
        connection = self._selected_connection
        if connection is not None:
            source, target = connection
            if target is None:
                return self._report(self.document.toggle_output(source.layer))
            self._selected_connection = None
            return self._report(self.document.disconnect_layers(source, target))
        index = self.document.selected_index
        layer_id = self.selected_layer_id()
        if layer_id is not None and self._shown_as(layer_id) != layer_id:
            label = self._group_of[layer_id].label
            return self._report(
                f"The selection is inside the collapsed group {label}: expand it to delete one of its layers"
            )
        if index >= 0:
            return self._report(self.document.remove_layer(index))
        return None

    def add_from_palette(self, class_name: str) -> str | None:
        """A palette entry chosen by key (Enter): on the selected connection if there is one, else
        after the selected layer (a chain: at the end of the stack)."""
        connection = self._selected_connection
        if connection is not None and self.document.spec.is_functional:
            self._selected_connection = None
            return self._report(self.document.insert_on_connection(class_name, connection[0], connection[1]))
        return self._report(self.document.append_layer(class_name))

    def branch_selected(self, class_name: str | None = None) -> str | None:
        """A branch from the selected layer, of `class_name` or the palette's current type (Dense)."""
        layer_id = self.selected_layer_id()
        if layer_id is None:
            return self._report("Select the layer to branch from first")
        return self._report(self.document.add_branch(layer_id, class_name or self.current_class() or "Dense"))

    def connect_selected(self) -> str | None:
        """First call: remember the selected layer as the source; second call: connect it to the layer
        selected now."""
        layer_id = self.selected_layer_id()
        if self._pending is None:
            if layer_id is None:
                return self._report("Select the layer to connect from first")
            self._pending = layer_id
            node = self.nodes.get(layer_id)
            if node is not None:
                node.pending_source = True
                node.update()
            name = self.document.spec.layer_by_id(layer_id).name
            self.pendingChanged.emit(layer_id)
            self._show_hint(
                f"Connect {name} to…  click a layer, or select it and press Ctrl+Shift+C again (Esc cancels)"
            )
            return None
        source = self._pending
        self.cancel_connection()
        if layer_id is None or layer_id == source:
            return None
        return self._report(self.document.connect_layers(source, layer_id))

    def pending_connection(self) -> str | None:
        """The layer a keyboard connection starts from, or None."""
        return self._pending

    def cancel_connection(self) -> None:
        """Forget the layer a keyboard connection was to start from (Esc)."""
        was = self._pending
        if was is not None and was in self.nodes:
            self.nodes[was].pending_source = False
            self.nodes[was].update()
        self._pending = None
        if was is not None:
            self.pendingChanged.emit(None)
        self.hint.hide()
        self.usage.show()

    def toggle_output_selected(self) -> str | None:
        layer_id = self.selected_layer_id()
        if layer_id is None:
            return self._report("Select the layer whose output to add or remove")
        return self._report(self.document.toggle_output(layer_id))

    def _report(self, reason: str | None) -> str | None:
        if reason:
            self.show_refusal(reason)
            self.refused.emit(reason)
        return reason

    # -- banner and hint ----------------------------------------------------------------------------

    def show_refusal(self, reason: str) -> None:
        """Say why an edit was refused, in a banner at the bottom of the view."""
        self.banner.setText(f"⚠  {reason}")
        self.banner.setToolTip(reason)
        self._place_labels()
        self.banner.show()
        self.banner.raise_()
        self._banner_timer.start(self.BANNER_MS)

    def _show_hint(self, text: str) -> None:
        self.usage.hide()
        self.hint.setText(text)
        self._place_labels()
        self.hint.show()
        self.hint.raise_()

    def _place_labels(self) -> None:
        area = self.viewport().rect().adjusted(10, 10, -10, -10)
        width = max(80, min(area.width(), 640))
        height = max(self.banner.heightForWidth(width), self.banner.sizeHint().height())
        self.banner.setGeometry(area.left(), area.bottom() - height, width, height)
        self.hint.adjustSize()
        self.hint.move(area.left(), area.top())
        self.usage.adjustSize()
        self.usage.move(area.left(), area.top() - 4)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._place_labels()
        self.overview.refresh()

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        super().scrollContentsBy(dx, dy)
        self.overview.viewport().update()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._fitted and self.nodes:
            QTimer.singleShot(0, self, lambda: self.fit(readable=True))

    def fit(self, readable: bool = False) -> None:
        """Show the whole graph, at most at its natural size; `readable`: no smaller than its text
        stays readable (a long graph then scrolls, starting from its inputs)."""
        rect = self.sceneRect()
        if rect.isEmpty():
            return
        self.resetTransform()
        view = self.viewport().rect()
        scale = min(1.0, view.width() / rect.width(), view.height() / rect.height())
        if readable:
            scale = max(scale, READABLE_SCALE)
        self.scale(scale, scale)
        if rect.width() * scale <= view.width():
            self.centerOn(rect.center())
        else:
            self.centerOn(rect.left() + view.width() / scale / 2, rect.center().y())
        self._fitted = True
        self.overview.refresh()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
            scale = self.transform().m11() * factor
            if 0.05 <= scale <= 3.0:
                self.scale(factor, factor)
                self.overview.refresh()
            event.accept()
            return
        super().wheelEvent(event)

    # -- painting -----------------------------------------------------------------------------------

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:  # noqa: N802
        palette = self.palette()
        painter.fillRect(rect, palette.color(QPalette.ColorRole.Window))
        if painter.worldTransform().m11() < DOTS_FROM:
            return  # zoomed far out: the dots would be a grey wash
        painter.fillRect(rect, self._dots(palette.color(QPalette.ColorRole.Mid)))

    def _dots(self, mid: QColor) -> QBrush:
        """The background's dot grid as a tiled brush (one dot per DOT_STEP scene units), made once per colour:
        filling with it costs the same however many dots the view shows."""
        if self._dot_brush is None or self._dot_brush[0] != mid.rgba():
            tile = QPixmap(DOT_STEP, DOT_STEP)
            tile.fill(Qt.GlobalColor.transparent)
            dots = QColor(mid)
            dots.setAlpha(110)
            tile_painter = QPainter(tile)
            tile_painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            tile_painter.setPen(Qt.PenStyle.NoPen)
            tile_painter.setBrush(dots)
            tile_painter.drawEllipse(QPointF(DOT_STEP / 2, DOT_STEP / 2), 0.9, 0.9)
            tile_painter.end()
            self._dot_brush = (mid.rgba(), QBrush(tile))
        return self._dot_brush[1]

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:  # noqa: N802
        wanted = self._layout_wanted
        drawn = bool(self.nodes or self.group_items)
        if drawn and wanted is None:
            return
        palette = self.palette()
        painter.save()
        painter.resetTransform()
        area = self.viewport().rect()
        doing = "Drawing" if self._drawing is not None else "Laying out"
        text = f"{doing} {len(wanted[0])} boxes…" if wanted is not None else "Drag layers here from the palette."
        if drawn:  # the graph before the edit, veiled until the new layout is drawn; the words on a label
            veil = QColor(palette.color(QPalette.ColorRole.Window))
            veil.setAlpha(170)
            painter.fillRect(area, veil)
            label = QRectF(painter.fontMetrics().boundingRect(text)).adjusted(-12, -6, 12, 6)
            label.moveCenter(QRectF(area).center())
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
            painter.setBrush(palette.color(QPalette.ColorRole.Base))
            painter.drawRoundedRect(label, 6, 6)
        painter.setPen(palette.color(QPalette.ColorRole.Text if drawn else QPalette.ColorRole.PlaceholderText))
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    # -- mouse: connect by dragging from an output port -----------------------------------------------

    def _node_at(self, scene_pos: QPointF) -> NodeItem | None:
        for item in self.graph_scene.items(scene_pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def _group_at(self, scene_pos: QPointF) -> GroupItem | GroupFrame | None:
        """A collapsed group's box at `scene_pos`, or the header of an expanded group's frame."""
        for item in self.graph_scene.items(scene_pos):
            if isinstance(item, GroupItem):
                return item
            if isinstance(item, GroupFrame) and item.header().contains(scene_pos):
                return item
        return None

    def select_group_box(self, key: str) -> None:
        """Select a collapsed group as a whole: its last layer (the block's output) is selected, and
        the group stays collapsed."""
        group = next((g for g in self.groups if g.key == key), None)
        if group is None:
            return
        self._quiet = True
        try:
            self.document.select_layer(self.document.spec.position_of(group.blocks[-1][-1]))
        finally:
            self._quiet = False

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.laying_out():  # the veiled graph takes no clicks
            event.accept()
            return
        found = self._group_at(self.mapToScene(event.position().toPoint()))
        if event.button() == Qt.MouseButton.LeftButton and found is not None:
            self.set_collapsed(found.block_group.key, isinstance(found, GroupFrame))
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self.laying_out():
            event.accept()
            return
        scene_pos = self.mapToScene(event.position().toPoint())
        node = self._node_at(scene_pos)
        if event.button() == Qt.MouseButton.LeftButton and node is not None and node.on_output_port(scene_pos):
            self._dragging_from = node.layer_id
            self._rubber = QGraphicsPathItem()
            pen = QPen(self.palette().color(QPalette.ColorRole.Highlight), 2, Qt.PenStyle.DashLine)
            self._rubber.setPen(pen)
            self._rubber.setZValue(10)
            self.graph_scene.addItem(self._rubber)
            self._update_rubber(scene_pos)
            event.accept()
            return
        box = self._group_at(scene_pos) if node is None else None
        if event.button() == Qt.MouseButton.LeftButton and isinstance(box, GroupItem):
            self.select_group_box(box.block_group.key)
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton and self._pending is not None and node is not None:
            self.document.select_layer(self.document.spec.position_of(node.layer_id))
            self.connect_selected()
            event.accept()
            return
        super().mousePressEvent(event)

    def _update_rubber(self, scene_pos: QPointF) -> None:
        if self._rubber is None or self._dragging_from not in self.nodes:
            return
        start = self.nodes[self._dragging_from].output_port()
        path = QPainterPath(start)
        dx = max(30.0, (scene_pos.x() - start.x()) * 0.5)
        path.cubicTo(QPointF(start.x() + dx, start.y()), QPointF(scene_pos.x() - dx, scene_pos.y()), scene_pos)
        self._rubber.setPath(path)
        target = self._node_at(scene_pos)
        self._set_hint(target if target is not None and target.layer_id != self._dragging_from else None)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._dragging_from is not None:
            self._update_rubber(self.mapToScene(event.position().toPoint()))
            event.accept()
            return
        scene_pos = self.mapToScene(event.position().toPoint())
        node = self._node_at(scene_pos)
        over_port = node is not None and node.on_output_port(scene_pos)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if over_port else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._dragging_from is not None:
            source = self._dragging_from
            self._dragging_from = None
            if self._rubber is not None:
                self.graph_scene.removeItem(self._rubber)
                self._rubber = None
            self._set_hint(None)
            target = self._node_at(self.mapToScene(event.position().toPoint()))
            if target is not None:
                self.connect_by_drag(source, target.layer_id)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # -- palette entries dragged in ---------------------------------------------------------------------

    def _set_hint(self, item: NodeItem | EdgeItem | None) -> None:
        if item is self._hint:
            return
        if self._hint is not None:
            self._hint.drop_hint = False
            self._hint.update()
        self._hint = item
        if item is not None:
            item.drop_hint = True
            item.update()

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if not event.mimeData().hasFormat(LAYER_MIME):
            event.ignore()
            return
        kind, item = self.drop_target(self.mapToScene(event.position().toPoint()))
        self._set_hint(item)
        event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self._set_hint(None)
        super().dragLeaveEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802
        self._set_hint(None)
        data = event.mimeData()
        if not data.hasFormat(LAYER_MIME):
            event.ignore()
            return
        class_name = bytes(data.data(LAYER_MIME).data()).decode("utf-8", "replace").strip()
        event.acceptProposedAction()
        self.drop_layer(class_name, self.mapToScene(event.position().toPoint()))

    # -- context menu -------------------------------------------------------------------------------------

    def context_menu(self, scene_pos: QPointF) -> QMenu:
        """The menu for what is at `scene_pos`: a layer's graph edits, or a connection's."""
        menu = QMenu(self)
        class_name = self.current_class() or "Dense"
        grouped = self._group_at(scene_pos)
        if grouped is not None:
            group, collapsed = grouped.block_group, isinstance(grouped, GroupItem)
            verb = "Expand" if collapsed else "Collapse"
            menu.addAction(f"{verb} {group.label}", lambda: self.set_collapsed(group.key, not collapsed))
            menu.addSeparator()
            menu.addAction("Show Whole Graph", self.fit)
            return menu
        node = self._node_at(scene_pos)
        hit = None if node is not None else self.drop_target(scene_pos)
        if node is not None:
            self.document.select_layer(self.document.spec.position_of(node.layer_id))
            spec = self.document.spec
            is_output = TensorRef(node.layer_id) in spec.outputs
            menu.addAction(
                f"Add {class_name} After", lambda: self._report(self.document.add_after(node.layer_id, class_name))
            )
            menu.addAction(f"Branch {class_name} From Here", lambda: self.branch_selected(class_name))
            menu.addAction("Connect From Here…", self.connect_selected)
            menu.addAction("Stop Being an Output" if is_output else "Make an Output", self.toggle_output_selected)
            holder = self._group_of.get(node.layer_id)
            if holder is not None:
                menu.addAction(f"Collapse {holder.label}", lambda: self.set_collapsed(holder.key, True))
            menu.addSeparator()
            menu.addAction("Delete Layer", self.delete_selection)
        elif hit is not None and hit[0] == "connection" and isinstance(hit[1], EdgeItem):
            found = hit[1]
            connection = (found.source, found.target)
            self.select_connection(connection)
            menu.addAction(
                f"Insert {class_name} Here",
                lambda: self._report(self.document.insert_on_connection(class_name, connection[0], connection[1])),
            )
            menu.addAction("Delete Connection" if found.target else "Stop Being an Output", self.delete_selection)
        menu.addSeparator()
        menu.addAction("Show Whole Graph", self.fit)
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        if self.laying_out():
            event.accept()
            return
        self.context_menu(self.mapToScene(event.pos())).exec(event.globalPos())

    # -- keys -------------------------------------------------------------------------------------------

    def _handles(self, event: QKeyEvent) -> bool:
        if self.laying_out():  # the veiled graph's boxes are not the document's: the window's keys apply
            return False
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        arrows = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down)
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and mods == Qt.KeyboardModifier.NoModifier:
            return True
        if key == Qt.Key.Key_Escape and self._pending is not None:
            return True
        if key in arrows and mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.AltModifier):
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and mods == Qt.KeyboardModifier.NoModifier:
            return self._group_of.get(self.selected_layer_id() or "") is not None
        return QKeySequence(event.keyCombination()).matches(QKeySequence("F")) == QKeySequence.SequenceMatch.ExactMatch

    def event(self, event: QEvent) -> bool:
        # The view's keys win over the window's same shortcuts (Edit ▸ Delete) while it has the focus.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and self._handles(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self._handles(event):
            super().keyPressEvent(event)
            return
        key = event.key()
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selection()
        elif key == Qt.Key.Key_Escape:
            self.cancel_connection()
        elif key == Qt.Key.Key_F:
            self.fit()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.toggle_selected_group()
        elif alt and key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.step_connection(-1 if key == Qt.Key.Key_Left else 1)
        else:
            self.step_layer(key)
        event.accept()

    def step_connection(self, direction: int) -> None:
        """Select the next input (-1) or output (+1) connection of the selected layer, or of the
        connection selected now (its reader's inputs / its source's outputs, in turn)."""
        connection = self._selected_connection
        if connection is not None:
            anchor = connection[1] if direction < 0 else connection[0].layer
        else:
            anchor = self.selected_layer_id()
        if anchor is None:
            return
        options: list[Connection]
        if direction < 0:
            options = [(edge.source, edge.target) for edge in self.edges if edge.target == anchor]
        else:
            options = [(edge.source, edge.target) for edge in self.edges if edge.source.layer == anchor]
        if not options:
            return
        position = options.index(connection) + 1 if connection in options else 0
        self.select_connection(options[position % len(options)])

    def step_layer(self, key: int) -> None:
        """Arrow keys: Left to what the layer reads, Right to what reads it, Up/Down within its column;
        from a selected connection, Left/Right go to its ends."""
        spec = self.document.spec
        connection = self._selected_connection
        if connection is not None:
            target = connection[0].layer if key == Qt.Key.Key_Left else connection[1]
            if key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and target is not None:
                self.document.select_layer(spec.position_of(target))
            return
        layer_id = self.selected_layer_id()
        if layer_id is None:
            if spec.layers:
                self.document.select_layer(0)
            return
        shown = self._shown_as(layer_id)
        node = self._box(shown) if shown != layer_id or layer_id in self.nodes else None
        boxes: list[NodeItem | GroupItem] = [*self.nodes.values(), *self.group_items.values()]
        hidden = self._group_of[layer_id].members if shown != layer_id else (layer_id,)
        if key == Qt.Key.Key_Left:
            choices = [p for m in hidden for p in graph_edit.producers(spec, m) if self._shown_as(p) != shown]
        elif key == Qt.Key.Key_Right:
            choices = [c for m in hidden for c in graph_edit.consumers(spec, m) if self._shown_as(c) != shown]
        elif node is not None:
            column = [n for n in boxes if abs(n.x() - node.x()) < 1]
            column.sort(key=lambda n: n.y())
            at = column.index(node) + (1 if key == Qt.Key.Key_Down else -1)
            choices = [_layer_of(column[at])] if 0 <= at < len(column) else []
        else:
            choices = []
        if not choices and node is not None and key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            # nothing connected that way: the nearest layer in the next column that way
            sign = 1 if key == Qt.Key.Key_Right else -1
            ahead = [n for n in boxes if (n.x() - node.x()) * sign > 1]
            if ahead:
                nearest = min(ahead, key=lambda n: (abs(n.x() - node.x()), abs(n.y() - node.y())))
                choices = [_layer_of(nearest)]
        if choices:
            target = self._shown_as(choices[0])
            if target != choices[0]:  # into a collapsed group: it stays collapsed, its box selected
                self.select_group_box(target[len(GROUP_NODE) :])
            else:
                self.document.select_layer(spec.position_of(choices[0]))


def _compact(count: int) -> str:
    """A parameter count in few characters: 1.22M, 215.8K, 640."""
    if count >= 1_000_000:
        return f"{count / 1_000_000:.2f}M"
    if count >= 10_000:
        return f"{count / 1_000:.1f}K"
    return f"{count:,}"


def _layer_of(item: NodeItem | GroupItem) -> str:
    """The layer an item stands for (a group's box: its last layer)."""
    return item.layer_id if isinstance(item, NodeItem) else item.block_group.blocks[-1][-1]


def _group_labels(
    spec: ModelSpec, group: BlockGroup, summary, rows: dict, positions: dict[str, int]
) -> tuple[str, str, str, str | None]:
    """A collapsed group's box's words: the type most of its layers have (its band's colour; ties: the
    type met first), its last layer's output shape, its parameters in few characters, its first problem."""
    members = [positions[m] for m in group.members]
    classes = [spec.layers[p].class_name for p in members]
    kinds = layer_types()
    heavy = [c for c in classes if kinds.get(c) is not None and not kinds[c].is_input]
    family = Counter(heavy or classes).most_common(1)[0][0]
    params = sum(rows[p].params for p in members if p in rows and rows[p].params)
    exit_row = rows.get(positions[group.blocks[-1][-1]])
    shape = exit_row.shape_text if exit_row is not None and exit_row.output_shape is not None else ""
    problems = [issue for p in members for issue in summary.issues_for(p)]
    return family, shape, _compact(params) if params else "", problems[0].message if problems else None


def _label_sources(spec: ModelSpec, summary: Summary) -> list[tuple[LayerSpec, LayerRow | None, tuple[Issue, ...]]]:
    """What each layer's box says is made from: its spec, its summary row and its problems."""
    rows: dict[int, LayerRow] = {}
    for row in summary.rows:
        rows.setdefault(row.index, row)
    return [(layer, rows.get(i), tuple(summary.issues_for(i))) for i, layer in enumerate(spec.layers)]


def _detail(row: LayerRow | None, index: int, summary: Summary) -> str:
    """A box's detail: `(None, 64) · 1,344` for a layer with a summary row, its output shape for the first
    layer without one (an Input), else nothing."""
    if row is None:
        shape = summary.input_shape
        return format_shape(shape) if index == 0 and shape is not None else ""
    if row.output_shape is None:
        return ""
    return f"{row.shape_text}  ·  {row.params:,}" if row.params else row.shape_text


def _role(layers: dict, ref: TensorRef, consumer: str) -> str:
    """The role of a connection at a layer whose inputs have names (MultiHeadAttention's query, value,
    key; an LSTM's initial_state h and c)."""
    layer = layers[consumer]
    kind = layer_types().get(layer.class_name)
    if kind is None:
        return ""
    for call in layer.inbound:
        if ref in call:
            return kind.input_role(call.index(ref), len(call))
    return ""
