"""The model service: Keras builds, `.keras` exports and loads, through the application's engine session.

The GUI thread calls the non-blocking `request_build`, `export_keras` and `load_keras`; results
come back as signals. The policies (newest build wins, files in order, engine death, timeouts,
shutdown) are the engine session's (see `engine_worker.py`); this layer only makes the jobs and
turns their answers into these signals:

- `buildStarted(request_id)`, then `buildFinished(BuildResult)` or `buildFailed(BuildFailure)`,
  for the newest build only, whose `spec` is the very object `request_build` was given and whose
  weights hold the very arrays sent for the layers Keras kept as they were;
- `exportFinished(path)` or `exportFailed(message)`; `keras_loaded((spec, weights))` or
  `loadFailed(message)`;
- `engineStateChanged(state, message)`: the session's states ("starting", "ready", "busy",
  "restarting", "failed").
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from nnstudio.core.spec import ModelSpec
from nnstudio.core.weights import Weights
from nnstudio.engine.protocol import BuildFailure, BuildResult, LoadResult
from nnstudio.services.engine_session import EngineSession
from nnstudio.services.engine_worker import BUILDS, FILES, Job

OPS = ("build", "export", "load_keras")


def with_kept_weights(result: BuildResult, sent: Weights | None) -> Weights:
    """A build's weights with the arrays of the layers it kept (`result.kept`) put back: the very
    arrays the request sent, not copies."""
    if not result.kept or not sent:
        return result.weights
    kept = set(result.kept)
    return {name: sent[name] if name in kept else arrays for name, arrays in result.weights.items()}


class ModelService(QObject):
    """Builds, exports and loads models in the session's Keras engine; see the module docstring."""

    engineStateChanged = Signal(str, str)
    buildStarted = Signal(int)
    buildFinished = Signal(object)  # BuildResult
    buildFailed = Signal(object)  # BuildFailure
    exportFinished = Signal(str)
    exportFailed = Signal(str)
    keras_loaded = Signal(object)  # (ModelSpec, Weights)
    loadFailed = Signal(str)

    def __init__(self, session: EngineSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        session.stateChanged.connect(self.engineStateChanged)
        session.jobStarted.connect(self._on_started)
        session.jobFinished.connect(self._on_finished)
        session.jobFailed.connect(self._on_failed)

    def start(self) -> None:
        """Start the session's engine (it loads Keras at once). Returns at once."""
        self.session.start()

    def restart_engine(self) -> None:
        """End the engine and what it was doing (builds, files, training) and start a fresh one."""
        self.session.restart()

    def engine_pid(self) -> int | None:
        """The engine process's id while one runs (for tests and diagnostics)."""
        return self.session.engine_pid()

    # -- requests (GUI thread; none of them blocks) ----------------------------------------------

    def request_build(self, spec: ModelSpec, weights: Weights | None = None) -> int:
        """Ask for a Keras build of `spec`; returns its request id (-1 once the session is shut down).

        `weights` (layer name -> arrays), when given, are set into the layers they still fit.
        """
        args: dict[str, Any] = {"spec": spec}
        if weights:
            args["strict"] = False
        return self.session.submit(Job("build", BUILDS, args=args, weights=weights or None))

    def export_keras(self, spec: ModelSpec, path: str, weights: Weights | None = None) -> int:
        """Build `spec` (with `weights`) in the engine and write a `.keras` file atomically."""
        return self.session.submit(
            Job("export", FILES, args={"spec": spec, "path": str(path)}, weights=weights or None)
        )

    def load_keras(self, path: str, known_spec: ModelSpec | None = None) -> int:
        """Load a `.keras` file in the engine (core checks first, then Keras safe mode, memory-capped).
        `known_spec`: the model this side read from it; the answer's spec, when equal, is that object."""
        args: dict[str, Any] = {"path": str(path)}
        if self.session.load_memory_limit:
            args["memory_limit_bytes"] = self.session.load_memory_limit
        return self.session.submit(Job("load_keras", FILES, args=args, known_spec=known_spec))

    # -- answers ---------------------------------------------------------------------------------

    @Slot(object)
    def _on_started(self, job: Job) -> None:
        if job.op == "build":
            self.buildStarted.emit(job.request_id)

    @Slot(object, object)
    def _on_finished(self, job: Job, value: Any) -> None:
        if job.op == "build":
            if isinstance(value, BuildResult | BuildFailure):
                # the engine answers with its copy of the spec asked for: the very object asked for
                # instead, so that the views find it is the document's at once, not layer by layer
                value.spec = job.args["spec"]
            if isinstance(value, BuildResult):
                value.weights = with_kept_weights(value, job.weights)
                self.buildFinished.emit(value)
            elif isinstance(value, BuildFailure):
                self.buildFailed.emit(value)
            else:
                self._on_failed(job, "Keras returned nothing", None)
        elif job.op == "export":
            self.exportFinished.emit(str(job.args["path"]))
        elif job.op == "load_keras":
            if isinstance(value, LoadResult):
                self.keras_loaded.emit((value.spec, value.weights))
            else:
                self._on_failed(job, "Keras returned nothing", None)

    @Slot(object, str, object)
    def _on_failed(self, job: Job, message: str, layer_name: str | None) -> None:
        if job.op == "build":
            self.buildFailed.emit(BuildFailure(job.request_id, job.args["spec"], message, layer_name))
        elif job.op == "export":
            self.exportFailed.emit(message)
        elif job.op == "load_keras":
            self.loadFailed.emit(message)
