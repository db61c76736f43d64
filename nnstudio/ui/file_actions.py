"""File ▸ New / Open / Save / Save As / Export: the logic behind the menu, with its dialogs.

- Saves are atomic (QSaveFile): the file on disk is always the old or the new complete version.
- `.keras` files are opened through the core's safe reader (no Keras in this process); the real
  weights are then read (h5py, in the engine process: ModelService.load_keras).
- Open, Open Recent, a dropped file and the file named on the command line are read off the GUI
  thread (services.file_reader): the status bar says "Opening NAME…", the window stays responsive
  and the current document stays editable until the read ends; then the opened model replaces it
  (asking again about unsaved changes made meanwhile). Another open while one reads supersedes it;
  New and closing the window drop it. `openFinished` tells how each open ended. `open_path` is the
  same open done at once, for callers that cannot wait (tests, scripts).
- A file that cannot be opened gives a message box with the one-line reason and the current
  document stays as it was.
- Export `.keras` runs in the engine (ModelService.export_keras) with a progress indication;
  Export Python code writes core.codegen.python_script.
- Recent files live in QSettings.
- After New or Open the first layer after the Inputs is selected, so that Properties and Weights
  show something at once.

Dialogs are the static QFileDialog / QMessageBox functions, so tests can monkeypatch them; every
action also takes an explicit path, which skips the file dialog.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSaveFile, QSettings, Signal, SignalInstance, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from nnstudio.core.error_text import cause_line
from nnstudio.core.graph_blocks import repeated_blocks
from nnstudio.core.keras_archive import load_model_file
from nnstudio.core.project import ProjectError, dumps_project, load_project
from nnstudio.core.spec import ModelSpec, lesson_spec
from nnstudio.core.summary import Summary, analyze
from nnstudio.core.validation import param_budget
from nnstudio.core.weights import Weights
from nnstudio.services.document import Document
from nnstudio.services.file_reader import FileReader, ReadResult
from nnstudio.ui.layer_stack import describe
from nnstudio.ui.parts import Builds, Canvas
from nnstudio.ui.turns import Turns

PROJECT_SUFFIX = ".nnstudio"
KERAS_SUFFIX = ".keras"
OPEN_FILTER = "Models (*.nnstudio *.keras);;nnstudio projects (*.nnstudio);;Keras models (*.keras);;All files (*)"
PROJECT_FILTER = "nnstudio project (*.nnstudio)"
KERAS_FILTER = "Keras model (*.keras)"
PYTHON_FILTER = "Python script (*.py)"
DRAWING_FILTER = "PNG image (*.png);;SVG drawing (*.svg)"
MAX_RECENT = 8
RECENT_KEY = "files/recent"
LAST_DIR_KEY = "files/lastDir"


class FileError(Exception):
    """A file that could not be read or written; str() is the one-line reason."""


def one_line(exc: BaseException) -> str:
    """An exception as one line a person can read."""
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` with QSaveFile (temp file + rename); FileError says why it failed."""
    handle = QSaveFile(str(path))
    if not handle.open(QSaveFile.OpenModeFlag.WriteOnly):
        raise FileError(f"cannot write {path}: {handle.errorString()}")
    written = handle.write(data)
    if written != len(data):
        handle.cancelWriting()
        handle.commit()
        raise FileError(f"cannot write {path}: {handle.errorString()}")
    if not handle.commit():
        raise FileError(f"cannot write {path}: {handle.errorString()}")


def first_layer_to_show(spec: ModelSpec) -> int:
    """The layer to select when a model is opened: the first that is not an Input (the summary's first
    row, whose settings and weights say most), else the first; -1 for a model without layers."""
    for index, layer in enumerate(spec.layers):
        if layer.class_name != "Input":
            return index
    return 0 if spec.layers else -1


# What `read_for_opening` imports on first use, beyond what the window has: imported in the
# background once the window stands (`services.file_reader.import_in_background`)
OPENING_MODULES = (
    "h5py",
    "nnstudio.core.weights_check",
    "nnstudio.core.graph_shapes",
    "nnstudio.core.keras_functional",
)


def read_for_opening(path: Path, budget: int) -> tuple[ModelSpec, dict, Summary, int]:
    """`read_model_file` and the analysis of its spec under `budget`, with `budget`: done in the
    reading thread, with what the views read first (the summary's cell texts, the graph's repeated
    blocks, the layers' descriptions), so that for a big model the GUI thread's steps are short."""
    spec, editor = read_model_file(path)
    summary = analyze(spec, budget)
    for row in summary.rows:
        _texts = row.shape_text, row.connected_text  # cached on the row
    repeated_blocks(spec)  # kept for the newest spec
    for layer in spec.layers:
        describe(layer)  # kept per layer
    return spec, editor, summary, budget


