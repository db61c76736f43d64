"""The main window: canvas in the middle, docks around it, menus, and the Keras state in the status bar.

The window only composes: each dock is another developer's widget over the same Document, and
each is imported lazily so that a widget that is not there (yet) shows a clear placeholder
instead of stopping the window. On every document change the analytic summary updates the views
at once; when it is sound, the model service is asked for a Keras build (newest wins) and the
result confirms the summary table and feeds the canvas the real weights. When it is not sound,
the error is shown and the last good Keras state stays on screen.

The parts live in their own modules: `dock_layout` places and sizes the docks, `menus` builds the
actions, `keras_link` (a KerasLink the window owns) drives the Keras services and routes their
weights, `recovery` restores a crashed session's autosave, `help_menu` writes the Help windows.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QProgressBar, QStackedWidget, QToolButton, QWidget

from nnstudio.core.spec import ModelSpec
from nnstudio.ui import help_menu, recovery
from nnstudio.ui.dock_layout import (
    SUMMARY_HEIGHT,
    TRAINING_HEIGHT,
    add_training_dock,
    build_docks,
    default_sizes,
    size_bottom_row,
)
from nnstudio.ui.file_actions import FileActions
from nnstudio.ui.keras_link import KerasLink
from nnstudio.ui.menus import build_menus, canvas_fit_method, fill_recent_menu
from nnstudio.ui.optional import optional, placeholder
from nnstudio.ui.recovery import ask_restore
from nnstudio.ui.weights_panel import WeightsPanel

# Names that moved out of this module and are still imported from it.
__all__ = ["SUMMARY_HEIGHT", "TRAINING_HEIGHT", "MainWindow", "WeightsPanel", "ask_restore"]

APP_NAME = "nnstudio"
LAYOUT_VERSION = 2  # 2: the Weights dock beside the Summary
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
HINT = "Drag a layer from Layers into Model (or double-click it to append) · Ctrl+Z undoes any edit"


def _from_link(name: str, doc: str) -> property:
    """A read-only window attribute that the window's KerasLink keeps."""
    return property(lambda self: getattr(self.keras_link, name), doc=doc)


