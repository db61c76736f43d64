"""The main window: canvas in the middle, docks around it, menus, and the Keras state in the status bar.

The window only composes: each dock is another developer's widget over the same Document, and
each is imported lazily so that a widget that is not there (yet) shows a clear placeholder
instead of stopping the window. On every document change the analytic summary updates the views
at once; when it is sound, the model service is asked for a Keras build (newest wins) and the
result confirms the summary table and feeds the canvas the real weights. When it is not sound,
the error is shown and the last good Keras state stays on screen.
"""

from __future__ import annotations

import contextlib
import html
import importlib
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QStackedWidget,
    QToolButton,
    QWidget,
)

from nnstudio.core.project import ProjectError, load_project
from nnstudio.core.spec import ModelSpec
from nnstudio.ui.file_actions import FileActions
from nnstudio.ui.summary_table import CONFIRMED, FAILED, MISMATCH, SummaryTable

APP_NAME = "nnstudio"
LAYOUT_VERSION = 2  # 2: the Weights dock beside the Summary
SUMMARY_HEIGHT = 245  # the table's header, two rows, the totals and the Keras mark without scrolling
TRAINING_HEIGHT = 460  # the Training tab raised: its settings, buttons, progress and curves without scrolling
NARROW_MIDDLE = 640  # below this width between the side columns, Summary and Weights are tabs
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
HINT = "Drag a layer from Layers into Model (or double-click it to append) · Ctrl+Z undoes any edit"


def _optional(module: str, name: str) -> Any | None:
    """A class from another developer's module, or None when it cannot be imported."""
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError:
        return None
    except Exception:  # a broken widget module must not stop the window
        return None


