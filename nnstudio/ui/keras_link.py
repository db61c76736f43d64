"""The window's link to Keras: the model service's builds and engine states, the training service's
weights, and which real weights the canvas and the Weights dock show.

The window owns one KerasLink. It asks the model service for a build of the spec on screen (newest
wins, carrying the last good weights so that unchanged layers keep theirs), shows the engine's state
in the status bar, confirms the summary table with Keras's answer and feeds the canvas and the
Weights dock the weights: trained ones first, then Keras's last build, then an opened file's.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Slot

from nnstudio.core.spec import ModelSpec
from nnstudio.ui.optional import optional
from nnstudio.ui.summary_table import CONFIRMED, FAILED, MISMATCH

if TYPE_CHECKING:
    from nnstudio.ui.main_window import MainWindow


def parse_keras_version(message: str) -> str:
    """The version in the engine's "Keras 3.15.1 ready (TensorFlow 2.21.0)", or ""."""
    match = re.match(r"Keras (\d[\w.+-]*) ready", message or "")
    return match.group(1) if match else ""


def parse_backend(message: str) -> str:
    """The backend and its version in "Keras 3.15.1 ready (TensorFlow 2.21.0)", or ""."""
    match = re.match(r"Keras \S+ ready \((\w[\w ]* \d[\w.+-]*)\)", message or "")
    return match.group(1) if match else ""


