"""The Keras part of the status bar: the engine's state, the last build, and a way to restart a failed engine.

`KerasStatus` turns the model service's signals into a label ("Loading Keras…", "Built in 42 ms",
"Keras error (dense_1): …", the cause in one line) with a state property the style sheet colours, a
"Details" button for Keras's whole message after a failed build, a "Restart Keras" button shown
after the engine failed, and `settled(state)` once Keras answered for the spec on
screen ("confirmed", "mismatch", "failed" or "engine-failed").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QMessageBox, QProgressBar, QStatusBar, QToolButton

from nnstudio.core.error_text import cause_line, has_details
from nnstudio.engine.protocol import BuildFailure, BuildResult
from nnstudio.services.document import Document
from nnstudio.ui.parts import Builds
from nnstudio.ui.summary_table import CONFIRMED, FAILED, MISMATCH, SummaryTable

IDLE, LOADING, BUILDING, READY, ERROR = "idle", "loading", "building", "ready", "error"


def parse_keras_version(message: str) -> str:
    """The version in the engine's "Keras 3.15.1 ready (TensorFlow 2.21.0)", or ""."""
    match = re.match(r"Keras (\d[\w.+-]*) ready", message or "")
    return match.group(1) if match else ""


def parse_backend(message: str) -> str:
    """The backend and its version in "Keras 3.15.1 ready (TensorFlow 2.21.0)", or ""."""
    match = re.match(r"Keras \S+ ready \((\w[\w ]* \d[\w.+-]*)\)", message or "")
    return match.group(1) if match else ""