class MainWindow(QMainWindow):
    """The editor window for one Document, driving one ModelService (which may be None)."""

    kerasSettled = Signal(str)  # "confirmed", "mismatch", "failed" or "engine-failed": a Keras answer arrived

    model_service = _from_link("model_service", "The ModelService driven (None: not attached yet).")
    service_started = _from_link("service_started", "The Keras engine was asked to start.")
    training_service = _from_link("training_service", "The TrainingService attached, or None.")
    training_panel = _from_link("training_panel", "The Training dock's panel, or None.")
    last_result = _from_link("last_result", "The newest BuildResult for the spec on screen (or an earlier good one).")
    last_build_ms = _from_link("last_build_ms", "How long that build took in the engine, in ms.")
    keras_state = _from_link("keras_state", 'The Keras state: "idle", "loading", "building", "ready" or "error".')
    keras_message = _from_link("keras_message", "The Keras state's text in the status bar.")
    engine_state = _from_link("engine_state", "The model service's last engine state.")
    keras_version = _from_link("keras_version", 'Keras\'s version as the engine reported it ("" until then).')

    def __init__(
        self,
        document,
        model_service=None,
        settings: QSettings | None = None,
        autosave=None,
        parent=None,
        defer_canvas: bool = False,
    ):
        """`defer_canvas`: show a light placeholder now and build the canvas (pyqtgraph) in `load_canvas()`,
        which the application calls right after the window is shown, so that the window appears fast."""
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.document = document
        self.settings = settings if settings is not None else QSettings()
        self.autosave = autosave
        self.keras_link = KerasLink(self)
        self._bottom_grown = False  # the Training tab made the bottom row taller (undone for the Summary)
        self.setDockNestingEnabled(True)
        self.setDocumentMode(True)
        self.setAcceptDrops(True)  # a .nnstudio or .keras file dropped on the window opens it

        self.files = FileActions(self, document, None, self.settings)
        self.files.weights_provider = self.current_weights

        self.canvas = None
        # The central area is a stack, so the canvas can replace its placeholder without the dock
        # areas sharing the window's space afresh.
        self.central = QStackedWidget(self)
        self.central.setObjectName("centralArea")
        self.setCentralWidget(self.central)
        if defer_canvas:
            self._show_central(placeholder("canvasPlaceholder", "Drawing the network…"))
        else:
            self.load_canvas(initial=True)
        build_docks(self)
        if not defer_canvas:
            self.weights_panel.install_histogram()
        self._build_status_bar()
        build_menus(self)
        self._connect()
        self.resize(1400, 900)
        default_sizes(self)
        self.restore_layout()
        self._update_title()
        self.statusBar().showMessage(HINT)
        if model_service is not None or not defer_canvas:
            self.attach_service(model_service)
        else:  # the application attaches it right after the window is shown
            self.keras_link.set_state("loading", "Starting Keras…")
        self._on_document_changed(document.spec)

    # -- construction --------------------------------------------------------------------------------

    def load_canvas(self, initial: bool = False) -> None:
        """Create the network canvas (another developer's widget; a placeholder when it is missing)."""
        if self.canvas is not None:
            return
        if not initial:
            self.weights_panel.install_histogram()
            self.keras_link.refresh_weights_view()
        canvas_class = optional("nnstudio.ui.canvas", "NetworkCanvas")
        if canvas_class is not None:
            try:
                self.canvas = canvas_class(self)
            except Exception:
                self.canvas = None
        if self.canvas is None:
            self._show_central(
                placeholder(
                    "canvasPlaceholder",
                    "The network canvas is coming soon: it will draw every neuron and the real weights.\n\n"
                    "Meanwhile, build the model in the layer stack and read its shapes in the summary.",
                )
            )
            return
        self._show_central(self.canvas)
        clicked = getattr(self.canvas, "layerClicked", None)
        if clicked is not None:
            clicked.connect(self._on_canvas_clicked)
        if initial:
            return  # the constructor draws the model once everything exists
        self.fit_action.setEnabled(self._canvas_fit_method() is not None)
        with contextlib.suppress(Exception):
            self.canvas.set_model(self.document.summary(), self.document.spec)
            self.canvas.set_weights(self.current_weights())
            self.canvas.select_layer(int(self.document.selected_index))

    def _show_central(self, widget: QWidget) -> None:
        """Put `widget` in the central area in place of what was there."""
        while self.central.count():
            old = self.central.widget(0)
            self.central.removeWidget(old)
            old.deleteLater()
        self.central.addWidget(widget)
        self.central.setCurrentWidget(widget)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(True)
        self.export_progress = QProgressBar(self)
        self.export_progress.setObjectName("exportProgress")
        self.export_progress.setRange(0, 0)  # busy: the engine reports no steps for an export
        self.export_progress.setMaximumWidth(140)
        self.export_progress.setTextVisible(False)
        self.export_progress.hide()
        self.keras_label = QLabel(self)
        self.keras_label.setObjectName("statusKeras")
        self.keras_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.keras_label.setMaximumWidth(560)  # a long engine message is cut here; its tooltip has it all
        self.restart_button = QToolButton(self)
        self.restart_button.setObjectName("restartEngineButton")
        self.restart_button.setText("Restart Keras")
        self.restart_button.setToolTip("Start a fresh Keras engine and build the model again")
        self.restart_button.setAutoRaise(False)
        self.restart_button.clicked.connect(self.restart_engine)
        self.restart_button.hide()
        bar.addPermanentWidget(self.export_progress)
        bar.addPermanentWidget(self.keras_label)
        bar.addPermanentWidget(self.restart_button)
        self.keras_link.set_state("idle", "")

    def _connect(self) -> None:
        doc = self.document
        doc.changed.connect(self._on_document_changed)
        doc.selectionChanged.connect(self._on_selection_changed)
        doc.modifiedChanged.connect(self._update_title)
        doc.pathChanged.connect(self._update_title)
        refused = getattr(doc, "editRefused", None)
        if refused is not None:
            refused.connect(self._on_edit_refused)
        self.files.status.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.files.recentFilesChanged.connect(lambda _files: self._fill_recent_menu())
        self.files.exportStarted.connect(lambda _path: self.export_progress.show())
        self.files.exportDone.connect(lambda _path, _error: self.export_progress.hide())
        self.files.kerasWeightsLoaded.connect(self.keras_link.on_file_weights)
        self.files.documentReplaced.connect(self.reset_keras_state)
        append = getattr(self.palette_widget, "appendRequested", None)
        if append is not None:
            append.connect(self._append_layer)

    # -- Keras (the KerasLink does the work) ------------------------------------------------------------

    def attach_service(self, model_service) -> None:
        """Drive `model_service` (it may come after the window is shown: its import costs numpy)."""
        self.keras_link.attach_service(model_service)

    def start_service(self) -> None:
        """Start the Keras engine (call right after the window is shown) and build the current model."""
        self.keras_link.start_service()

    def attach_training(self, training_service) -> bool:
        """Add the Training dock over `training_service`; False (and no dock) when the panel is missing."""
        return self.keras_link.attach_training(training_service)

    def current_weights(self) -> dict | None:
        """The real weights of the spec on screen: trained ones, else Keras's last build (None: not yet)."""
        return self.keras_link.current_weights()

    @Slot()
    def reset_keras_state(self) -> None:
        """Another model was put in the document: forget the previous model's Keras results."""
        self.keras_link.reset_keras_state()

    @Slot()
    def rebuild(self) -> None:
        """Ask for a build of the model on screen now (a failed engine is started afresh by it)."""
        self.keras_link.rebuild()

    @Slot()
    def restart_engine(self) -> None:
        """End the Keras engine (and what it was doing), start a fresh one and build the model again."""
        self.keras_link.restart_engine()

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

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._sized:  # the default dock sizes, now that the window has its real size
            self._sized = True
            default_sizes(self)

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
        default_sizes(self)

    def place_training_dock(self, panel: QWidget) -> None:
        """Dock the training panel behind the Summary, then restore the saved layout with it in its place."""
        dock = add_training_dock(self, panel)
        dock.visibilityChanged.connect(self._on_training_tab)
        state = self.settings.value(STATE_KEY)
        if state is not None and self._layout_restored:
            self.restoreState(state, LAYOUT_VERSION)  # now with the Training dock in its place
        else:
            self._default_state = self.saveState(LAYOUT_VERSION)

    @Slot(bool)
    def _on_training_tab(self, shown: bool) -> None:
        """The Training tab raised: the bottom row grows to fit the panel and Training takes most of
        its width; the Summary raised again: the row goes back to the table's size."""
        if self.isVisible() and self._sized:
            QTimer.singleShot(0, self, lambda: self._size_bottom_row(shown))

    def _size_bottom_row(self, training_shown: bool) -> None:
        self._bottom_grown = size_bottom_row(self, training_shown, self._bottom_grown)

    # -- document -----------------------------------------------------------------------------------------

    @Slot(object)
    def _on_document_changed(self, spec: ModelSpec) -> None:
        summary = self.document.summary()
        if self.canvas is not None and hasattr(self.canvas, "set_model"):
            try:
                self.canvas.set_model(summary, spec)
            except Exception as exc:
                self.statusBar().showMessage(f"The canvas could not draw the model: {exc}", 6000)
        if summary.ok:
            if self.canvas is not None and hasattr(self.canvas, "set_weights"):
                weights = self.current_weights()
                with contextlib.suppress(Exception):
                    self.canvas.set_weights(weights)  # None: pending until Keras answers
            if self.service_started:
                self.keras_link.request_build()
        else:
            message = summary.issues[0].message
            self.statusBar().showMessage(message, 8000)
            self.keras_link.set_state("error", f"Not sent to Keras: {message}")
        self._update_actions()
        self.keras_link.refresh_weights_view()

    @Slot(int)
    def _on_selection_changed(self, index: int) -> None:
        if self.canvas is not None and hasattr(self.canvas, "select_layer"):
            with contextlib.suppress(Exception):
                self.canvas.select_layer(index)
        self._update_actions()
        self.keras_link.refresh_weights_view()

    @Slot(int)
    def _on_canvas_clicked(self, index: int) -> None:
        self.document.select_layer(index)

    @Slot(str)
    def _on_edit_refused(self, reason: str) -> None:
        self.statusBar().showMessage(reason, 8000)

    @Slot(str)
    def _append_layer(self, class_name: str) -> None:
        append = getattr(self.document, "append_layer", None)
        if append is not None:
            append(class_name)
        else:
            self.document.insert_layer(len(self.document.spec.layers), class_name)

    def _selected(self) -> int:
        return int(self.document.selected_index)

    def _update_actions(self) -> None:
        index = self._selected()
        count = len(self.document.spec.layers)
        has = 0 <= index < count
        self.delete_action.setEnabled(has)
        can_dup = getattr(self.document, "can_duplicate", None)
        self.duplicate_action.setEnabled(has and (can_dup is None or can_dup(index) is None))
        self.move_up_action.setEnabled(has and index > 0 and self.document.can_move(index, index - 1) is None)
        self.move_down_action.setEnabled(has and index < count - 1 and self.document.can_move(index, index + 1) is None)

    def delete_selected(self) -> None:
        """Remove the selected layer."""
        index = self._selected()
        if index >= 0:
            self.document.remove_layer(index)

    def duplicate_selected(self) -> None:
        """Insert a copy of the selected layer below it."""
        index = self._selected()
        if index >= 0:
            self.document.duplicate_layer(index)

    def move_selected(self, step: int) -> None:
        """Move the selected layer `step` places (the status bar says why when the document refuses)."""
        index = self._selected()
        target = index + step
        if index < 0 or not 0 <= target < len(self.document.spec.layers):
            return
        reason = self.document.move_layer(index, target)
        if reason:
            self.statusBar().showMessage(reason, 8000)

    @Slot()
    def _update_title(self, *_args) -> None:
        path = self.document.path
        name = Path(path).name if path else "Untitled"
        self.setWindowTitle(f"{name}[*] — {APP_NAME}")
        self.setWindowModified(self.document.is_modified())

    # -- view / help -----------------------------------------------------------------------------------------

    def _canvas_fit_method(self):
        return canvas_fit_method(self.canvas)

    def fit_canvas(self) -> None:
        """Show the whole network on the canvas."""
        method = self._canvas_fit_method()
        if method is not None:
            method()

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, what they do) for the Help menu's list: the window's actions, then the panels' own keys."""
        return help_menu.shortcut_rows(self.keyed_actions, self.undo_action, self.redo_action)

    def show_shortcuts(self) -> None:
        """A small window listing the keyboard shortcuts (not modal: it may stay open while editing)."""
        text = help_menu.shortcuts_table(self.shortcut_rows())
        box = getattr(self, "_shortcuts_box", None)
        if box is None:
            box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard Shortcuts", "", QMessageBox.StandardButton.Close, self)
            box.setObjectName("shortcutsBox")
            box.setModal(False)
            self._shortcuts_box = box
        box.setText(text)
        box.show()
        box.raise_()

    def about_text(self) -> str:
        """The About box's text (with Keras's version once the engine reported it)."""
        return help_menu.about_text(self.keras_version, self.keras_link.backend)

    def show_about(self) -> None:
        """Help ▸ About nnstudio."""
        QMessageBox.about(self, "About nnstudio", self.about_text())

    def _fill_recent_menu(self) -> None:
        fill_recent_menu(self.recent_menu, self.files)

    # -- crash recovery ------------------------------------------------------------------------------------------

    def offer_recovery(self) -> bool:
        """Ask Restore / Discard for autosaves of crashed sessions; True when one was restored."""
        # `ask_restore` is looked up in this module when called, so that tests can replace it here.
        return recovery.offer_recovery(self, ask_restore)

    def restore(self, recovered: Any) -> None:
        """Show an autosaved model: its file's saved state, then the unsaved changes as one undoable step."""
        recovery.restore(self, recovered)

    # -- files dropped on the window ------------------------------------------------------------------------------

    @staticmethod
    def _dropped_model_file(mime) -> str | None:
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in (".nnstudio", ".keras"):
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if self._dropped_model_file(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802
        path = self._dropped_model_file(event.mimeData())
        if path is None:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        self.files.open(path)

    # -- closing ------------------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Ask about unsaved changes, keep the layout, close the autosave."""
        if not self.files.confirm_discard("closing"):
            event.ignore()
            return
        self.save_layout()
        if self.autosave is not None:
            self.autosave.close()
        event.accept()