def _placeholder(object_name: str, text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(object_name)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setMargin(16)
    label.setEnabled(False)
    return label


class WeightsPanel(QStackedWidget):
    """The Weights dock: the selected layer's kernel histogram (developer E's widget), or a clear message.

    The histogram (pyqtgraph) is installed by `install_histogram()`, which the window calls with the
    canvas, after it is shown; until then, and for layers without a kernel, a message says why there
    is nothing to draw.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("weightsPanel")
        self.message = QLabel(self)
        self.message.setObjectName("weightsMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setMargin(12)
        self.message.setEnabled(False)
        self.addWidget(self.message)
        self.histogram = None
        self.tried = False  # install_histogram() was called (the histogram is None only if it failed)
        self._shown: tuple[str, Any] | None = None  # (layer name, kernel array) on the histogram now

    def install_histogram(self) -> bool:
        if self.histogram is not None:
            return True
        self.tried = True
        cls = _optional("nnstudio.ui.histogram", "WeightHistogram")
        if cls is None:
            return False
        try:
            self.histogram = cls(self)
        except Exception:
            self.histogram = None
            return False
        self.addWidget(self.histogram)
        return True

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.setCurrentWidget(self.message)

    def show_kernel(self, name: str, arrays: list) -> None:
        """The histogram of `arrays[0]` (recomputed only when the layer or its arrays changed)."""
        if self.histogram is None:
            return
        shown = self._shown
        if shown is None or shown[0] != name or shown[1] is not arrays[0] or self.currentWidget() is not self.histogram:
            self.histogram.set_layer_weights(name, arrays)
            self._shown = (name, arrays[0])
        self.setCurrentWidget(self.histogram)

    def forget(self) -> None:
        """Someone else (the training panel) drew on the histogram: redraw on the next `show_kernel`."""
        self._shown = None


def _keras_version(message: str) -> str:
    """The version in the engine's "Keras 3.15.1 ready", or ""."""
    match = re.match(r"Keras (\d[\w.+-]*) ready", message or "")
    return match.group(1) if match else ""


def ask_restore(parent: QWidget | None, text: str) -> bool:
    """Restore / Discard for a crashed session's autosave; True for Restore (tests replace this)."""
    box = QMessageBox(
        QMessageBox.Icon.Question, "Restore unsaved changes?", text, QMessageBox.StandardButton.NoButton, parent
    )
    restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(restore)
    box.exec()
    return box.clickedButton() is restore


class MainWindow(QMainWindow):
    """The editor window for one Document, driving one ModelService (which may be None)."""

    kerasSettled = Signal(str)  # "confirmed", "mismatch", "failed" or "engine-failed": a Keras answer arrived

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
        self.model_service = None
        self.settings = settings if settings is not None else QSettings()
        self.autosave = autosave
        self.service_started = False
        self.training_service = None
        self.training_panel = None
        self._bottom_grown = False  # the Training tab made the bottom row taller (undone for the Summary)
        self.last_result = None  # the newest BuildResult for the spec on screen (or an earlier good one)
        self.last_build_ms: float | None = None
        self.keras_state = "idle"  # idle, loading, building, ready, error
        self.keras_message = ""
        self._file_weights: tuple[ModelSpec, dict] | None = None
        self._carried_weights: dict | None = None
        self._panel_has_service = False
        self.engine_state = ""
        self.keras_version = ""  # as the engine reported it ("Keras 3.15.1 ready"); the GUI never imports Keras
        self._expected_request: int | None = None
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
            self._show_central(_placeholder("canvasPlaceholder", "Drawing the network…"))
        else:
            self.load_canvas(initial=True)
        self._build_docks()
        if not defer_canvas:
            self.weights_panel.install_histogram()
        self._build_status_bar()
        self._build_menus()
        self._connect()
        self.resize(1400, 900)
        self._default_sizes()
        self.restore_layout()
        self._update_title()
        self.statusBar().showMessage(HINT)
        if model_service is not None or not defer_canvas:
            self.attach_service(model_service)
        else:  # the application attaches it right after the window is shown
            self._set_keras_state("loading", "Starting Keras…")
        self._on_document_changed(document.spec)

    # -- construction --------------------------------------------------------------------------------

    def load_canvas(self, initial: bool = False) -> None:
        """Create the network canvas (another developer's widget; a placeholder when it is missing)."""
        if self.canvas is not None:
            return
        if not initial:
            self.weights_panel.install_histogram()
            self._refresh_weights_view()
        canvas_class = _optional("nnstudio.ui.canvas", "NetworkCanvas")
        if canvas_class is not None:
            try:
                self.canvas = canvas_class(self)
            except Exception:
                self.canvas = None
        if self.canvas is None:
            self._show_central(
                _placeholder(
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

    def _make_dock(self, title: str, object_name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(object_name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        self.docks[object_name] = dock
        return dock

    def _widget(self, module: str, name: str, object_name: str, what: str, *args) -> QWidget:
        cls = _optional(module, name)
        if cls is not None:
            try:
                return cls(*args)
            except Exception as exc:  # show the failure, keep the window
                return _placeholder(f"{object_name}Placeholder", f"The {what} could not start: {exc}")
        return _placeholder(f"{object_name}Placeholder", f"{what[0].upper()}{what[1:]}: coming soon.")

    def _build_docks(self) -> None:
        self.docks: dict[str, QDockWidget] = {}
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        right = Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea

        self.palette_widget = self._widget("nnstudio.ui.palette", "LayerPalette", "layerPalette", "layer palette")
        self.layer_stack = self._widget(
            "nnstudio.ui.layer_stack", "LayerStackView", "layerStack", "layer stack", self.document
        )
        self.property_editor = self._widget(
            "nnstudio.ui.property_editor", "PropertyEditor", "propertyEditor", "property editor", self.document
        )
        self.compile_settings = self._widget(
            "nnstudio.ui.compile_settings", "CompileSettings", "compileSettings", "compile settings", self.document
        )
        self.summary_table = SummaryTable(self.document)
        self.weights_panel = WeightsPanel()

        self._make_dock("Layers", "paletteDock", self.palette_widget, left)
        self._make_dock("Model", "layerStackDock", self.layer_stack, left)
        self._make_dock("Properties", "propertyDock", self.property_editor, right)
        self._compact_combos(self.compile_settings)
        self._make_dock("Compile", "compileDock", self._scrolling(self.compile_settings, "compileScroller"), right)
        self._make_dock("Summary", "summaryDock", self.summary_table, bottom)
        self._make_dock("Weights", "weightsDock", self.weights_panel, bottom)
        self.splitDockWidget(self.docks["paletteDock"], self.docks["layerStackDock"], Qt.Orientation.Vertical)
        self.splitDockWidget(self.docks["propertyDock"], self.docks["compileDock"], Qt.Orientation.Vertical)
        self.splitDockWidget(self.docks["summaryDock"], self.docks["weightsDock"], Qt.Orientation.Horizontal)
        self.setCorner(Qt.Corner.BottomLeftCorner, left)
        self.setCorner(Qt.Corner.BottomRightCorner, right)
        self._show_all_metrics()

    @staticmethod
    def _scrolling(widget: QWidget, object_name: str) -> QScrollArea:
        """`widget` at its natural size when there is room, scrolled when the window is small."""
        scroller = QScrollArea()
        scroller.setObjectName(object_name)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroller.setWidget(widget)
        # As wide as the widget needs: it scrolls up and down only.
        bar = scroller.verticalScrollBar().sizeHint().width()
        scroller.setMinimumWidth(widget.minimumSizeHint().width() + bar)
        return scroller

    @staticmethod
    def _compact_combos(widget: QWidget) -> None:
        """Combo boxes as wide as the dock gives them, not as their longest entry (the list shows it whole)."""
        for combo in widget.findChildren(QComboBox):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)

    def _show_all_metrics(self) -> None:
        """Every metric check box in view, not a few in a scrolled list (the dock scrolls instead)."""
        metrics = getattr(self.compile_settings, "metrics", None)
        if metrics is None or not hasattr(metrics, "sizeHintForRow") or metrics.count() == 0:
            return
        height = metrics.sizeHintForRow(0) * metrics.count() + 2 * metrics.frameWidth() + 6
        metrics.setMinimumHeight(height)
        metrics.setMaximumHeight(height)
        metrics.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        metrics.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        metrics.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a narrow window: "sparse_ca…accuracy"
        for i in range(metrics.count()):
            item = metrics.item(i)
            if not item.toolTip():
                item.setToolTip(item.text())

    def _compile_height(self) -> int:
        return self.compile_settings.sizeHint().height() + 32  # and the dock's title bar

    def _default_sizes(self) -> None:
        """Docks sized for the window's size: the canvas gets the most room, every panel stays readable."""
        width, height = max(self.width(), 900), max(self.height(), 600)
        side_left = max(215, min(270, int(width * 0.19)))
        side_right = max(300, min(350, int(width * 0.245)), self.docks["compileDock"].widget().minimumWidth())
        self.resizeDocks(
            [self.docks["paletteDock"], self.docks["propertyDock"]], [side_left, side_right], Qt.Orientation.Horizontal
        )
        column = height - 60  # menu and status bars
        palette = min(int(column * 0.5), 380)
        self.resizeDocks(
            [self.docks["paletteDock"], self.docks["layerStackDock"]],
            [palette, column - palette],
            Qt.Orientation.Vertical,
        )
        compile_height = min(self._compile_height(), int(column * 0.55))
        self.resizeDocks(
            [self.docks["propertyDock"], self.docks["compileDock"]],
            [column - compile_height, compile_height],
            Qt.Orientation.Vertical,
        )
        summary, weights_dock = self.docks["summaryDock"], self.docks["weightsDock"]
        middle = width - side_left - side_right
        if middle < NARROW_MIDDLE:  # no room for both side by side: tabs, each readable
            self.tabifyDockWidget(summary, weights_dock)
            summary.raise_()
        elif self.tabifiedDockWidgets(summary) and weights_dock in self.tabifiedDockWidgets(summary):
            self.splitDockWidget(summary, weights_dock, Qt.Orientation.Horizontal)
        self.resizeDocks([summary], [SUMMARY_HEIGHT], Qt.Orientation.Vertical)
        if middle >= NARROW_MIDDLE:
            weights = middle * 9 // 20
            self.resizeDocks([summary, weights_dock], [middle - weights, weights], Qt.Orientation.Horizontal)

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
        self._set_keras_state("idle", "")

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, (list, tuple)):
                action.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        menu = self.menuBar()
        files = self.files
        key = QKeySequence.StandardKey

        file_menu = menu.addMenu("&File")
        self.new_action = self._action("&New", lambda: files.new(), key.New, "Start a new model")
        self.open_action = self._action("&Open…", lambda: files.open(), key.Open, "Open a .nnstudio or .keras file")
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.save_action = self._action("&Save", lambda: files.save(), key.Save, "Save the model")
        self.save_as_action = self._action(
            "Save &As…", lambda: files.save_as(), "Ctrl+Shift+S", "Save the model under a new name"
        )
        self.export_keras_action = self._action(
            "&Export .keras…", lambda: files.export_keras(), "Ctrl+E", "Build with Keras and write a .keras file"
        )
        self.export_code_action = self._action(
            "Export &Python Code…", lambda: files.export_python(), None, "Write a Keras script that rebuilds the model"
        )
        self.export_drawing_action = self._action(
            "Export &Drawing…",
            lambda: files.export_drawing(self.canvas),
            None,
            "Save the network drawing as PNG or SVG",
        )
        self.quit_action = self._action("&Quit", self.close, key.Quit, "Close nnstudio")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        for item in (self.new_action, self.open_action):
            file_menu.addAction(item)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_keras_action)
        file_menu.addAction(self.export_code_action)
        file_menu.addAction(self.export_drawing_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self._fill_recent_menu()

        edit_menu = menu.addMenu("&Edit")
        stack = self.document.undo_stack
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(QKeySequence.keyBindings(key.Undo))
        self.redo_action = stack.createRedoAction(self, "&Redo")
        redo_keys = [QKeySequence("Ctrl+Shift+Z")]
        redo_keys += [k for k in QKeySequence.keyBindings(key.Redo) if k not in redo_keys]
        self.redo_action.setShortcuts(redo_keys)
        self.delete_action = self._action(
            "&Delete Layer", self.delete_selected, key.Delete, "Remove the selected layer"
        )
        self.duplicate_action = self._action(
            "D&uplicate Layer", self.duplicate_selected, "Ctrl+D", "Insert a copy below the selected layer"
        )
        self.move_up_action = self._action("Move &Up", lambda: self.move_selected(-1), "Ctrl+Up", "Move the layer up")
        self.move_down_action = self._action(
            "Move Do&wn", lambda: self.move_selected(1), "Ctrl+Down", "Move the layer down"
        )
        for item in (self.undo_action, self.redo_action):
            edit_menu.addAction(item)
        edit_menu.addSeparator()
        for item in (self.delete_action, self.duplicate_action, self.move_up_action, self.move_down_action):
            edit_menu.addAction(item)

        view_menu = menu.addMenu("&View")
        self.view_menu = view_menu
        for name in ("paletteDock", "layerStackDock", "propertyDock", "compileDock", "summaryDock", "weightsDock"):
            view_menu.addAction(self.docks[name].toggleViewAction())
        self._dock_separator = view_menu.addSeparator()
        self.fit_action = self._action("&Fit Canvas", self.fit_canvas, "Ctrl+0", "Show the whole network")
        self.fit_action.setEnabled(self._canvas_fit_method() is not None)
        view_menu.addAction(self.fit_action)
        self.reset_layout_action = self._action("&Reset Layout", self.reset_layout, None, "Put the panels back")
        view_menu.addAction(self.reset_layout_action)

        keras_menu = menu.addMenu("&Keras")
        self.keras_menu = keras_menu
        self.rebuild_action = self._action(
            "&Build Now", self.rebuild, "Ctrl+B", "Ask Keras to build the model again (after an engine failure)"
        )
        self.restart_engine_action = self._action(
            "&Restart Keras Engine",
            self.restart_engine,
            None,
            "End the Keras engine process, start a fresh one and build the model again",
        )
        keras_menu.addAction(self.rebuild_action)
        keras_menu.addAction(self.restart_engine_action)

        help_menu = menu.addMenu("&Help")
        self.shortcuts_action = self._action(
            "&Keyboard Shortcuts", self.show_shortcuts, key.HelpContents, "The keys that act on the model"
        )
        help_menu.addAction(self.shortcuts_action)
        help_menu.addSeparator()
        self.about_action = self._action("&About nnstudio", self.show_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        help_menu.addAction(self.about_action)

        # The actions with keys, in the order Help ▸ Keyboard Shortcuts lists them; window-wide
        # shortcuts must work while the menu bar is hidden too.
        self.keyed_actions = (
            self.new_action,
            self.open_action,
            self.save_action,
            self.save_as_action,
            self.export_keras_action,
            self.undo_action,
            self.redo_action,
            self.delete_action,
            self.duplicate_action,
            self.move_up_action,
            self.move_down_action,
            self.fit_action,
            self.rebuild_action,
            self.shortcuts_action,
            self.quit_action,
        )
        for action in self.keyed_actions:
            self.addAction(action)

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
        self.files.kerasWeightsLoaded.connect(self._on_file_weights)
        self.files.documentReplaced.connect(self.reset_keras_state)
        append = getattr(self.palette_widget, "appendRequested", None)
        if append is not None:
            append.connect(self._append_layer)

    def attach_service(self, model_service) -> None:
        """Drive `model_service` (it may come after the window is shown: its import costs numpy)."""
        if self.model_service is not None:
            return
        if model_service is None:
            self._set_keras_state("error", "Keras engine unavailable")
            return
        self.model_service = model_service
        self.files.attach_service(model_service)
        panel = self.training_panel
        if panel is not None and not self._panel_has_service and hasattr(panel, "on_build_finished"):
            model_service.buildFinished.connect(panel.on_build_finished)  # the panel came first
            self._panel_has_service = True
        self._set_keras_state("idle", "Keras: starting soon")
        for name, slot in (
            ("engineStateChanged", self._on_engine_state),
            ("buildStarted", self._on_build_started),
            ("buildFinished", self._on_build_finished),
            ("buildFailed", self._on_build_failed),
        ):
            signal = getattr(model_service, name, None)
            if signal is not None:
                signal.connect(slot)

    # -- layout -----------------------------------------------------------------------------------------

    def restore_layout(self) -> None:
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
            self._default_sizes()

    def save_layout(self) -> None:
        self.settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        self.settings.setValue(STATE_KEY, self.saveState(LAYOUT_VERSION))
        self.settings.sync()

    def reset_layout(self) -> None:
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_state, LAYOUT_VERSION)
        self._default_sizes()

    # -- service ----------------------------------------------------------------------------------------

    # -- training (developer F's panel and service) ----------------------------------------------------

    def attach_training(self, training_service) -> bool:
        """Add the Training dock over `training_service`; False (and no dock) when the panel is missing."""
        if training_service is None or self.training_service is not None:
            return False
        panel_class = _optional("nnstudio.ui.training_panel", "TrainingPanel")
        if panel_class is None:
            return False
        try:
            panel = panel_class(self.document, training_service)
        except Exception as exc:
            self.statusBar().showMessage(f"The training panel could not start: {exc}", 8000)
            return False
        self.training_service = training_service
        self.training_panel = panel
        # In a scroll area, so that the panel's many controls never squeeze the canvas.
        scroller = QScrollArea()
        scroller.setObjectName("trainingScroller")
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setWidget(panel)
        dock = self._make_dock("Training", "trainingDock", scroller, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.docks["summaryDock"], dock)
        self.docks["summaryDock"].raise_()
        self.resizeDocks([self.docks["summaryDock"]], [SUMMARY_HEIGHT], Qt.Orientation.Vertical)
        self.view_menu.insertAction(self._dock_separator, dock.toggleViewAction())
        dock.visibilityChanged.connect(self._on_training_tab)
        self._attach_panel()
        state = self.settings.value(STATE_KEY)
        if state is not None and self._layout_restored:
            self.restoreState(state, LAYOUT_VERSION)  # now with the Training dock in its place
        else:
            self._default_state = self.saveState(LAYOUT_VERSION)
        for name, slot in (("weightsUpdated", self._on_training_snapshot), ("resetDone", self._on_trained_weights)):
            signal = getattr(training_service, name, None)
            if signal is not None:
                signal.connect(slot)
        return True

    @Slot(bool)
    def _on_training_tab(self, shown: bool) -> None:
        """The Training tab raised: the bottom row grows to fit the panel and Training takes most of
        its width; the Summary raised again: the row goes back to the table's size."""
        if self.isVisible() and self._sized:
            QTimer.singleShot(0, self, lambda: self._size_bottom_row(shown))

    def _size_bottom_row(self, training_shown: bool) -> None:
        training, summary, weights = (self.docks.get(n) for n in ("trainingDock", "summaryDock", "weightsDock"))
        if training is None or training.isFloating() or training not in self.tabifiedDockWidgets(summary):
            return  # the person placed it elsewhere: their layout stands
        beside = weights.isVisible() and not weights.isFloating() and weights not in self.tabifiedDockWidgets(summary)
        shown = training if training_shown else summary
        middle = shown.width() + (weights.width() if beside else 0)
        if shown is training:
            self.resizeDocks([training], [min(TRAINING_HEIGHT, int(self.height() * 0.52))], Qt.Orientation.Vertical)
            part = max(240, middle * 9 // 25)
            self._bottom_grown = True
        elif not self._bottom_grown:
            return  # the row is as the person (or a restored layout) made it
        else:
            self._bottom_grown = False
            self.resizeDocks([summary], [SUMMARY_HEIGHT], Qt.Orientation.Vertical)
            part = middle * 9 // 20
        if beside:
            self.resizeDocks([shown, weights], [middle - part, part], Qt.Orientation.Horizontal)

    def _attach_panel(self) -> None:
        """Let the training panel move the histogram with the training snapshots (the window feeds
        the canvas itself) and start Train from the weights Keras last built (what is on screen)."""
        attach = getattr(self.training_panel, "attach", None)
        if attach is None:
            return
        try:
            attach(histogram=self.weights_panel.histogram, model_service=self.model_service)
        except Exception as exc:
            self.statusBar().showMessage(f"The training panel could not follow the weights: {exc}", 8000)
            return
        self._panel_has_service = self.model_service is not None

    def _trained_weights(self) -> dict | None:
        service = self.training_service
        if service is None:
            return None
        try:
            return service.trained_weights_for(self.document.spec)
        except Exception:
            return None

    @Slot(object)
    def _on_training_snapshot(self, weights) -> None:
        """A snapshot during training: drawn on the next turn of the event loop, newest first.

        The training panel moves the histogram in this turn; the canvas follows in the next, so
        the two never add up to one long stop of the GUI thread."""
        if weights and set(weights) <= {layer.name for layer in self.document.spec.layers}:
            self._carried_weights = weights  # the next build keeps them, drawn or not yet
        first = getattr(self, "_pending_snapshot", None) is None
        self._pending_snapshot = weights
        if first:
            QTimer.singleShot(0, self, self._apply_pending_snapshot)

    def _apply_pending_snapshot(self) -> None:
        weights, self._pending_snapshot = self._pending_snapshot, None
        if weights is not None:
            self._apply_training_snapshot(weights)

    def _apply_training_snapshot(self, weights) -> None:
        """The training panel moves the histogram, the window the rest."""
        panel = self.weights_panel
        panel_draws = panel.histogram is not None and hasattr(self.training_panel, "attach")
        if panel_draws:
            panel.forget()
        # The panel draws on the histogram; the window still turns to it from a message ("waiting…").
        self._on_trained_weights(weights, histogram=not panel_draws or panel.currentWidget() is not panel.histogram)

    @Slot(object)
    def _on_trained_weights(self, weights, histogram: bool = True) -> None:
        """Training (or its Reset) gave new weights: draw them, and keep them across the next builds."""
        if not weights:
            return
        names = {layer.name for layer in self.document.spec.layers}
        if not set(weights) <= names:
            return  # weights of a model no longer on screen
        self._carried_weights = weights
        if self.canvas is not None and hasattr(self.canvas, "set_weights"):
            with contextlib.suppress(Exception):
                self.canvas.set_weights(weights)
        if histogram:
            self._refresh_weights_view()

    def _refresh_weights_view(self) -> None:
        """The Weights dock for the selected layer: its kernel's histogram, or why there is none."""
        panel = getattr(self, "weights_panel", None)
        if panel is None:
            return
        spec = self.document.spec
        index = self._selected()
        if not 0 <= index < len(spec.layers):
            panel.show_message("Select a layer to see the histogram of its weights.")
            return
        layer = spec.layers[index]
        title = f"{layer.name} ({layer.class_name})"
        if panel.histogram is None:
            panel.show_message(f"{title}: the weight histogram is not available." if panel.tried else "…")
            return
        weights = self.current_weights()
        arrays = weights.get(layer.name) if weights else None
        if arrays and getattr(arrays[0], "ndim", 0) >= 2:
            panel.show_kernel(layer.name, arrays)
            return
        row = next((r for r in self.document.summary().rows if r.index == index), None)
        if row is not None and row.error:
            panel.show_message(f"{title} cannot be built yet: {row.error}")
        elif layer.class_name == "Input" or row is None or row.params == 0:
            panel.show_message(f"{title} has no weights: it passes values on without learning any.")
        elif arrays:
            shapes = ", ".join("×".join(str(d) for d in getattr(a, "shape", ())) or "?" for a in arrays)
            panel.show_message(
                f"{title} has no kernel: only {len(arrays)} per-feature vectors ({shapes}), no weights between neurons."
            )
        elif self.keras_state == "error":
            panel.show_message(f"No weights for {title}: {self.keras_message}")
        else:
            panel.show_message(f"{title}: waiting for Keras to build its weights…")

    def start_service(self) -> None:
        """Start the Keras engine (call right after the window is shown) and build the current model."""
        if self.model_service is None or self.service_started:
            return
        self.service_started = True
        self._set_keras_state("loading", "Loading Keras…")
        try:
            self.model_service.start()
        except Exception as exc:
            self._set_keras_state("error", f"Keras engine could not start: {exc}")
            self.kerasSettled.emit("engine-failed")
            return
        self._request_build()

    def _request_build(self) -> None:
        if self.model_service is None or not self.service_started:
            return
        spec = self.document.spec
        # The weights Keras last gave (or the opened file's) go along, so that every layer whose
        # shape an edit did not change keeps its weights instead of being drawn afresh.
        weights = self._carried_weights
        try:
            if weights:
                try:
                    self._expected_request = self.model_service.request_build(spec, weights)
                except TypeError:  # a service without weights on request_build
                    self._expected_request = self.model_service.request_build(spec)
            else:
                self._expected_request = self.model_service.request_build(spec)
        except Exception as exc:
            self._set_keras_state("error", f"Keras: {exc}")

    @Slot()
    def reset_keras_state(self) -> None:
        """Another model was put in the document: forget the previous model's Keras results."""
        self.last_result = None
        self._file_weights = None
        self._carried_weights = None

    def current_weights(self) -> dict | None:
        """The real weights of the spec on screen: trained ones, else Keras's last build (None: not yet)."""
        trained = self._trained_weights()
        if trained is not None:
            return trained
        result = self.last_result
        if result is not None and result.spec == self.document.spec:
            return result.weights
        if self._file_weights is not None and self._file_weights[0] == self.document.spec:
            return self._file_weights[1]
        return None

    def _set_keras_state(self, state: str, message: str) -> None:
        self.keras_state = state
        self.keras_message = message
        self.keras_label.setText(message)
        self.keras_label.setToolTip(message)
        style = {"ready": "ready", "error": "error"}.get(state, "busy")
        self.keras_label.setProperty("state", style)
        self.keras_label.style().unpolish(self.keras_label)
        self.keras_label.style().polish(self.keras_label)

    @Slot(str, str)
    def _on_engine_state(self, state: str, message: str) -> None:
        """The model service's engine states, in the status bar; after a failure, a way to retry."""
        self.engine_state = state
        self.restart_button.setVisible(state == "failed")
        if state == "starting":
            self._set_keras_state("loading", message or "Loading Keras…")
        elif state == "busy":
            self._set_keras_state("building", message or "Building with Keras…")
        elif state == "ready":
            version = _keras_version(message)
            if version:
                self.keras_version = version
            if self.keras_state in ("loading", "idle"):
                self._set_keras_state("ready", message or "Keras ready")
        elif state == "restarting":
            text = message or "Restarting the Keras engine…"
            if "restart" not in text.lower():
                text = f"Keras engine restarting: {text}"
            self._set_keras_state("loading", text)
            self.statusBar().showMessage(text, 10_000)
        elif state == "failed":
            text = f"Keras engine failed: {message}" if message else "Keras engine failed"
            self._set_keras_state("error", text)
            self.statusBar().showMessage("Keras is not available: Keras ▸ Restart Keras Engine tries again", 15_000)
            self._refresh_weights_view()
            self.kerasSettled.emit("engine-failed")

    @Slot()
    def rebuild(self) -> None:
        """Ask for a build of the model on screen now (a failed engine is started afresh by it)."""
        if self.model_service is None:
            self.statusBar().showMessage("No Keras engine in this session", 6000)
            return
        if not self.document.summary().ok:
            self.statusBar().showMessage(self.document.summary().issues[0].message, 8000)
            return
        if not self.service_started:
            self.start_service()
            return
        self._request_build()

    @Slot()
    def restart_engine(self) -> None:
        """End the Keras engine (and what it was doing), start a fresh one and build the model again."""
        service = self.model_service
        if service is None:
            self.statusBar().showMessage("No Keras engine in this session", 6000)
            return
        self.restart_button.hide()
        try:
            shutdown = getattr(service, "shutdown", None)
            if shutdown is not None:
                shutdown()  # quiet: nothing it was doing is answered any more
            service.start()
        except Exception as exc:
            self._set_keras_state("error", f"The Keras engine could not be restarted: {exc}")
            self.restart_button.show()
            return
        self.service_started = True
        self._set_keras_state("loading", "Restarting the Keras engine…")
        self.statusBar().showMessage("Restarting the Keras engine…", 6000)
        self.files.engine_restarted()
        if self.document.summary().ok:
            self._request_build()

    @Slot(int)
    def _on_build_started(self, _request_id: int) -> None:
        if self.keras_state != "loading":
            self._set_keras_state("building", "Building with Keras…")

    @Slot(object)
    def _on_build_finished(self, result) -> None:
        self.summary_table.on_build_finished(result)
        if result.spec != self.document.spec:
            return  # stale; the newest request is on its way
        self.last_result = result
        self.last_build_ms = result.elapsed_ms
        self._carried_weights = result.weights
        if self.canvas is not None and hasattr(self.canvas, "set_weights"):
            try:
                self.canvas.set_weights(result.weights)
            except Exception as exc:
                self.statusBar().showMessage(f"The canvas could not show the weights: {exc}", 6000)
        self._set_keras_state("ready", f"Built in {result.elapsed_ms:.0f} ms")
        self._refresh_weights_view()
        self.kerasSettled.emit(MISMATCH if self.summary_table.state == MISMATCH else CONFIRMED)

    @Slot(object)
    def _on_build_failed(self, failure) -> None:
        self.summary_table.on_build_failed(failure)
        if failure.spec != self.document.spec:
            return
        where = f" ({failure.layer_name})" if failure.layer_name else ""
        self._set_keras_state("error", f"Keras error{where}: {failure.message}")
        if self._carried_weights and self.canvas is not None and hasattr(self.canvas, "set_weights"):
            with contextlib.suppress(Exception):  # the last good weights, wherever they still fit
                self.canvas.set_weights(self._carried_weights)
        self._refresh_weights_view()
        self.kerasSettled.emit(FAILED)

    @Slot(object, object)
    def _on_file_weights(self, spec: ModelSpec, weights: dict) -> None:
        self._file_weights = (spec, weights)
        self._carried_weights = weights  # set into every layer of the document they fit
        self.statusBar().showMessage("Read the file's weights with Keras", 6000)
        self._refresh_weights_view()
        if self.document.summary().ok:
            self._request_build()

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
                self._request_build()
        else:
            message = summary.issues[0].message
            self.statusBar().showMessage(message, 8000)
            self._set_keras_state("error", f"Not sent to Keras: {message}")
        self._update_actions()
        self._refresh_weights_view()

    @Slot(int)
    def _on_selection_changed(self, index: int) -> None:
        if self.canvas is not None and hasattr(self.canvas, "select_layer"):
            with contextlib.suppress(Exception):
                self.canvas.select_layer(index)
        self._update_actions()
        self._refresh_weights_view()

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
        index = self._selected()
        if index >= 0:
            self.document.remove_layer(index)

    def duplicate_selected(self) -> None:
        index = self._selected()
        if index >= 0:
            self.document.duplicate_layer(index)

    def move_selected(self, step: int) -> None:
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
        if self.canvas is None:
            return None
        for name in ("fit_view", "fit", "fit_to_view", "fit_canvas", "zoom_to_fit"):
            method = getattr(self.canvas, name, None)
            if callable(method):
                return method
        return None

    def fit_canvas(self) -> None:
        method = self._canvas_fit_method()
        if method is not None:
            method()

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, what they do) for the Help menu's list: the window's actions, then the panels' own keys."""
        rows: list[tuple[str, str]] = []
        for action in self.keyed_actions:
            keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
            keys = [k for k in dict.fromkeys(keys) if k]
            if keys:
                text = action.text().replace("&", "").rstrip("…")
                if action in (self.undo_action, self.redo_action):
                    text = "Undo" if action is self.undo_action else "Redo"
                rows.append((" or ".join(keys[:2]), text))
        rows += [
            ("Enter or double-click", "Layers: append the layer type to the model"),
            ("Drag", "Layers → Model: insert a layer there; within Model: reorder"),
            ("F or Home, + and −", "Canvas: fit, zoom in and out (wheel zooms, drag pans)"),
            (
                QKeySequence(QKeySequence.StandardKey.Copy).toString(QKeySequence.SequenceFormat.NativeText),
                "Summary: copy the table as Keras prints it",
            ),
        ]
        return rows

    def show_shortcuts(self) -> None:
        """A small window listing the keyboard shortcuts (not modal: it may stay open while editing)."""
        rows = "".join(
            f"<tr><td style='padding-right:16px'><b>{html.escape(keys)}</b></td><td>{html.escape(text)}</td></tr>"
            for keys, text in self.shortcut_rows()
        )
        box = getattr(self, "_shortcuts_box", None)
        if box is None:
            box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard Shortcuts", "", QMessageBox.StandardButton.Close, self)
            box.setObjectName("shortcutsBox")
            box.setModal(False)
            self._shortcuts_box = box
        box.setText(f"<table cellspacing='0' cellpadding='3'>{rows}</table>")
        box.show()
        box.raise_()

    def about_text(self) -> str:
        from nnstudio import __version__

        # The Keras version as the engine reported it: the window itself never imports Keras.
        keras = (
            f"<p>Keras {html.escape(self.keras_version)}, in its own process, so the window never waits for it.</p>"
            if self.keras_version
            else "<p>Keras runs in its own process, so the window never waits for it.</p>"
        )
        return (
            f"<h3>nnstudio {__version__}</h3>"
            "<p>Build Keras neural networks by hand and eye: drag layers in, read the shapes and "
            "parameter counts at once, see the real weights, export a <code>.keras</code> file or a "
            f"Python script.</p>{keras}"
        )

    def show_about(self) -> None:
        QMessageBox.about(self, "About nnstudio", self.about_text())

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = self.files.recent_files()
        for i, path in enumerate(files):
            action = menu.addAction(f"&{i + 1} {Path(path).name}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.files.open(p))
        if files:
            menu.addSeparator()
            menu.addAction("Clear Recent Files", self.files.clear_recent)
        menu.setEnabled(bool(files))

    # -- crash recovery ------------------------------------------------------------------------------------------

    def offer_recovery(self) -> bool:
        """Ask Restore / Discard for autosaves of crashed sessions; True when one was restored."""
        if self.autosave is None:
            return False
        from nnstudio.services.autosave import describe

        for recovered in self.autosave.orphans():
            restore = ask_restore(
                self, f"nnstudio did not close properly last time. Restore the {describe(recovered)}?"
            )
            self.autosave.forget(recovered)
            if restore:
                self.restore(recovered)
                self.autosave.save_now()  # in this session's autosave before the old one goes
                recovered.discard()
                return True
            recovered.discard()
        return False

    def restore(self, recovered) -> None:
        """Show an autosaved model: its file's saved state, then the unsaved changes as one undoable step."""
        original = recovered.original_path
        base: ModelSpec | None = None
        if original is not None and original.suffix == ".nnstudio" and original.exists():
            try:
                base, editor = load_project(original)
            except ProjectError:
                base = None
        self.reset_keras_state()
        if base is None:
            self.document.load(ModelSpec(name=recovered.spec.name), original, recovered.editor)
        else:
            self.document.load(base, original, editor)
        self.document.replace_spec(recovered.spec, "Restore autosaved changes")
        self.statusBar().showMessage("Restored the autosaved changes", 8000)

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
        if not self.files.confirm_discard("closing"):
            event.ignore()
            return
        self.save_layout()
        if self.autosave is not None:
            self.autosave.close()
        event.accept()