class KerasStatus(QObject):
    """The status bar's Keras label, export progress and restart button; see the module docstring."""

    settled = Signal(str)  # "confirmed", "mismatch", "failed" or "engine-failed"

    def __init__(
        self,
        bar: QStatusBar,
        document: Document,
        builds: Builds,
        summary_table: SummaryTable,
        restart: Callable[[], None],
    ) -> None:
        super().__init__(bar)
        self.bar = bar
        self.document = document
        self.summary_table = summary_table
        self.state = IDLE
        self.message = ""
        self.engine_state = ""
        self.keras_version = ""  # as the engine reported it; the GUI never imports Keras
        self.backend = ""  # "TensorFlow 2.21.0", from the same message
        self.last_build_ms: float | None = None
        self._building = False  # a build asked for and not answered yet
        self._before_busy: tuple[str, str, str, str] | None = None  # state, text, tooltip, details

        self.export_progress = QProgressBar(bar)
        self.export_progress.setObjectName("exportProgress")
        self.export_progress.setRange(0, 0)  # busy: the engine reports no steps for an export
        self.export_progress.setMaximumWidth(140)
        self.export_progress.setTextVisible(False)
        self.export_progress.hide()
        self.label = QLabel(bar)
        self.label.setObjectName("statusKeras")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setMaximumWidth(560)  # a long engine message is cut here; its tooltip has it all
        self.restart_button = QToolButton(bar)
        self.restart_button.setObjectName("restartEngineButton")
        self.restart_button.setText("Restart Keras")
        self.restart_button.setToolTip("Start a fresh Keras engine and build the model again")
        self.restart_button.clicked.connect(restart)
        self.restart_button.hide()
        self.details_button = QToolButton(bar)
        self.details_button.setObjectName("kerasDetailsButton")
        self.details_button.setText("Details")
        self.details_button.setToolTip("Keras's whole message")
        self.details_button.clicked.connect(self.show_details)
        self.details_button.hide()
        self.details = ""  # the whole text of the last failed build, when it says more than its cause
        self.details_box: QMessageBox | None = None
        bar.addPermanentWidget(self.export_progress)
        bar.addPermanentWidget(self.label)
        bar.addPermanentWidget(self.details_button)
        bar.addPermanentWidget(self.restart_button)

        builds.engineStateChanged.connect(self.on_engine_state)
        builds.buildStarted.connect(self.on_build_started)
        builds.buildFinished.connect(self.on_build_finished)
        builds.buildFailed.connect(self.on_build_failed)
        self.set_state(LOADING, "Starting Keras…")

    def set_state(self, state: str, message: str) -> None:
        """The Keras state ("idle", "loading", "building", "ready" or "error") and its text."""
        self.state = state
        self.message = message
        self.details = ""
        self.details_button.hide()
        self.label.setText(message)
        self.label.setToolTip(message)
        self.label.setProperty("state", {READY: "ready", ERROR: "error"}.get(state, "busy"))
        self.label.style().unpolish(self.label)
        self.label.style().polish(self.label)

    def _status(self, text: str, timeout_ms: int) -> None:
        self.bar.showMessage(text, timeout_ms)

    @Slot(str, str)
    def on_engine_state(self, state: str, message: str) -> None:
        """The engine session's states; after a failure, a way to retry."""
        self.engine_state = state
        self.restart_button.setVisible(state == "failed")
        if state == "starting":
            self.set_state(LOADING, message or "Loading Keras…")
        elif state == "busy":
            if self.state != BUILDING:
                self._before_busy = (self.state, self.message, self.label.toolTip(), self.details)
            self.set_state(BUILDING, message or "Building with Keras…")
        elif state == "ready":
            version = parse_keras_version(message)
            if version:
                self.keras_version = version
                self.backend = parse_backend(message)
            if self.state in (LOADING, IDLE):
                self.set_state(READY, message or "Keras ready")
            elif self.state == BUILDING and not self._building:
                self._after_busy()  # training or an export ended: the label says again what it said before
        elif state == "restarting":
            text = message or "Restarting the Keras engine…"
            if "restart" not in text.lower():
                text = f"Keras engine restarting: {text}"
            self.set_state(LOADING, text)
            self._status(text, 10_000)
        elif state == "failed":
            self.set_state(ERROR, f"Keras engine failed: {message}" if message else "Keras engine failed")
            self._status("Keras is not available: Keras ▸ Restart Keras Engine tries again", 15_000)
            self.settled.emit("engine-failed")

    def _after_busy(self) -> None:
        before, self._before_busy = self._before_busy, None
        if before is None:
            self.set_state(READY, "Keras ready")
            return
        state, message, tooltip, details = before
        self.set_state(state, message)
        self.label.setToolTip(tooltip)
        self.details = details
        self.details_button.setVisible(bool(details))

    @Slot(int)
    def on_build_started(self, _request_id: int) -> None:
        self._building = True
        if self.state != LOADING:
            self.set_state(BUILDING, "Building with Keras…")

    @Slot(object)
    def on_build_finished(self, result: BuildResult) -> None:
        self.summary_table.on_build_finished(result)
        self._building, self._before_busy = False, None
        if result.spec != self.document.spec:
            return  # stale; the newest request is on its way
        self.last_build_ms = result.elapsed_ms
        self.set_state(READY, f"Built in {result.elapsed_ms:.0f} ms")
        self.settled.emit(MISMATCH if self.summary_table.state == MISMATCH else CONFIRMED)

    @Slot(object)
    def on_build_failed(self, failure: BuildFailure) -> None:
        self.summary_table.on_build_failed(failure)
        self._building, self._before_busy = False, None
        if failure.spec != self.document.spec:
            return
        where = f" ({failure.layer_name})" if failure.layer_name else ""
        cause = cause_line(failure.message)
        self.set_state(ERROR, f"Keras error{where}: {cause}")
        self.label.setToolTip(failure.message)  # the whole text; the label says its cause
        if has_details(failure.message, cause):
            self.details = failure.message
            self.details_button.show()
        self.settled.emit(FAILED)

    def show_details(self) -> None:
        """The last failed build's cause, with Keras's whole message under "Show Details…" (not modal)."""
        if not self.details:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Keras could not build the model", self.message, parent=self.bar)
        box.setObjectName("kerasDetailsBox")
        box.setDetailedText(self.details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)
        box.show()
        self.details_box = box

    def restarting(self) -> None:
        """The engine is being restarted by hand."""
        self.restart_button.hide()
        self.set_state(LOADING, "Restarting the Keras engine…")
        self._status("Restarting the Keras engine…", 6000)
