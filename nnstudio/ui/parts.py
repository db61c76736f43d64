"""The typed interfaces of the parts the window is assembled from: the services it drives and the canvas.

The application passes the real services (`ModelService`, `TrainingService` over one engine session);
tests pass stand-ins with the same signals and methods. A part that does not fit its interface is a
type error (mypy), not a placeholder at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import SignalInstance

from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import Summary
from nnstudio.core.weights import Weights

if TYPE_CHECKING:  # numpy (and the data module, which needs it) load after the window is shown
    import numpy as np

    from nnstudio.core.csv_data import DataConfig


class Builds(Protocol):
    """Keras builds, exports and loads in the engine (`nnstudio.services.model_service.ModelService`)."""

    engineStateChanged: SignalInstance  # (state, message)
    buildStarted: SignalInstance  # (request id)
    buildFinished: SignalInstance  # (BuildResult)
    buildFailed: SignalInstance  # (BuildFailure)
    exportFinished: SignalInstance  # (path)
    exportFailed: SignalInstance  # (message)
    keras_loaded: SignalInstance  # ((spec, weights))
    loadFailed: SignalInstance  # (message)

    def start(self) -> None: ...
    def request_build(self, spec: ModelSpec, weights: Weights | None = None) -> int: ...
    def export_keras(self, spec: ModelSpec, path: str, weights: Weights | None = None) -> int: ...
    def load_keras(self, path: str, known_spec: ModelSpec | None = None) -> int: ...
    def restart_engine(self) -> None: ...


class Training(Protocol):
    """Training in the engine (`nnstudio.services.training_service.TrainingService`)."""

    stateChanged: SignalInstance  # (state, message)
    progress: SignalInstance  # (epoch, batch, logs, eta)
    progressDetail: SignalInstance  # (update dict)
    epochFinished: SignalInstance  # (epoch, logs)
    weightsUpdated: SignalInstance  # (Weights)
    dataView: SignalInstance  # (PlaneData | PlaneSurface | PlaneEvaluation)
    finished: SignalInstance  # (history)
    failed: SignalInstance  # (message)
    resetDone: SignalInstance  # (Weights)
    spec: ModelSpec | None
    epochs_done: int
    history: dict[str, list[float]]
    last_result: Any

    def start(
        self,
        spec: ModelSpec,
        data: DataConfig | None = None,
        epochs: int = 10,
        batch_size: int = 32,
        validation_split: float = 0.2,
        weights: Weights | None = None,
    ) -> int: ...
    def resume(
        self,
        spec: ModelSpec,
        data: DataConfig | None = None,
        epochs: int = 10,
        batch_size: int = 32,
        validation_split: float = 0.2,
        weights: Weights | None = None,
    ) -> int: ...
    def stop(self) -> None: ...
    def reset(self, spec: ModelSpec | None = None) -> int: ...
    def forget_run(self) -> None: ...
    def restore_run(self, spec: ModelSpec, history: dict[str, list[float]], epochs_done: int) -> None: ...
    def is_training(self) -> bool: ...


class Canvas(Protocol):
    """The network drawing (`nnstudio.ui.canvas.NetworkCanvas`)."""

    layerClicked: SignalInstance  # (layer index)

    def prepare_model(self, summary: Summary, spec: ModelSpec, ready: Callable[[], None] | None = None) -> None: ...
    def set_model(self, summary: Summary, spec: ModelSpec, drawn: bool = True) -> None: ...
    def plan_drawing(self) -> None: ...
    def draw_model(self) -> None: ...
    def set_weights(self, weights: Mapping[str, list[np.ndarray]] | None) -> None: ...
    def select_layer(self, index: int) -> None: ...
    def fit_view(self) -> None: ...
    def busy(self) -> bool: ...
    def release_workers(self) -> None: ...
    def resume_workers(self) -> None: ...
    def shutdown(self) -> None: ...
    def export_png(self, path: str | Path, scale: float = 2) -> None: ...
    def export_svg(self, path: str | Path) -> None: ...
    def setUpdatesEnabled(self, enable: bool) -> None: ...  # noqa: N802 (QWidget's)
