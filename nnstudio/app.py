"""`nnstudio [FILE] [--screenshot PNG [--size WxH]]`: the application.

The window is shown first and fast: this process never imports Keras or TensorFlow. The one engine
process (the engine session's) is started before the window is built and imports Keras while the
window appears; builds and training both run in it. With `--screenshot`,
the window is rendered once the first Keras build has arrived (or failed, or after 60 s), saved
as a PNG, and the application exits.

With the environment variable NNSTUDIO_STARTUP_TIMING=1 the application prints one JSON line
per milestone to stdout — `{"event": "window_shown", "t": <epoch seconds>}` and
`{"event": "keras_ready", "t": ...}` — and quits once Keras has confirmed the summary
(tests/bench/startup.py uses it).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication

APP_NAME = "nnstudio"
ORG_NAME = "nnstudio"
ORG_DOMAIN = "nnstudio.org"
SCREENSHOT_SIZE = (1400, 900)
SCREENSHOT_TIMEOUT_MS = 60_000
CANVAS_SETTLE_S = 15.0  # how long a screenshot waits for the canvas to finish drawing the weights
TIMING_ENV = "NNSTUDIO_STARTUP_TIMING"
GUI_SWITCH_INTERVAL_S = 0.0002  # Python's default is 0.005; see make_application


def _emit(event: str, **extra) -> None:
    print(json.dumps({"event": event, "t": time.time(), **extra}), flush=True)


def freeze_startup_objects() -> None:
    """Keep the objects of start-up (Qt's, pyqtgraph's and numpy's modules and the window: about
    80,000) out of every later garbage collection, once the window stands. A full collection then
    walks only what was made since, a big model's spec and drawing, instead of pausing the GUI
    thread for ~80 ms more each time (`gc.freeze`)."""
    gc.freeze()


def import_opening_modules() -> None:
    """Import what opening a `.keras` file needs (h5py) in the background, once the window stands:
    its C extensions hold the interpreter 20-25 ms each, which the first open waited for."""
    from nnstudio.services.file_reader import import_in_background
    from nnstudio.ui.file_actions import OPENING_MODULES

    import_in_background(OPENING_MODULES)


def freeze_opened_models(window: Any) -> None:
    """Keep each model the window opens out of later garbage collections (`gc.freeze` again once the
    open has ended, its views having taken the model): a big model's spec, summary and drawing
    (EfficientNetV2L: some 40,000 objects) made every full collection walk them, 17–28 ms of the GUI
    thread each time, at moments no one chose. A model replaced later is freed by reference counting,
    as before: its objects hold no cycles a collection would be needed for."""

    def on_open_finished(_path: str, error: str) -> None:
        if not error:
            gc.freeze()

    window.files.openFinished.connect(on_open_finished)


def make_application() -> QApplication:
    """The QApplication with the names QSettings and the data folder use, and the style; the
    interpreter hands itself to the GUI thread sooner (`GUI_SWITCH_INTERVAL_S`)."""
    # A background thread running Python (a graph's layout, a file's reading) keeps the interpreter
    # for up to the switch interval each time the GUI thread asks for it back (after every Qt call
    # that let it go): at Python's 5 ms, a window step of 20 ms took 40 to 60 while one ran; at 1 ms,
    # the veiled graph's repaint while EfficientNetV2L's Expand All was laid out took up to 95 ms.
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName(ORG_NAME)
    QCoreApplication.setOrganizationDomain(ORG_DOMAIN)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0] if sys.argv else APP_NAME])
    app.setApplicationDisplayName("")
    QApplication.setDesktopFileName(APP_NAME)
    from nnstudio.ui.style import apply_style

    apply_style(app)
    return app


def _quit_on_signals(app: QApplication) -> dict:
    """SIGINT (Ctrl+C) and SIGTERM (logout, kill) end the event loop instead of killing the process.

    Nothing is asked and nothing is saved over the person's file; the autosave keeps unsaved work.
    Qt's loop does not run Python's signal handlers by itself, so a light timer lets them run.
    """
    interrupted = {"yes": False}

    def handler(_signum, _frame) -> None:
        interrupted["yes"] = True
        app.quit()
        QTimer.singleShot(0, app.quit)  # for a signal that came before the event loop started

    for name in ("SIGINT", "SIGTERM"):
        sig = getattr(signal, name, None)
        if sig is not None:
            with contextlib.suppress(ValueError, OSError):  # not the main thread: leave it
                signal.signal(sig, handler)
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(250)
    return interrupted


def _report_uncaught_exceptions(window) -> None:
    """An exception that escapes a slot is a bug: show it and go on, never end the application."""
    previous = sys.excepthook

    def hook(kind, value, tb) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)
            return
        import traceback

        traceback.print_exception(kind, value, tb, file=sys.stderr)
        with contextlib.suppress(Exception):
            window.statusBar().showMessage(f"Internal error (the window goes on): {kind.__name__}: {value}", 10_000)

    sys.excepthook = hook


def run_app(
    file: str | None = None,
    screenshot: str | None = None,
    engine: tuple[Any, Any, str] | None = None,
    size: tuple[int, int] | None = None,
    expand: list[str] | None = None,
) -> int:
    """Open the window on FILE (or the lesson's model); with `screenshot`, render it to a PNG of
    `size` (width, height; default SCREENSHOT_SIZE) and exit. The window shows the lesson while FILE
    is read in the background (File ▸ Open's way); a screenshot reads FILE first. `expand`: names of groups of repeated
    blocks to show expanded (the last one in view).

    `engine`: the engine process the command line spawned first thing (`nnstudio.engine.boot.spawn`:
    process, pipe end, prefix); without one it is spawned here, before the window is built."""
    timing = os.environ.get(TIMING_ENV) == "1"
    headless = bool(screenshot) or timing
    # The one engine process starts first and imports Keras while this process builds the window.
    if engine is None:
        from nnstudio.engine.boot import new_prefix, spawn

        prefix = new_prefix()
        engine = (*spawn(prefix, preload_keras=True), prefix)
    app = make_application()
    interrupted = _quit_on_signals(app)
    from nnstudio.services.engine_session import EngineSession
    from nnstudio.services.model_service import ModelService
    from nnstudio.services.training_service import TrainingService

    session = EngineSession()
    session.start(engine)
    model_service = ModelService(session)
    training = TrainingService(session)

    from nnstudio.core.spec import lesson_spec
    from nnstudio.services.background_settings import BackgroundSettings, stop_writing
    from nnstudio.services.document import Document
    from nnstudio.ui.file_actions import FileError, read_model_file
    from nnstudio.ui.main_window import MainWindow
    from nnstudio.ui.resting_collector import RestingCollector

    path = Path(file) if file else None
    opening: Path | None = None  # the window's file, read once it is shown (off the GUI thread)
    if path is not None and not headless:
        opening, path = path, None
    if path is not None:  # a screenshot or timing run reads it at once: a refused file ends the command
        try:
            spec, editor = read_model_file(path)
        except FileError as exc:
            from nnstudio.cli import CommandError

            session.shutdown()
            raise CommandError(str(exc), str(path)) from None
    else:
        spec, editor = lesson_spec(), {}
    document = Document(spec, path, editor)
    if len(spec.layers) > 1:
        document.select_layer(1)  # the first layer after the Input: the property editor has something to show

    autosave = None
    if not headless:
        try:
            from nnstudio.services.autosave import Autosave

            autosave = Autosave(document)
        except OSError:  # no writable data folder: run without autosave
            autosave = None

    if headless:  # a screenshot or a timing run neither reads nor changes the person's settings
        scratch = tempfile.TemporaryDirectory(prefix="nnstudio-headless-")
        settings = BackgroundSettings(str(Path(scratch.name) / "settings.ini"), QSettings.Format.IniFormat)
    else:
        scratch = None
        settings = BackgroundSettings()
    # The canvas (pyqtgraph) and the model service (numpy, multiprocessing) come right after the
    # window is shown: the window itself needs neither to appear.
    window = MainWindow(document, model_service, training, settings=settings, autosave=autosave, defer_canvas=True)
    unknown = window.graph_view.unknown_groups(expand or [])
    if unknown:
        from nnstudio.cli import CommandError

        session.shutdown()
        raise CommandError(unknown, str(path or ""))
    shot_size = size or SCREENSHOT_SIZE
    if headless:
        window.resize(*shot_size)
    _report_uncaught_exceptions(window)
    window.show()
    window.layer_stack.setFocus()  # the model being edited has the keyboard first

    result = {"code": 0}

    def after_show() -> None:
        if timing:
            _emit("window_shown")
        window.start_service()  # the first build, for the engine that is loading Keras
        if opening is not None:
            window.files.open_in_background(opening)  # a refused file: its message, and the lesson stays
        elif path is not None and path.suffix.lower() == ".keras":
            window.files.load_keras_weights(path)
        QTimer.singleShot(0, after_canvas)

    def after_canvas() -> None:
        window.load_canvas()
        for name in expand or []:
            window.graph_view.show_group(name)
        if not headless:
            window.offer_recovery()
        QTimer.singleShot(0, freeze_startup_objects)
        freeze_opened_models(window)
        RestingCollector(window.views_current, window)
        import_opening_modules()

    QTimer.singleShot(0, after_show)

    if headless:
        done = {"yes": False}

        def finish(state: str = "timeout") -> None:
            if done["yes"]:
                return
            done["yes"] = True
            if timing:
                _emit("keras_ready", state=state, message=window.keras_status.message)
            if screenshot:
                window.resize(*shot_size)
                app.processEvents()
                save_when_drawn(time.monotonic() + CANVAS_SETTLE_S)
            else:
                quit_headless()

        def save_when_drawn(deadline: float) -> None:
            """Grab once the canvas has drawn the weights (big models and many lines take a moment), the
            graph view its layout (a big one is made in the background) and every view the model."""
            canvas = window.canvas
            busy = (
                (canvas is not None and canvas.busy()) or window.graph_view.laying_out() or not window.views_current()
            )
            if busy and time.monotonic() < deadline:
                QTimer.singleShot(20, lambda: save_when_drawn(deadline))
                return
            if not window.grab().save(str(screenshot)):
                print(f"nnstudio: error: cannot write {screenshot}", file=sys.stderr)
                result["code"] = 1
            quit_headless()

        def quit_headless() -> None:
            window.document.undo_stack.setClean()  # nothing to ask about when quitting
            app.quit()

        window.kerasSettled.connect(lambda state: QTimer.singleShot(0, lambda: finish(state)))
        QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, lambda: finish("timeout"))

    try:
        app.exec()
    finally:
        window.files.close()  # an open still reading (quit by a signal) is dropped
        if window.canvas is not None:
            window.canvas.shutdown()  # its background workers end now, not when they stop waiting
        session.shutdown()
        if interrupted["yes"] and not headless:
            window.save_layout()
        if autosave is not None:
            autosave.close(keep=interrupted["yes"])  # interrupted with unsaved changes: restore next time
        window.deleteLater()
        stop_writing()  # the settings' last changes are on disk
        if scratch is not None:
            scratch.cleanup()
    return result["code"]