def read_model_file(path: str | Path) -> tuple[ModelSpec, dict]:
    """The spec (and editor section) in a `.nnstudio` or `.keras` file, read without Keras.

    Raises FileError with the one-line reason for anything that is not a sound model file.
    """
    path = Path(path)
    try:
        if path.suffix.lower() == KERAS_SUFFIX:
            # the safe, Keras-free reader; the weights' bytes are summed (CRC-32) where they are read:
            # the engine's load of them, right after the open, refuses a damaged file's weights
            # (a big model's hundreds of MB took most of its open's time here)
            return load_model_file(path, check_crc=False), {}
        return load_project(path)
    except ProjectError as exc:
        raise FileError(one_line(exc)) from None
    except (ValueError, OSError) as exc:  # ArchiveError is a ValueError
        raise FileError(one_line(exc)) from None
    except Exception as exc:  # never let a hostile file end the application
        raise FileError(f"{type(exc).__name__}: {one_line(exc)}") from None


class FileActions(QObject):
    """The File menu's actions for one window and its document."""

    recentFilesChanged = Signal(list)
    exportStarted = Signal(str)  # path
    exportDone = Signal(str, str)  # path, "" on success or the error message
    status = Signal(str)  # a short message for the status bar
    kerasWeightsRequested = Signal()  # the engine was asked for the opened .keras file's weights
    kerasWeightsLoaded = Signal(object, object)  # spec, weights read from an opened .keras
    kerasWeightsMissing = Signal()  # they could not be read (the model keeps fresh weights)
    documentReplaced = Signal()  # New or Open put another model in the document
    openStarted = Signal(str)  # path: its read began (the status bar says so until the open ends)
    openFinished = Signal(str, str)  # path, "" when the document now holds it, else why not

    def __init__(
        self,
        parent: QWidget,
        document: Document,
        model_service: Builds,
        settings: QSettings | None = None,
        views_updated: SignalInstance | None = None,
        turns: Turns | None = None,
    ) -> None:
        """`views_updated`: the window's signal that its views have taken the document's model; an open
        read in the background waits for it before its last step (else a turn of the event loop);
        `turns`: the window's views' steps, among which the open's last steps take theirs."""
        super().__init__(parent)
        self._window = parent
        self.document = document
        self.settings = settings if settings is not None else QSettings()
        self.weights_provider: Callable[[], Weights | None] = lambda: None  # weights of the current spec
        # what the window makes ready, a part per turn, for the layer an open is about to select: True
        # once it is ready
        self.prepare_selection: Callable[[int], bool] = lambda _index: True
        self.last_error: str | None = None
        self._exporting: str | None = None
        # every weights request not answered yet, oldest first: the engine answers them in order, and
        # only the newest one's answer is the opened file's
        self._keras_requests: deque[str] = deque()
        self._export_waiting: Path | None = None  # an export asked for while the file's weights are read
        self._opening_over: ModelSpec | None = None  # the document's spec when the running open started
        self.reader = FileReader(self)
        self.reader.done.connect(self._on_read)
        # An open read in the background ends in two steps: the document takes the model (and the views
        # with it, in their own turns), then the first layer is selected (its settings' form built).
        self._finishing: tuple[Path, ModelSpec] | None = None
        self._selection_prepared = False  # the open finishing has had its first layer's form made
        self._turns = turns if turns is not None else Turns(self)  # the views are painted in between
        self._views_updated = views_updated
        if views_updated is not None:
            views_updated.connect(self._finish_pending_open)
        self.model_service = model_service
        model_service.exportFinished.connect(self._on_export_finished)
        model_service.exportFailed.connect(self._on_export_failed)
        model_service.keras_loaded.connect(self._on_keras_loaded)
        model_service.loadFailed.connect(self._on_load_failed)

    def engine_restarted(self) -> None:
        """The Keras engine was restarted by hand (its work dropped without a word): a running export
        is reported cancelled, and the opened `.keras` file's weights are asked for again."""
        if self._exporting is not None:
            path, self._exporting = self._exporting, None
            self._export_waiting = None
            self.exportDone.emit(path, "cancelled: the Keras engine was restarted")
            self.status.emit(f"Export of {Path(path).name} cancelled: the Keras engine was restarted")
        loading = self.loading_keras
        self._keras_requests.clear()  # the restart dropped them without an answer
        if loading is not None:
            self.load_keras_weights(loading)

    # -- helpers ---------------------------------------------------------------------------------

    def _warn(self, title: str, text: str) -> None:
        self.last_error = text
        QMessageBox.warning(self._window, title, text)

    def _start_dir(self) -> str:
        if self.document.path is not None:
            return str(Path(self.document.path).parent)
        return str(self.settings.value(LAST_DIR_KEY, str(Path.home())))

    def _remember_dir(self, path: Path) -> None:
        self.settings.setValue(LAST_DIR_KEY, str(path.parent))

    def _suggested_path(self, suffix: str) -> str:
        path = self.document.path
        name = (Path(path).stem if path else self.document.spec.name or "model") + suffix
        return str(Path(self._start_dir()) / name)

    def _target(self, path: str | Path | None, title: str, suffixes: tuple[str, ...], filters: str) -> Path | None:
        """`path`, or the one chosen in a save dialog (None: cancelled), ending in one of `suffixes`."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self._window, title, self._suggested_path(suffixes[0]), filters)
            if not path:
                return None
        path = Path(path)
        if path.suffix.lower() not in suffixes:
            path = path.with_name(path.name + suffixes[0])
        return path

    # -- unsaved changes ---------------------------------------------------------------------------

    def confirm_discard(self, doing: str = "continuing") -> bool:
        """Save / Discard / Cancel when the document has unsaved changes; True when it is fine to go on."""
        if not self.document.is_modified():
            return True
        name = self.display_name()
        answer = QMessageBox.question(
            self._window,
            "Unsaved changes",
            f"Save the changes to {name} before {doing}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def display_name(self) -> str:
        path = self.document.path
        return Path(path).name if path else "Untitled"

    # -- New / Open ----------------------------------------------------------------------------------

    def new(self, spec: ModelSpec | None = None) -> bool:
        """Start a new model (the lesson's by default) after Save/Discard/Cancel; drops a running open."""
        if not self.confirm_discard("starting a new model"):
            return False
        self.cancel_open()
        self.document.load(spec if spec is not None else lesson_spec(), None, {})
        self.document.select_layer(first_layer_to_show(self.document.spec))
        self._drop_waiting_export("another model was opened")
        self.documentReplaced.emit()
        self.status.emit("New model")
        return True

    def open(self, path: str | Path | None = None) -> bool:
        """Open a `.nnstudio` or `.keras` file (asks for one when `path` is None), read in the
        background; True when the read was started (`openFinished` says how it ended)."""
        if not self.confirm_discard("opening another file"):
            return False
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self._window, "Open model", self._start_dir(), OPEN_FILTER)
            if not chosen:
                return False
            path = chosen
        self.open_in_background(path)
        return True

    def open_in_background(self, path: str | Path) -> None:
        """Read `path` off the GUI thread, without asking about unsaved changes, then open it; the
        document stays as it is (and editable) meanwhile. Supersedes an open still reading."""
        path = Path(path)
        self._opening_over = self.document.spec
        self.reader.read(path, functools.partial(read_for_opening, budget=param_budget()))
        self.openStarted.emit(str(path))

    def opening(self) -> Path | None:
        """The file being read for opening, or None."""
        return self.reader.reading

    def cancel_open(self) -> None:
        """Drop the open that is reading (its file is not opened); nothing when none is."""
        path = self.reader.reading
        self.reader.cancel()
        self._finishing = None
        self._turns.drop(self._finish_pending_open)
        self._opening_over = None
        if path is not None:
            self.status.emit(f"Did not open {path.name}")

    def close(self) -> None:
        """The window is closing: a running open is dropped and no other starts."""
        self.reader.close()
        self._opening_over = None
        self._finishing = None
        self._turns.drop(self._finish_pending_open)

    @Slot(object)
    def _on_read(self, result: ReadResult) -> None:
        path, over, self._opening_over = result.path, self._opening_over, None
        if result.error is not None:
            error = result.error
            self._refuse_open(path, str(error) if isinstance(error, FileError) else one_line(error))
            return
        if over is not None and self.document.spec is not over and not self.confirm_discard(f"opening {path.name}"):
            self.status.emit(f"Did not open {path.name}")
            self.openFinished.emit(str(path), "cancelled: the changes made meanwhile were kept")
            return
        spec, editor, summary, budget = result.value
        self.document.load(spec, path, editor, summary if budget == param_budget() else None)
        self._finishing = (path, spec)
        self._selection_prepared = False
        if self._views_updated is None:
            self._turns.ask(self._finish_pending_open)

    @Slot()
    def _finish_pending_open(self) -> None:
        """The open's last steps, once the views have the model: the form of the layer it selects is
        made a few rows per turn, then the layer is selected and the rest follows."""
        finishing = self._finishing
        if finishing is None or self.document.path != finishing[0]:
            self._finishing = None
            return
        if not self._selection_prepared:
            spec = finishing[1]
            self._selection_prepared = self.document.spec is not spec or self.prepare_selection(
                first_layer_to_show(spec)
            )
            self._turns.ask(self._finish_pending_open)
            return
        self._finishing = None
        self._finish_open(*finishing)

    def open_path(self, path: str | Path) -> bool:
        """Open `path` at once, on this thread, without asking about unsaved changes; a broken file
        leaves the document as it was. Drops an open still reading in the background."""
        path = Path(path)
        self.cancel_open()
        try:
            spec, editor = read_model_file(path)
        except FileError as exc:
            self._refuse_open(path, str(exc))
            return False
        self._show_opened(path, spec, editor)
        return True

    def _refuse_open(self, path: Path, reason: str) -> None:
        self._warn("Cannot open file", f"{path.name} was not opened: {reason}")
        self.forget_recent(path)
        self.status.emit(f"{path.name} was not opened")
        self.openFinished.emit(str(path), reason)

    def _show_opened(self, path: Path, spec: ModelSpec, editor: dict) -> None:
        self.document.load(spec, path, editor)
        self._finish_open(path, spec)

    def _finish_open(self, path: Path, spec: ModelSpec) -> None:
        """What follows the document taking an opened file's model: its first layer selected (unless an
        edit came first), the file remembered, Keras asked for its weights, `openFinished`."""
        if self.document.spec is spec:
            self.document.select_layer(first_layer_to_show(spec))
        self._drop_waiting_export("another model was opened")
        self.documentReplaced.emit()
        self.last_error = None
        self._remember_dir(path)
        self.add_recent(path)
        self.status.emit(f"Opened {path.name}")
        if path.suffix.lower() == KERAS_SUFFIX:
            self.load_keras_weights(path)
        self.openFinished.emit(str(path), "")

    def load_keras_weights(self, path: str | Path) -> None:
        """Ask the engine to read the real weights of the opened `.keras` file (Keras, safe mode)."""
        path = Path(path)
        self._keras_requests.append(str(path))
        self.model_service.load_keras(str(path), self.document.spec)
        self.kerasWeightsRequested.emit()
        self.status.emit(f"Opened {path.name}; reading its weights…")

    @Slot(object)
    def _on_keras_loaded(self, loaded: tuple[ModelSpec, Weights]) -> None:
        loading = self._take_answer()
        if loading is None:
            return  # the answer for a file opened before the current one: its weights are not the model's
        spec, weights = loaded
        path = self.document.path
        if path is None or Path(loading) != Path(path):
            self._drop_waiting_export("another model was opened")
            return  # another model was opened meanwhile
        self.kerasWeightsLoaded.emit(spec, weights)
        waiting, self._export_waiting = self._export_waiting, None
        if waiting is not None:
            self._start_export(waiting)

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        loading = self._take_answer()
        if loading is None:
            return
        name = Path(loading).name
        self.kerasWeightsMissing.emit()
        self.status.emit(f"Keras could not read the weights of {name}: {message}; showing fresh weights")
        self._drop_waiting_export(f"Keras could not read the weights of {name}", warn=True)

    @property
    def loading_keras(self) -> str | None:
        """The opened `.keras` file whose weights are awaited (the newest asked for), or None."""
        return self._keras_requests[-1] if self._keras_requests else None

    def _take_answer(self) -> str | None:
        """Take the oldest weights request off the queue as answered: its file when it was the
        newest request (the answer is the opened file's), else None."""
        if not self._keras_requests:
            return None
        answered = self._keras_requests.popleft()
        return None if self._keras_requests else answered

    def _drop_waiting_export(self, why: str, warn: bool = False) -> None:
        """The export waiting for the file's weights is not made (it would have written fresh ones)."""
        waiting, self._export_waiting = self._export_waiting, None
        if waiting is None:
            return
        self._exporting = None
        self.exportDone.emit(str(waiting), f"not exported: {why}")
        self.status.emit(f"{waiting.name} was not exported: {why}")
        if warn:
            self._warn("Export failed", f"{waiting.name} was not exported: {why}.")

    # -- Save ------------------------------------------------------------------------------------------

    def save(self) -> bool:
        """Save to the current `.nnstudio` path, or ask for one."""
        path = self.document.path
        if path is None or Path(path).suffix.lower() != PROJECT_SUFFIX:
            return self.save_as()
        return self.write_project(path)

    def save_as(self, path: str | Path | None = None) -> bool:
        path = self._target(path, "Save model as", (PROJECT_SUFFIX,), PROJECT_FILTER)
        return path is not None and self.write_project(path)

    def write_project(self, path: str | Path) -> bool:
        path = Path(path)
        try:
            write_atomic(path, dumps_project(self.document.spec, self.document.editor).encode("utf-8"))
        except (FileError, ValueError) as exc:
            self._warn("Cannot save", one_line(exc))
            return False
        self.document.mark_saved(path)
        self._remember_dir(path)
        self.add_recent(path)
        self.status.emit(f"Saved {path.name}")
        return True

    # -- Export ------------------------------------------------------------------------------------------

    def export_keras(self, path: str | Path | None = None) -> bool:
        """Build the model in the engine and write a `.keras` file; True when the export was started."""
        summary = self.document.summary()
        if not summary.ok:
            self._warn("Cannot export", f"fix the model first: {summary.issues[0].message}")
            return False
        if self._exporting is not None:
            self.status.emit(f"Already exporting {Path(self._exporting).name}")
            return False
        path = self._target(path, "Export Keras model", (KERAS_SUFFIX,), KERAS_FILTER)
        if path is None:
            return False
        self._exporting = str(path)
        self._remember_dir(path)
        self.exportStarted.emit(str(path))
        if self.loading_keras is not None:  # the model's weights are still on their way from its file
            self._export_waiting = path
            self.status.emit(
                f"Exporting {path.name} once Keras has read the weights of {Path(self.loading_keras).name}…"
            )
            return True
        self._start_export(path)
        return True

    def _start_export(self, path: Path) -> None:
        self.status.emit(f"Exporting {path.name} with Keras…")
        self.model_service.export_keras(self.document.spec, str(path), self.weights_provider())

    def is_exporting(self) -> bool:
        return self._exporting is not None

    @Slot(str)
    def _on_export_finished(self, path: str) -> None:
        self._exporting = None
        self.status.emit(f"Exported {Path(path).name}")
        self.exportDone.emit(path, "")

    @Slot(str)
    def _on_export_failed(self, message: str) -> None:
        path = self._exporting or ""
        self._exporting = None
        self.exportDone.emit(path, message)
        self._warn("Export failed", f"{Path(path).name or 'The model'} was not exported: {cause_line(message)}")

    def export_python(self, path: str | Path | None = None) -> bool:
        """Write a standalone Keras script that rebuilds and compiles the model."""
        path = self._target(path, "Export Python code", (".py",), PYTHON_FILTER)
        if path is None:
            return False
        try:
            from nnstudio.core.codegen import python_script

            script = python_script(self.document.spec)
            write_atomic(path, script.encode("utf-8"))
        except Exception as exc:
            self._warn("Cannot export code", one_line(exc))
            return False
        self._remember_dir(path)
        self.status.emit(f"Wrote {path.name}")
        return True

    def export_drawing(self, canvas: Canvas, path: str | Path | None = None) -> bool:
        """Save the network drawing as PNG (twice the screen resolution) or SVG, by the file's suffix."""
        path = self._target(path, "Export drawing", (".png", ".svg"), DRAWING_FILTER)
        if path is None:
            return False
        try:
            if path.suffix.lower() == ".svg":
                canvas.export_svg(str(path))
            else:
                canvas.export_png(str(path), scale=2)
        except Exception as exc:
            self._warn("Cannot export the drawing", one_line(exc))
            return False
        self._remember_dir(path)
        self.status.emit(f"Wrote {path.name}")
        return True

    # -- recent files ------------------------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        value = self.settings.value(RECENT_KEY, [])
        if isinstance(value, str):
            return [value] if value else []
        return [str(v) for v in value] if isinstance(value, list) else []

    def _set_recent(self, files: list[str]) -> None:
        self.settings.setValue(RECENT_KEY, files[:MAX_RECENT])
        self.recentFilesChanged.emit(files[:MAX_RECENT])

    def add_recent(self, path: str | Path) -> None:
        path = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != path]
        self._set_recent([path, *files])

    def forget_recent(self, path: str | Path) -> None:
        path = str(Path(path).resolve())
        files = self.recent_files()
        if path in files:
            self._set_recent([f for f in files if f != path])

    def clear_recent(self) -> None:
        self._set_recent([])
