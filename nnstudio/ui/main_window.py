"""The main window: canvas in the middle, docks around it, menus, and the Keras state in the status bar.

The window assembles parts with typed interfaces (`nnstudio.ui.parts`): the document, the model
service (Keras builds, exports, loads), the training service, and the model state built over them
(which alone holds the real weights). The panels come from `dock_layout`, the menus and shortcuts
from the action table (`actions`), the Keras status from `keras_status`, crash recovery from
`recovery`, the Help windows from `help_menu`; none of them knows this class.

On every document change the analytic summary updates the views at once; when it is sound the
model state asks Keras for a build (newest wins), whose result confirms the summary table. The
canvas and the Weights dock draw what the model state says the weights of the spec on screen are.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from nnstudio.core.spec import ModelSpec
from nnstudio.services.autosave import Autosave
from nnstudio.services.document import Document
from nnstudio.services.model_state import TRAINED, ModelState, WeightSet
from nnstudio.ui import help_menu, recovery
from nnstudio.ui.actions import build_menus, create_actions, fill_recent_menu, keyed_actions, update_actions
from nnstudio.ui.dock_layout import DOCKS, BottomRow, add_training_dock, build_docks, default_sizes, make_panels
from nnstudio.ui.file_actions import FileActions
from nnstudio.ui.graph.view import GraphView
from nnstudio.ui.keras_status import ERROR, KerasStatus
from nnstudio.ui.layer_find import LayerFinder
from nnstudio.ui.param_budget import apply_stored_budget, ask_param_budget
from nnstudio.ui.parts import Builds, Canvas, Training
from nnstudio.ui.property_editor import PREPARED_ROWS_PER_TURN
from nnstudio.ui.turns import Turns

if TYPE_CHECKING:
    from nnstudio.ui.data_view import DataView
    from nnstudio.ui.training_panel import TrainingPanel

APP_NAME = "nnstudio"
LAYOUT_VERSION = 4  # 2: the Weights dock beside the Summary; 3: Training a tab of the Weights, not the Summary;
# 4: the Summary beside the Weights in a compact window too (no longer a tab of theirs)
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
HINT = "Drag a layer from Layers into Model (or double-click it to append) · Ctrl+Z undoes any edit"


BACKGROUND_LAYOUT_LAYERS = 100  # a model of this many layers has its canvas columns laid out off the GUI thread


class MainWindow(QMainWindow):
    """The editor window for one Document, over one model service and one training service."""

    kerasSettled = Signal(str)  # "confirmed", "mismatch", "failed" or "engine-failed": a Keras answer arrived
    viewsUpdated = Signal()  # the canvas and the Weights dock took the document's model (see _update_views)

    def __init__(
        self,
        document: Document,
        builds: Builds,
        training: Training,
        settings: QSettings | None = None,
        autosave: Autosave | None = None,
        parent: QWidget | None = None,
        defer_canvas: bool = False,
    ) -> None:
        """`defer_canvas`: show a "drawing…" label now and build the graphics (canvas, histogram and
        training panel: pyqtgraph) in `load_canvas()`, which the application calls right after the
        window is shown, so that the window appears fast."""
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self._document = document
        self.builds = builds
        self.training = training
        self.settings = settings if settings is not None else QSettings()
        apply_stored_budget(self.settings)
        self.autosave = autosave
        # Before the model state's: when it forgets the old model's weights, the canvas is not
        # given that old model's lack of them (the update the new model's `changed` asks draws it).
        document.replaced.connect(self._on_model_replaced)
        self.model_state = ModelState(document, builds, training, self)
        self.model_state.builds_wait_for(self.viewsUpdated)
        self.canvas: Canvas | None = None
        self.training_panel: TrainingPanel | None = None
        self.data_view: DataView | None = None
        self._canvas_weights_due = False
        self._views_due = False  # the canvas and the Weights dock wait for the model (see _update_views)
        self._view_steps: list[Callable[[], None]] = []  # what is left of the update under way
        self._views_round = 0  # which update is under way (a layout made in the background answers one)
        self._views_waiting = False  # its next step waits for the canvas's layout
        self._model_replaced = False  # the document took another model (New, Open) since the last update
        self._flushing = False
        self._views_dropped = False  # a close dropped the views' update under way (a show starts it again)
        # The views' steps, one per turn (input and paints get theirs in between); new weights reach the
        # Weights dock on one of them, once for a burst (see _on_weights_changed)
        self.turns = Turns(self)
        self._canvas_spec: ModelSpec | None = None  # the spec the canvas shows
        self._split_sized = False
        self.setDockNestingEnabled(True)
        self.setDocumentMode(True)
        self.setAcceptDrops(True)  # a .nnstudio or .keras file dropped on the window opens it

        self._files = FileActions(
            self, document, builds, self.settings, views_updated=self.viewsUpdated, turns=self.turns
        )
        self._files.weights_provider = self._current_wire_weights

        # The central area: the graph of a functional model above (hidden for a Sequential one) and
        # a stack below, so the canvas can replace its label without the dock areas sharing the
        # window's space afresh.
        panels = make_panels(document, self.turns)
        self.central_split = QSplitter(Qt.Orientation.Vertical, self)
        self.central_split.setObjectName("centralSplit")
        self.central_split.setChildrenCollapsible(False)
        self.graph_view = GraphView(document, panels.palette.current_class, turns=self.turns)
        self.graph_view.setMinimumHeight(160)
        self.central = QStackedWidget(self)
        self.central.setObjectName("centralArea")
        self.central_split.addWidget(self.graph_view)
        self.central_split.addWidget(self.central)
        self.central_split.setStretchFactor(0, 5)
        self.central_split.setStretchFactor(1, 4)
        self.setCentralWidget(self.central_split)
        drawing = QLabel("Drawing the network…")
        drawing.setObjectName("canvasLoading")
        drawing.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.central.addWidget(drawing)

        self.palette_widget = panels.palette
        self.layer_stack = panels.layer_stack
        self.property_editor = panels.property_editor
        self._files.prepare_selection = partial(self.property_editor.prepare_form, rows=PREPARED_ROWS_PER_TURN)
        self.compile_settings = panels.compile_settings
        self.summary_table = panels.summary_table
        self.weights_panel = panels.weights_panel
        self.docks: dict[str, QDockWidget] = build_docks(self, panels)
        self.bottom_row = BottomRow(self, self.docks)  # sized for the Training or Data tab and back
        self._bottom_row_due = False

        self.keras_status = KerasStatus(self.statusBar(), document, builds, self.summary_table, self.restart_engine)
        self.keras_status.settled.connect(self.kerasSettled)
        self.statusBar().setSizeGripEnabled(True)

        self.app_actions: dict[str, QAction] = create_actions(self, self)
        menus = build_menus(self.menuBar(), self.app_actions)
        self.view_menu = menus["&View"]
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        menus["&File"].insertMenu(self.app_actions["file.save"], self.recent_menu)
        menus["&File"].insertSeparator(self.app_actions["file.save"])
        for name in DOCKS:
            self.view_menu.insertAction(self.app_actions["view.fit"], self.docks[name].toggleViewAction())
        self._dock_separator = self.view_menu.insertSeparator(self.app_actions["view.fit"])
        self._fill_recent_menu()

        self.layer_finder = LayerFinder(document, self.central_split, self)
        self.layer_finder.found.connect(self._on_layer_found)
        self.layer_stack.graph_actions = [
            self.app_actions[k] for k in ("edit.branch", "edit.connect", "edit.toggle_output")
        ]
        self._connect()
        self.resize(1400, 900)
        default_sizes(self, self.docks, self.compile_settings)
        self.restore_layout()
        self._update_title()
        self.statusBar().showMessage(HINT)
        if not defer_canvas:
            self.load_canvas()
        self._on_document_changed(document.spec)
        self.flush_views()

    # -- the parts the actions act on ------------------------------------------------------------------

    @property
    def document(self) -> Document:
        return self._document

    @property
    def files(self) -> FileActions:
        return self._files

    # -- construction --------------------------------------------------------------------------------

    def load_canvas(self) -> None:
        """Create the graphics (pyqtgraph): the network canvas, the weight histogram and the training panel."""
        if self.canvas is not None:
            return
        from nnstudio.ui.canvas import NetworkCanvas
        from nnstudio.ui.data_view import DataView, add_data_dock
        from nnstudio.ui.training_panel import TrainingPanel

        canvas = NetworkCanvas(self, turns=self.turns)
        self.canvas = canvas
        loading = self.central.currentWidget()
        assert loading is not None
        self.central.removeWidget(loading)
        loading.deleteLater()
        self.central.addWidget(canvas)
        self.central.setCurrentWidget(canvas)
        canvas.layerClicked.connect(self.document.select_layer)
        self.weights_panel.install_histogram()
        self.training_panel = TrainingPanel(self.document, self.training, self.model_state)
        self.data_view = DataView(self.training, self.model_state)
        add_data_dock(self, self.docks, self.data_view, self.training, self.view_menu, self._dock_separator)
        self._place_training_dock(self.training_panel)  # restores the saved layout, the Data dock's place too
        self._canvas_spec = self.document.spec
        canvas.set_model(self.document.summary(), self.document.spec)
        canvas.set_weights(self.model_state.current())
        canvas.select_layer(int(self.document.selected_index))
        self._refresh_weights_view()
        self._update_actions()

    def _connect(self) -> None:
        doc = self.document
        doc.changed.connect(self._on_document_changed)
        doc.selectionChanged.connect(self._on_selection_changed)
        doc.modifiedChanged.connect(self._update_title)
        doc.pathChanged.connect(self._update_title)
        doc.editRefused.connect(self._on_edit_refused)
        doc.historyChanged.connect(self._update_actions)
        self.model_state.weightsChanged.connect(self._on_weights_changed)
        files = self.files
        files.status.connect(lambda text: self.statusBar().showMessage(text, 6000))
        files.openStarted.connect(lambda path: self.statusBar().showMessage(f"Opening {Path(path).name}…"))
        files.recentFilesChanged.connect(lambda _files: self._fill_recent_menu())
        files.openFinished.connect(self._on_open_finished)
        files.exportStarted.connect(lambda _path: self.keras_status.export_progress.show())
        files.exportDone.connect(lambda _path, _error: self.keras_status.export_progress.hide())
        files.kerasWeightsRequested.connect(self.model_state.expect_file_weights)
        files.kerasWeightsLoaded.connect(self.model_state.on_file_weights)
        files.kerasWeightsMissing.connect(self.model_state.file_weights_missing)
        files.kerasWeightsLoaded.connect(
            lambda _spec, _weights: self.statusBar().showMessage("Read the file's weights", 6000)
        )
        self.palette_widget.appendRequested.connect(self.graph_view.add_from_palette)
        self.graph_view.connectionSelected.connect(lambda _connection: self._update_actions())
        self.graph_view.groupsChanged.connect(self._update_actions)
        self.graph_view.pendingChanged.connect(lambda _layer: self._update_actions())
        # after a failed build the Weights dock says why there are no weights (a turn later, as for new ones)
        self.keras_status.settled.connect(lambda _state: self.turns.ask(self._refresh_weights_view))

    def _on_open_finished(self, _path: str, reason: str) -> None:
        if not reason:  # the settings' forms of the opened model's classes, on idle turns
            self.turns.ask(self._prepare_next_form)

    def _prepare_next_form(self) -> None:
        """A few more rows of a layer class's settings form made ahead of its first selection (a few
        ms a turn, after the views' steps), until every class of the model has its form."""
        if self.property_editor.prepare_next_form():
            self.turns.ask(self._prepare_next_form)

    # -- Keras --------------------------------------------------------------------------------------

    def start_service(self) -> None:
        """Start the Keras engine (if it is not already) and build the model on screen from now on."""
        self.builds.start()
        self.model_state.start()

    def _current_wire_weights(self) -> dict | None:
        weights = self.model_state.current()
        return weights.to_wire() if weights is not None else None

    @Slot()
    def rebuild(self) -> None:
        """Ask for a build of the model on screen now (a failed engine is started afresh by it)."""
        summary = self.document.summary()
        if not summary.ok:
            self.statusBar().showMessage(summary.issues[0].message, 8000)
            return
        self.start_service()

    @Slot()
    def change_param_budget(self) -> None:
        """Ask for a new parameter budget, keep it in the settings and check the model against it."""
        count = ask_param_budget(self, self.settings)
        if count is None:
            return
        self.document.reanalyze()
        self.statusBar().showMessage(f"Parameter budget: {count:,}", 8000)

    @Slot()
    def restart_engine(self) -> None:
        """End the Keras engine (and what it was doing), start a fresh one and build the model again."""
        self.builds.restart_engine()  # quiet: nothing it was doing is answered any more
        self.keras_status.restarting()
        self.files.engine_restarted()
        self.model_state.start()

    @Slot(object)
    def _on_weights_changed(self, weights: WeightSet | None) -> None:
        """New weights for the spec on screen: the Weights dock and the canvas. The Weights dock takes
        them on a later turn of the event loop (once for a burst), and so does the canvas training
        snapshots (newest first), so that a Keras answer's own step stays short and the two never add
        up to one long stop of the GUI thread while training runs."""
        self.turns.ask(self._refresh_weights_view)
        if self._model_replaced:  # another model is coming: the update its `changed` asks draws its weights
            return
        if self._canvas_spec is not self.document.spec:  # the document changed: the canvas's update to come draws them
            if not self._views_due:
                self._schedule_views()
        elif weights is None or weights.source != TRAINED:
            self._draw_canvas_weights()
        elif not self._canvas_weights_due:
            self._canvas_weights_due = True
            QTimer.singleShot(0, self, self._draw_canvas_weights)

    def _draw_canvas_weights(self) -> None:
        self._canvas_weights_due = False
        if self.canvas is not None and self._canvas_spec is self.document.spec:  # else the update to come draws them
            self.canvas.set_weights(self.model_state.current())

    @Slot()
    def _refresh_weights_view(self) -> None:
        self.turns.drop(self._refresh_weights_view)  # this is the refresh a waiting one would make
        status = self.keras_status
        self.weights_panel.show_layer(
            self.document.spec,
            self.document.summary(),
            int(self.document.selected_index),
            self.model_state.current(),
            status.message if status.state == ERROR else None,
            reading_file=self.model_state.awaiting_file_weights(),
        )

    # -- layout -----------------------------------------------------------------------------------------

    def restore_layout(self) -> None:
        """The saved geometry and dock layout (a layout of an older version leaves the defaults)."""
        self._default_state = self.saveState(LAYOUT_VERSION)
        geometry = self.settings.value(GEOMETRY_KEY)
        state = self.settings.value(STATE_KEY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        # A layout of an older version is not restored (its docks differ): the defaults apply.
        self._layout_restored = state is not None and bool(self.restoreState(state, LAYOUT_VERSION))
        self._sized = self._layout_restored

    def _size_central_split(self) -> None:
        """A functional model's graph above the canvas: a little less than half the height."""
        if self.graph_view.isVisibleTo(self):
            height = max(400, self.central_split.height())
            self.central_split.setSizes([int(height * 0.42), height - int(height * 0.42)])

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._split_sized:
            self._split_sized = True
            self._size_central_split()
        if not self._sized:  # the default dock sizes, now that the window has its real size
            self._sized = True
            default_sizes(self, self.docks, self.compile_settings)
        if self.canvas is not None:  # shown again after a close, which released them
            self.canvas.resume_workers()
        if self._views_dropped:  # shown again after a close, which dropped the update under way
            self._views_dropped = False
            self._schedule_views()

    def save_layout(self) -> None:
        """Keep the geometry and dock layout in the settings for the next session."""
        self.settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        self.settings.setValue(STATE_KEY, self.saveState(LAYOUT_VERSION))
        self.settings.sync()

    def reset_layout(self) -> None:
        """Every dock back in its default place and size."""
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_state, LAYOUT_VERSION)
        default_sizes(self, self.docks, self.compile_settings)
        self.bottom_row.forget()

    def _place_training_dock(self, panel: QWidget) -> None:
        """Dock the training panel behind the Weights, then restore the saved layout with it in its place."""
        dock = add_training_dock(self, self.docks, panel, self.view_menu, self._dock_separator)
        for tab in (dock, self.docks.get("dataDock")):
            if tab is not None:
                tab.visibilityChanged.connect(self._on_bottom_tab)
        state = self.settings.value(STATE_KEY)
        if state is not None and self._layout_restored:
            self.restoreState(state, LAYOUT_VERSION)  # now with the Training dock in its place
        else:
            self._default_state = self.saveState(LAYOUT_VERSION)

    @Slot(bool)
    def _on_bottom_tab(self, _shown: bool) -> None:
        """The Training or Data tab raised or hidden: the bottom row sized for the tab now in front,
        once the tabs have settled (see BottomRow)."""
        if self.isVisible() and self._sized and not self._bottom_row_due:
            self._bottom_row_due = True
            QTimer.singleShot(0, self, self._size_bottom_row)

    def _size_bottom_row(self) -> None:
        self._bottom_row_due = False
        self.bottom_row.size()

    # -- document -----------------------------------------------------------------------------------------

    @Slot(object)
    def _on_document_changed(self, spec: ModelSpec) -> None:
        """What the change says now (the status, the actions); the canvas and the Weights dock take
        the new model on a later turn of the event loop (see `_update_views`)."""
        if spec.is_functional != self.graph_view.isVisibleTo(self):
            self.graph_view.setVisible(spec.is_functional)
            self._size_central_split()
        summary = self.document.summary()
        if not summary.ok:
            message = summary.issues[0].message
            self.statusBar().showMessage(message, 8000)
            self.keras_status.set_state(ERROR, f"Not sent to Keras: {message}")
        self._update_actions()
        self._schedule_views()

    @Slot()
    def _on_model_replaced(self) -> None:
        self._model_replaced = True

    def _schedule_views(self) -> None:
        """The canvas and the Weights dock take the document's model from the first step again."""
        self._views_due = True
        self._view_steps = []
        self._views_round += 1
        replaced, self._model_replaced = self._model_replaced, False
        if self.canvas is not None and (replaced or len(self.document.spec.layers) >= BACKGROUND_LAYOUT_LAYERS):
            # another model, or a big one's drawing, takes a few turns: the model the canvas shows is not
            # painted again meanwhile (when the window's layout changes, as a graph view appears)
            self.canvas.setUpdatesEnabled(False)
        self._views_waiting = False
        self.turns.ask(self._update_views)

    def views_current(self) -> bool:
        """Whether every view shows the document's model and its weights (no update of the canvas, the
        Weights dock, the graph's layout or the summary's column widths is waiting)."""
        return (
            not self._views_due
            and not self.turns.waiting(self._refresh_weights_view)
            and not self.graph_view.laying_out()
            and not self.summary_table.fitting()
        )

    def flush_views(self) -> None:
        """Give the waiting views the model now (before something reads the canvas); a graph still being
        laid out is not waited for."""
        self.summary_table.fit_pending_columns()
        self.graph_view.draw_laid_out_now()
        self._flushing = True
        try:
            while self._views_due:
                self._update_views()
        finally:
            self._flushing = False
        self.turns.run_now(self._refresh_weights_view)

    @Slot()
    def _update_views(self) -> None:
        """One step of the canvas and the Weights dock taking the document's model, once for any
        number of changes since the last time: an edit's own step stays short, and quick edits
        (typing 1, 10, 100) are drawn once. The steps run on turns of their own, so that a big
        model's update never stops the GUI thread for long: the canvas's columns laid out, the
        canvas given the model, the model fitted and its level of detail worked out, then drawn, its
        weights, the Weights dock."""
        if not self._views_due:
            return
        if not self._view_steps:
            self._view_steps = self._view_update_steps()
        self._views_waiting = False
        self._view_steps.pop(0)()
        if self._view_steps:
            if not self._views_waiting:
                self.turns.ask(self._update_views)
        else:
            self._views_due = False
            self.viewsUpdated.emit()

    def _view_update_steps(self) -> list[Callable[[], None]]:
        spec, summary = self.document.spec, self.document.summary()
        canvas = self.canvas
        if canvas is None:
            return [self._refresh_weights_view]

        def show_model() -> None:
            self._canvas_spec = spec
            canvas.set_model(summary, spec, drawn=False)
            canvas.select_layer(int(self.document.selected_index))

        def draw_model() -> None:
            canvas.draw_model()
            canvas.setUpdatesEnabled(True)

        def show_weights() -> None:
            if summary.ok:
                canvas.set_weights(self.model_state.current())  # None: pending until Keras answers

        def lay_out() -> None:
            if self._flushing:
                return  # set_model lays the columns out itself
            if len(spec.layers) < BACKGROUND_LAYOUT_LAYERS:
                canvas.prepare_model(summary, spec)
                return
            self._views_waiting = True
            number = self._views_round
            canvas.prepare_model(summary, spec, lambda: self._on_canvas_laid_out(number))

        return [lay_out, show_model, canvas.plan_drawing, draw_model, show_weights, self._refresh_weights_view]

    def _on_canvas_laid_out(self, number: int) -> None:
        if number == self._views_round and self._views_waiting:
            self._views_waiting = False
            self.turns.ask(self._update_views)

    @Slot(int)
    def _on_selection_changed(self, index: int) -> None:
        if self.canvas is not None and self._canvas_spec is self.document.spec:  # else the update to come selects it
            self.canvas.select_layer(index)
        self._update_actions()
        # the Weights dock on the next turn: the selection's other views are painted first (a big
        # model's whole repaint and the histogram's two paints together made a click's longest gap)
        self.turns.ask(self._refresh_weights_view)

    @Slot(str)
    def _on_edit_refused(self, reason: str) -> None:
        self.statusBar().showMessage(reason, 8000)

    # -- editing the graph (the Edit menu's graph entries) ---------------------------------------------------

    def branch_selected(self) -> str | None:
        """Edit ▸ Add Branch: a branch from the selected layer of the palette's current type."""
        return self.graph_view.branch_selected()

    def connect_selected(self) -> str | None:
        """Edit ▸ Connect: from the selected layer, then (again) to the layer selected now."""
        return self.graph_view.connect_selected()

    def toggle_output_selected(self) -> str | None:
        """Edit ▸ Toggle Model Output for the selected layer."""
        return self.graph_view.toggle_output_selected()

    def delete_selected(self) -> None:
        """Edit ▸ Delete: the connection selected in the graph, else the selected layer."""
        if self.graph_view.selected_connection() is not None:
            self.graph_view.delete_selection()
        else:
            self.report(self.document.remove_selected())

    def can_delete(self) -> bool:
        return self.document.selected_layer() is not None or self.connection_selected()

    def connection_selected(self) -> bool:
        return self.graph_view.selected_connection() is not None

    def connection_pending(self) -> bool:
        return self.graph_view.pending_connection() is not None

    def report(self, reason: str | None) -> None:
        """Say in the status bar why an action did nothing (`reason`, when there is one)."""
        if reason:
            self.statusBar().showMessage(reason, 8000)

    @Slot()
    def _update_actions(self) -> None:
        update_actions(self.app_actions, self)

    @Slot()
    def _update_title(self, *_args: object) -> None:
        path = self.document.path
        name = Path(path).name if path else "Untitled"
        self.setWindowTitle(f"{name}[*] — {APP_NAME}")
        self.setWindowModified(self.document.is_modified())

    # -- view / help -----------------------------------------------------------------------------------------

    def find_layer(self) -> None:
        """Edit ▸ Find Layer: the find field, over the top right of the graph (or the canvas)."""
        self.layer_finder.open()

    @Slot(int)
    def _on_layer_found(self, index: int) -> None:
        self.document.select_layer(index)
        if self.graph_view.isVisibleTo(self):
            self.graph_view.reveal(self.document.spec.layers[index].id)
            self.graph_view.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.layer_stack.setFocus(Qt.FocusReason.OtherFocusReason)

    def toggle_block(self) -> str | None:
        """View ▸ Expand/Collapse Block: the group of repeated blocks of the selected layer."""
        return self.graph_view.toggle_selected_group()

    def set_all_blocks_collapsed(self, collapsed: bool) -> None:
        self.graph_view.set_all_collapsed(collapsed)

    def has_blocks(self) -> bool:
        return bool(self.graph_view.groups) and self.document.spec.is_functional

    def can_fit_canvas(self) -> bool:
        return self.canvas is not None

    def fit_canvas(self) -> None:
        """Show the whole network on the canvas."""
        if self.canvas is not None:
            self.flush_views()
            self.canvas.fit_view()

    def export_drawing(self) -> None:
        """File ▸ Export Drawing: the canvas as PNG or SVG."""
        if self.canvas is not None:
            self.flush_views()
            self.files.export_drawing(self.canvas)

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, what they do) for the Help menu's list: the window's actions, then the panels' own keys."""
        return help_menu.shortcut_rows(
            keyed_actions(self.app_actions), self.app_actions["edit.undo"], self.app_actions["edit.redo"]
        )

    def show_shortcuts(self) -> None:
        """A small window listing the keyboard shortcuts (not modal: it may stay open while editing)."""
        box = self.findChild(QMessageBox, "shortcutsBox")
        if box is None:
            box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard Shortcuts", "", QMessageBox.StandardButton.Close, self)
            box.setObjectName("shortcutsBox")
            box.setModal(False)
        box.setText(help_menu.shortcuts_table(self.shortcut_rows()))
        box.show()
        box.raise_()

    def about_text(self) -> str:
        """The About box's text (with Keras's version once the engine reported it)."""
        return help_menu.about_text(self.keras_status.keras_version, self.keras_status.backend)

    def show_about(self) -> None:
        """Help ▸ About nnstudio."""
        QMessageBox.about(self, "About nnstudio", self.about_text())

    def _fill_recent_menu(self) -> None:
        fill_recent_menu(self.recent_menu, self.files)

    # -- crash recovery ------------------------------------------------------------------------------------------

    def offer_recovery(self) -> bool:
        """Ask Restore / Discard for autosaves of crashed sessions; True when one was restored."""
        if self.autosave is None:
            return False
        # `recovery.ask_restore` is looked up when called, so that tests can replace it.
        restored = recovery.offer_recovery(self, self.autosave, self.document, recovery.ask_restore)
        if restored:
            self.statusBar().showMessage("Restored the autosaved changes", 8000)
        return restored

    # -- files dropped on the window ------------------------------------------------------------------------------

    @staticmethod
    def _dropped_model_file(mime: QMimeData) -> str | None:
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in (".nnstudio", ".keras"):
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._dropped_model_file(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        path = self._dropped_model_file(event.mimeData())
        if path is None:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        self.files.open(path)

    # -- closing ------------------------------------------------------------------------------------------------

    def apply_typed_edits(self) -> None:
        """Names typed in the property editor but not yet confirmed are applied (see Action.applies_typing)."""
        self.property_editor.apply_typed_names()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Ask about unsaved changes, keep the layout, drop an open still reading and the views' waiting
        steps, end the canvas's waiting workers, close the autosave."""
        self.apply_typed_edits()
        if not self.files.confirm_discard("closing"):
            event.ignore()
            return
        self.save_layout()
        self.files.close()  # an open still reading is dropped
        self.turns.clear()  # and the views' steps: nothing more is drawn, no worker started again
        self._views_dropped, self._views_waiting = self._views_due, False  # a layout that comes is not waited for
        if self.canvas is not None:
            self.canvas.release_workers()  # its background workers wait for no more jobs
        if self.autosave is not None:
            self.autosave.close()
        event.accept()