class KerasLink(QObject):
    """Drives one ModelService (and, once attached, one TrainingService) for `window`, and routes
    their weights to its canvas and Weights dock; the window's `kerasSettled` says when Keras answered."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.model_service: Any = None
        self.service_started = False
        self.training_service: Any = None
        self.training_panel: Any = None
        self.last_result: Any = None  # the newest BuildResult for the spec on screen (or an earlier good one)
        self.last_build_ms: float | None = None
        self.keras_state = "idle"  # idle, loading, building, ready, error
        self.keras_message = ""
        self.engine_state = ""
        self.backend = ""  # "TensorFlow 2.21.0", from the same message
        self.keras_version = ""  # as the engine reported it ("Keras 3.15.1 ready"); the GUI never imports Keras
        self._file_weights: tuple[ModelSpec, dict] | None = None
        self._carried_weights: dict | None = None
        self._panel_has_service = False
        self._pending_snapshot: Any = None

    def _status(self, text: str, timeout: int) -> None:
        self.window.statusBar().showMessage(text, timeout)

    # -- the model service ------------------------------------------------------------------------------

    def attach_service(self, model_service: Any) -> None:
        """Drive `model_service` (it may come after the window is shown: its import costs numpy)."""
        if self.model_service is not None:
            return
        if model_service is None:
            self.set_state("error", "Keras engine unavailable")
            return
        self.model_service = model_service
        self.window.files.attach_service(model_service)
        panel = self.training_panel
        if panel is not None and not self._panel_has_service and hasattr(panel, "on_build_finished"):
            model_service.buildFinished.connect(panel.on_build_finished)  # the panel came first
            self._panel_has_service = True
        self.set_state("idle", "Keras: starting soon")
        for name, slot in (
            ("engineStateChanged", self._on_engine_state),
            ("buildStarted", self._on_build_started),
            ("buildFinished", self._on_build_finished),
            ("buildFailed", self._on_build_failed),
        ):
            signal = getattr(model_service, name, None)
            if signal is not None:
                signal.connect(slot)

    def start_service(self) -> None:
        """Start the Keras engine (call right after the window is shown) and build the current model."""
        if self.model_service is None or self.service_started:
            return
        self.service_started = True
        self.set_state("loading", "Loading Keras…")
        try:
            self.model_service.start()
        except Exception as exc:
            self.set_state("error", f"Keras engine could not start: {exc}")
            self.window.kerasSettled.emit("engine-failed")
            return
        self.request_build()

    def request_build(self) -> None:
        """Ask the started engine for a build of the spec on screen, with the weights to keep."""
        if self.model_service is None or not self.service_started:
            return
        spec = self.window.document.spec
        # The weights Keras last gave (or the opened file's) go along, so that every layer whose
        # shape an edit did not change keeps its weights instead of being drawn afresh.
        try:
            self.model_service.request_build(spec, self._carried_weights or None)
        except Exception as exc:
            self.set_state("error", f"Keras: {exc}")

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
        spec = self.window.document.spec
        result = self.last_result
        if result is not None and result.spec == spec:
            return result.weights
        if self._file_weights is not None and self._file_weights[0] == spec:
            return self._file_weights[1]
        return None

    def set_state(self, state: str, message: str) -> None:
        """The Keras state ("idle", "loading", "building", "ready" or "error") and its status-bar text."""
        self.keras_state = state
        self.keras_message = message
        label = self.window.keras_label
        label.setText(message)
        label.setToolTip(message)
        style = {"ready": "ready", "error": "error"}.get(state, "busy")
        label.setProperty("state", style)
        label.style().unpolish(label)
        label.style().polish(label)

    @Slot(str, str)
    def _on_engine_state(self, state: str, message: str) -> None:
        """The model service's engine states, in the status bar; after a failure, a way to retry."""
        self.engine_state = state
        self.window.restart_button.setVisible(state == "failed")
        if state == "starting":
            self.set_state("loading", message or "Loading Keras…")
        elif state == "busy":
            self.set_state("building", message or "Building with Keras…")
        elif state == "ready":
            version = parse_keras_version(message)
            if version:
                self.keras_version = version
                self.backend = parse_backend(message)
            if self.keras_state in ("loading", "idle"):
                self.set_state("ready", message or "Keras ready")
        elif state == "restarting":
            text = message or "Restarting the Keras engine…"
            if "restart" not in text.lower():
                text = f"Keras engine restarting: {text}"
            self.set_state("loading", text)
            self._status(text, 10_000)
        elif state == "failed":
            text = f"Keras engine failed: {message}" if message else "Keras engine failed"
            self.set_state("error", text)
            self._status("Keras is not available: Keras ▸ Restart Keras Engine tries again", 15_000)
            self.refresh_weights_view()
            self.window.kerasSettled.emit("engine-failed")

    def rebuild(self) -> None:
        """Ask for a build of the model on screen now (a failed engine is started afresh by it)."""
        if self.model_service is None:
            self._status("No Keras engine in this session", 6000)
            return
        summary = self.window.document.summary()
        if not summary.ok:
            self._status(summary.issues[0].message, 8000)
            return
        if not self.service_started:
            self.start_service()
            return
        self.request_build()

    def restart_engine(self) -> None:
        """End the Keras engine (and what it was doing), start a fresh one and build the model again."""
        service = self.model_service
        if service is None:
            self._status("No Keras engine in this session", 6000)
            return
        window = self.window
        window.restart_button.hide()
        try:
            service.restart_engine()  # quiet: nothing it was doing is answered any more
        except Exception as exc:
            self.set_state("error", f"The Keras engine could not be restarted: {exc}")
            window.restart_button.show()
            return
        self.service_started = True
        self.set_state("loading", "Restarting the Keras engine…")
        self._status("Restarting the Keras engine…", 6000)
        window.files.engine_restarted()
        if window.document.summary().ok:
            self.request_build()

    @Slot(int)
    def _on_build_started(self, _request_id: int) -> None:
        if self.keras_state != "loading":
            self.set_state("building", "Building with Keras…")

    @Slot(object)
    def _on_build_finished(self, result: Any) -> None:
        window = self.window
        window.summary_table.on_build_finished(result)
        if result.spec != window.document.spec:
            return  # stale; the newest request is on its way
        self.last_result = result
        self.last_build_ms = result.elapsed_ms
        self._carried_weights = result.weights
        canvas = window.canvas
        if canvas is not None and hasattr(canvas, "set_weights"):
            try:
                canvas.set_weights(result.weights)
            except Exception as exc:
                self._status(f"The canvas could not show the weights: {exc}", 6000)
        self.set_state("ready", f"Built in {result.elapsed_ms:.0f} ms")
        self.refresh_weights_view()
        window.kerasSettled.emit(MISMATCH if window.summary_table.state == MISMATCH else CONFIRMED)

    @Slot(object)
    def _on_build_failed(self, failure: Any) -> None:
        window = self.window
        window.summary_table.on_build_failed(failure)
        if failure.spec != window.document.spec:
            return
        where = f" ({failure.layer_name})" if failure.layer_name else ""
        self.set_state("error", f"Keras error{where}: {failure.message}")
        canvas = window.canvas
        if self._carried_weights and canvas is not None and hasattr(canvas, "set_weights"):
            with contextlib.suppress(Exception):  # the last good weights, wherever they still fit
                canvas.set_weights(self._carried_weights)
        self.refresh_weights_view()
        window.kerasSettled.emit(FAILED)

    @Slot(object, object)
    def on_file_weights(self, spec: ModelSpec, weights: dict) -> None:
        """The weights read from an opened .keras file: shown, and kept across the next builds."""
        self._file_weights = (spec, weights)
        self._carried_weights = weights  # set into every layer of the document they fit
        self._status("Read the file's weights with Keras", 6000)
        self.refresh_weights_view()
        if self.window.document.summary().ok:
            self.request_build()

    # -- the training service (developer F's panel and service) -----------------------------------------

    def attach_training(self, training_service: Any) -> bool:
        """Add the Training dock over `training_service`; False (and no dock) when the panel is missing."""
        if training_service is None or self.training_service is not None:
            return False
        panel_class = optional("nnstudio.ui.training_panel", "TrainingPanel")
        if panel_class is None:
            return False
        try:
            panel = panel_class(self.window.document, training_service)
        except Exception as exc:
            self._status(f"The training panel could not start: {exc}", 8000)
            return False
        self.training_service = training_service
        self.training_panel = panel
        self.window.place_training_dock(panel)
        self._attach_panel()
        for name, slot in (("weightsUpdated", self._on_training_snapshot), ("resetDone", self._on_trained_weights)):
            signal = getattr(training_service, name, None)
            if signal is not None:
                signal.connect(slot)
        return True

    def _attach_panel(self) -> None:
        """Let the training panel move the histogram with the training snapshots (the window feeds
        the canvas itself) and start Train from the weights Keras last built (what is on screen)."""
        attach = getattr(self.training_panel, "attach", None)
        if attach is None:
            return
        try:
            attach(histogram=self.window.weights_panel.histogram, model_service=self.model_service)
        except Exception as exc:
            self._status(f"The training panel could not follow the weights: {exc}", 8000)
            return
        self._panel_has_service = self.model_service is not None

    def _trained_weights(self) -> dict | None:
        service = self.training_service
        if service is None:
            return None
        try:
            return service.trained_weights_for(self.window.document.spec)
        except Exception:
            return None

    def _layer_names(self) -> set[str]:
        return {layer.name for layer in self.window.document.spec.layers}

    @Slot(object)
    def _on_training_snapshot(self, weights: Any) -> None:
        """A snapshot during training: drawn on the next turn of the event loop, newest first.

        The training panel moves the histogram in this turn; the canvas follows in the next, so
        the two never add up to one long stop of the GUI thread."""
        if weights and set(weights) <= self._layer_names():
            self._carried_weights = weights  # the next build keeps them, drawn or not yet
        first = self._pending_snapshot is None
        self._pending_snapshot = weights
        if first:
            QTimer.singleShot(0, self, self._apply_pending_snapshot)

    def _apply_pending_snapshot(self) -> None:
        weights, self._pending_snapshot = self._pending_snapshot, None
        if weights is not None:
            self._apply_training_snapshot(weights)

    def _apply_training_snapshot(self, weights: Any) -> None:
        """The training panel moves the histogram, the window the rest."""
        panel = self.window.weights_panel
        panel_draws = panel.histogram is not None and hasattr(self.training_panel, "attach")
        if panel_draws:
            panel.forget()
        # The panel draws on the histogram; the window still turns to it from a message ("waiting…").
        self._on_trained_weights(weights, histogram=not panel_draws or panel.currentWidget() is not panel.histogram)

    @Slot(object)
    def _on_trained_weights(self, weights: Any, histogram: bool = True) -> None:
        """Training (or its Reset) gave new weights: draw them, and keep them across the next builds."""
        if not weights:
            return
        if not set(weights) <= self._layer_names():
            return  # weights of a model no longer on screen
        self._carried_weights = weights
        canvas = self.window.canvas
        if canvas is not None and hasattr(canvas, "set_weights"):
            with contextlib.suppress(Exception):
                canvas.set_weights(weights)
        if histogram:
            self.refresh_weights_view()

    # -- the Weights dock -----------------------------------------------------------------------------------

    def refresh_weights_view(self) -> None:
        """The Weights dock for the selected layer: its kernel's histogram, or why there is none."""
        panel = getattr(self.window, "weights_panel", None)
        if panel is None:
            return
        document = self.window.document
        spec = document.spec
        index = int(document.selected_index)
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
        row = next((r for r in document.summary().rows if r.index == index), None)
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
