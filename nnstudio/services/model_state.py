"""The model state: it alone holds the document's real weights, and the rule for which belong where.

Weights come from four places: Keras's build of a spec, an opened `.keras` file, training (snapshots
and the final weights) and a Reset. Each arrives as a `WeightSet`, the arrays of one spec's layers,
and `ModelState` keeps the newest of each kind. `current()` answers which weights the spec on screen
has: trained ones first, then Keras's build, then the opened file's. Views subscribe to
`weightsChanged` and read `current()`; nothing else holds weights.

The model state also keeps Keras's build in step with the document: every sound edit asks the model
service for a build (newest wins), carrying the last weights so that every layer whose shape the
edit did not change keeps its own (`carried()`).

Training-time edit guard: the model state is the document's edit guard. An edit (or an undo or
redo) that changes the layers away from the trained ones, while trained weights exist or a run is
going on, is first put to the person through `confirm(title, text)` (the window supplies the
dialog); on Yes the run is stopped and the trained weights are discarded, on No nothing changes.
The discard is undone with the edit: an undo that brings back the trained layers, before any other
training, brings back the trained weights and their history (`trainedRestored`). Opening another
model discards them without asking, for good.

No stale weights: a run that fails before finishing an epoch leaves no trained weights behind (Train
starts afresh, so the weights of an earlier run are gone with its history); a later edit of the
layers then has nothing to ask about and every build carries Keras's weights, not old trained ones.

`WeightSet` keeps its arrays behind its API: today a layer's arrays are found by the layer's name in
the set's spec; once layers carry stable ids only `WeightSet` and `belongs_to` change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Signal, SignalInstance, Slot

from nnstudio.core.spec import LayerSpec, ModelSpec
from nnstudio.core.weights import Weights
from nnstudio.engine.protocol import BuildResult
from nnstudio.services.document import Document

if TYPE_CHECKING:
    import numpy as np

BUILT, FILE, TRAINED, RESET = "built", "file", "trained", "reset"


class WeightSet(Mapping[str, list["np.ndarray"]]):
    """The real weight arrays of one spec's layers, and where they came from (`source`).

    A read-only mapping from a layer's name in `spec` to its arrays in Keras's `get_weights()` order.
    """

    def __init__(self, spec: ModelSpec, arrays: Weights, source: str) -> None:
        self.spec = spec
        self.source = source
        self._arrays = dict(arrays)

    def __getitem__(self, name: str) -> list[np.ndarray]:
        return self._arrays[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __repr__(self) -> str:
        return f"WeightSet({self.source}, {sorted(self._arrays)})"

    def for_layer(self, layer: LayerSpec) -> list[np.ndarray] | None:
        """The arrays of `layer` (a layer of `spec`), or None when it has none here."""
        return self._arrays.get(layer.name)

    def belongs_to(self, spec: ModelSpec) -> bool:
        """Whether these are the weights of `spec`: trained ones fit any spec with the same layers
        (compile settings do not change weights); Keras's and a file's are those of that very spec."""
        if self.source == TRAINED:
            return self.spec.layers == spec.layers
        return self.spec == spec

    def fits_layers_of(self, spec: ModelSpec) -> bool:
        """Whether every layer named here is a layer of `spec` (a snapshot of the model on screen)."""
        names = {layer.name for layer in spec.layers}
        return set(self._arrays) <= names

    def to_wire(self) -> Weights:
        """The arrays as the engine takes them (layer name -> arrays)."""
        return dict(self._arrays)


class BuildSource(Protocol):
    """What the model state needs of the model service."""

    buildFinished: SignalInstance

    def request_build(self, spec: ModelSpec, weights: Weights | None = None) -> int: ...


class TrainingSource(Protocol):
    """What the model state needs of the training service."""

    weightsUpdated: SignalInstance
    resetDone: SignalInstance
    failed: SignalInstance
    spec: ModelSpec | None
    epochs_done: int
    history: dict[str, list[float]]

    def is_training(self) -> bool: ...
    def stop(self) -> None: ...
    def forget_run(self) -> None: ...
    def restore_run(self, spec: ModelSpec, history: dict[str, list[float]], epochs_done: int) -> None: ...


class ModelState(QObject):
    """The document's real weights and Keras builds; see the module docstring."""

    weightsChanged = Signal(object)  # WeightSet | None: what `current()` says now
    trainedDiscarded = Signal(
        str
    )  # the trained weights are gone: why ("the layers changed", "another model", "failed")
    trainedRestored = Signal()  # an undo brought the trained layers back, and with them their weights and history

    def __init__(
        self, document: Document, builds: BuildSource, training: TrainingSource, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.builds = builds
        self.training = training
        self.last_result: BuildResult | None = (
            None  # Keras's newest build of the spec on screen (or an earlier good one)
        )
        self.active = False  # builds are asked for (the application started the engine)
        self._built: WeightSet | None = None  # Keras's build, or a Reset's fresh weights
        self._file: WeightSet | None = None
        self._trained: WeightSet | None = None
        self._carried: WeightSet | None = None  # what the next build starts from
        self._asking = False
        self._discarded: tuple[WeightSet, ModelSpec, dict[str, list[float]], int] | None = None  # for undo
        self.confirm: Callable[[str, str], bool] = lambda _title, _text: False  # the window's Yes/No question
        document.set_edit_guard(self.allow_edit)
        document.changed.connect(self._on_document_changed)
        document.replaced.connect(self._on_document_replaced)
        builds.buildFinished.connect(self.on_build_finished)
        training.weightsUpdated.connect(self.on_trained_weights)
        training.resetDone.connect(self.on_reset_weights)
        training.failed.connect(self.on_training_failed)

    # -- what the views read ---------------------------------------------------------------------

    def current(self) -> WeightSet | None:
        """The real weights of the spec on screen: trained ones, else Keras's build, else the file's."""
        spec = self.document.spec
        for weights in (self._trained, self._built, self._file):
            if weights is not None and weights.belongs_to(spec):
                return weights
        return None

    def untrained(self) -> WeightSet | None:
        """The weights Train starts from: Keras's build (or Reset's) of the spec on screen, or the file's."""
        spec = self.document.spec
        for weights in (self._built, self._file):
            if weights is not None and weights.belongs_to(spec):
                return weights
        return None

    def trained(self) -> WeightSet | None:
        """The trained weights, if they belong to the spec on screen (Resume goes on from them)."""
        trained = self._trained
        return trained if trained is not None and trained.belongs_to(self.document.spec) else None

    def has_trained_weights(self) -> bool:
        """Whether trained weights exist that an edit of the layers would make useless."""
        return self._trained is not None and self.training.epochs_done > 0

    def carried(self) -> Weights | None:
        """The weights a build of the spec on screen starts from (every layer they still fit keeps them)."""
        return self._carried.to_wire() if self._carried is not None else None

    # -- builds ----------------------------------------------------------------------------------

    def start(self) -> None:
        """From now on every sound spec is sent to Keras; the current one at once."""
        self.active = True
        self.request_build()

    def request_build(self) -> bool:
        """Ask Keras for a build of the spec on screen (False: the spec is not sound, nothing sent)."""
        if not self.document.summary().ok:
            return False
        self.builds.request_build(self.document.spec, self.carried())
        return True

    @Slot(object)
    def on_build_finished(self, result: BuildResult) -> None:
        if result.spec != self.document.spec:
            return  # stale; the newest request is on its way
        self.last_result = result
        self._built = self._carried = WeightSet(result.spec, result.weights, BUILT)
        self.weightsChanged.emit(self.current())

    def forget(self) -> None:
        """Another model is on screen: none of the weights held belong to it any more."""
        self.last_result = None
        self._built = self._file = self._carried = None
        self._discarded = None
        if self._trained is not None or self.training.is_training():
            self._discard_training("another model")
        self.weightsChanged.emit(None)

    # -- other sources ---------------------------------------------------------------------------

    @Slot(object, object)
    def on_file_weights(self, spec: ModelSpec, weights: Weights) -> None:
        """The weights Keras read from the opened `.keras` file: shown, and kept across the next builds."""
        self._file = self._carried = WeightSet(spec, weights, FILE)
        self.weightsChanged.emit(self.current())
        if self.active:
            self.request_build()

    @Slot(object)
    def on_trained_weights(self, weights: Weights) -> None:
        """A training snapshot or its final weights (of the spec being trained)."""
        trained_spec = self.training.spec
        if not weights or trained_spec is None:
            return
        snapshot = WeightSet(trained_spec, weights, TRAINED)
        if not snapshot.belongs_to(self.document.spec):
            return  # weights of layers no longer on screen (the edit is being asked about)
        self._trained = self._carried = snapshot
        self.weightsChanged.emit(self.current())

    @Slot(str)
    def on_training_failed(self, _message: str) -> None:
        """A run failed. One that had not finished an epoch leaves no trained weights: those of an
        earlier run went with its history when Train started, and must not be carried or exported."""
        if self.training.epochs_done > 0 or self._trained is None:
            return
        self._trained = None
        if self._carried is not None and self._carried.source == TRAINED:
            self._carried = self._built
        self.trainedDiscarded.emit("failed")
        self.weightsChanged.emit(self.current())

    @Slot(object)
    def on_reset_weights(self, weights: Weights) -> None:
        """Reset: the trained weights are gone; freshly initialised ones take their place."""
        self._trained = None
        self._discarded = None
        if weights:
            self._built = self._carried = WeightSet(self.document.spec, weights, RESET)
        self.weightsChanged.emit(self.current())

    # -- the edit guard --------------------------------------------------------------------------

    def allow_edit(self, old: ModelSpec, new: ModelSpec) -> bool:
        """The document's edit guard: asked before an edit, undo or redo changes the layers."""
        if self._asking or not self._would_lose_training(new):
            return True
        self._asking = True
        try:
            running = self.training.is_training()
            epochs = self.training.epochs_done
            text = (
                "This change to the layers makes the trained weights useless "
                f"({epochs} epoch{'s' if epochs != 1 else ''} of training)"
                + (" and stops the training that is running" if running else "")
                + ".\n\nMake the change and discard the trained weights?"
            )
            if not self.confirm("Discard trained weights?", text):
                return False
            self._discard_training("the layers changed")
            return True
        finally:
            self._asking = False

    def _would_lose_training(self, new: ModelSpec) -> bool:
        trained_spec = self.training.spec
        if trained_spec is None or trained_spec.layers == new.layers:
            return False
        return self.has_trained_weights() or self.training.is_training()

    def _discard_training(self, why: str) -> None:
        running = self.training.is_training()
        trained_spec = self.training.spec
        if not running and self._trained is not None and trained_spec is not None and why == "the layers changed":
            self._discarded = (self._trained, trained_spec, dict(self.training.history), self.training.epochs_done)
        else:
            self._discarded = None
        if running:
            self.training.stop()
        self.training.forget_run()
        self._trained = None
        if self._carried is not None and self._carried.source == TRAINED:
            self._carried = self._built
        self.trainedDiscarded.emit(why)

    # -- the document ----------------------------------------------------------------------------

    def _restore_discarded(self, spec: ModelSpec) -> bool:
        """An undo brought back the layers whose trained weights an edit discarded: they come back,
        unless another run has started since."""
        discarded = self._discarded
        if discarded is None or self.training.spec is not None or self.training.is_training():
            return False
        weights, trained_spec, history, epochs_done = discarded
        if trained_spec.layers != spec.layers:
            return False
        self._discarded = None
        self.training.restore_run(trained_spec, history, epochs_done)
        self._trained = self._carried = weights
        self.trainedRestored.emit()
        self.weightsChanged.emit(self.current())
        return True

    @Slot(object)
    def _on_document_changed(self, spec: ModelSpec) -> None:
        self._restore_discarded(spec)
        if self.active:
            self.request_build()

    @Slot()
    def _on_document_replaced(self) -> None:
        # after the signal that replaces the model, before its `changed` reaches the views
        self.forget()
