"""The model state: it alone holds the document's real weights, and the rule for which belong where.

Weights come from four places: Keras's build of a spec, an opened `.keras` file, training (snapshots
and the final weights) and a Reset. Each arrives as a `WeightSet`, the arrays of one spec's layers,
and `ModelState` keeps the newest of each kind. `current()` answers which weights the spec on screen
has: trained ones first, then Keras's build, then the opened file's. Views subscribe to
`weightsChanged` and read `current()`; nothing else holds weights.

The model state also keeps Keras's build in step with the document: every sound edit asks the model
service for a build (newest wins), carrying the last weights so that every layer whose shape the
edit did not change keeps its own (`carried()`). A window may have the request wait until its views
have taken the edit (`builds_wait_for`): Keras's build in the engine process would otherwise take
one of the machine's cores while the views update.

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

`WeightSet` keeps its arrays by layer id, so a layer's weights follow it through a rename: renaming
keeps the built, opened and trained weights and asks nothing. The engine still gets them by the
Keras names of the spec it builds (`to_wire`), and the sets `ModelState` hands out are those of the
spec on screen (`as_of`), names included.

An opened `.keras` file's weights are on their way (`expect_file_weights`) while its model's first
builds answer: those builds start from fresh weights, which are held back, not shown (a big model's
views would draw random weights once, a second before the real ones). The file's weights end the
wait; should they not come (`file_weights_missing`), the newest held build is shown instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance, Slot

from nnstudio.core.spec import LayerSpec, ModelSpec
from nnstudio.core.weights import Weights
from nnstudio.engine.protocol import BuildResult
from nnstudio.services.document import Document

if TYPE_CHECKING:
    import numpy as np

BUILT, FILE, TRAINED, RESET = "built", "file", "trained", "reset"
BUILD_WAIT_MS = 1000  # an edit's build waits at most this long for the views (`builds_wait_for`)


def _same_but_name(a: LayerSpec, b: LayerSpec) -> bool:
    return a is b or a == b or replace(a, name="") == replace(b, name="")


def same_layers_but_names(a: ModelSpec, b: ModelSpec) -> bool:
    """Whether `a` and `b` have the same layers (ids, classes, settings, connections) and graph, the
    layers' names aside: what their weights depend on. Layer by layer, so that the layers an edit
    kept (the same objects) cost nothing and the first that differs ends it: the views ask this on
    every edit of models with hundreds of layers."""
    if a.inputs != b.inputs or a.outputs != b.outputs or len(a.layers) != len(b.layers):
        return False
    return all(_same_but_name(x, y) for x, y in zip(a.layers, b.layers, strict=True))


class WeightSet(Mapping[str, list["np.ndarray"]]):
    """The real weight arrays of one spec's layers, and where they came from (`source`).

    Kept by layer id; read as a mapping from a layer's name in `spec` to its arrays in Keras's
    `get_weights()` order (the names the canvas draws and Keras builds with). `arrays` come keyed by
    the layers' names in `spec`, as the engine gives them. `as_of(renamed spec)` reads the same
    arrays under the new names.
    """

    def __init__(self, spec: ModelSpec, arrays: Weights, source: str) -> None:
        self.spec = spec
        self.source = source
        self._ids = {layer.name: layer.id for layer in spec.layers}
        self._names = {layer.id: layer.name for layer in spec.layers}
        self._arrays = {self._ids.get(name, name): values for name, values in arrays.items()}
        # specs are frozen: the answers of belongs_to are kept by identity
        self._belongs: ModelSpec | None = None  # the spec last found to have these weights
        self._not_of: ModelSpec | None = None  # the spec last found not to

    def __getitem__(self, name: str) -> list[np.ndarray]:
        layer_id = self._ids.get(name)
        if layer_id is None:
            if name in self._names:  # another layer's id, not a name here
                raise KeyError(name)
            layer_id = name
        return self._arrays[layer_id]

    def __iter__(self) -> Iterator[str]:
        return (self._names.get(layer_id, layer_id) for layer_id in self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __repr__(self) -> str:
        return f"WeightSet({self.source}, {sorted(self)})"

    def for_layer(self, layer: LayerSpec) -> list[np.ndarray] | None:
        """The arrays of `layer` (found by its id, whatever its name now), or None when it has none here."""
        return self._arrays.get(layer.id)

    def belongs_to(self, spec: ModelSpec) -> bool:
        """Whether these are the weights of `spec`: trained ones fit any spec with the same layers
        (compile settings do not change weights); Keras's and a file's are those of that very spec.
        Either way a layer's name does not matter: a renamed layer keeps its weights. The answers
        for the spec last found to have them and the one last found not to are kept: the views ask
        about the same spec many times, and comparing two specs of hundreds of layers (equal, or
        differing in the last) takes milliseconds."""
        if spec is self._belongs or spec is self._not_of:
            return spec is self._belongs
        if self.source == TRAINED:
            belongs = same_layers_but_names(self.spec, spec)
        elif self.spec == spec:
            # an equal spec is taken for this one: its layers are those the next edits keep (the
            # engine's copy of a spec shares no layer with the document's, and each comparison of
            # the two would go through every layer)
            self.spec = spec
            belongs = True
        else:
            same_model = (self.spec.name, self.spec.compile) == (spec.name, spec.compile)
            belongs = same_model and same_layers_but_names(self.spec, spec)
        if belongs:
            self._belongs = spec
        else:
            self._not_of = spec
        return belongs

    def as_of(self, spec: ModelSpec) -> WeightSet:
        """The same arrays as the weights of `spec` (the spec on screen, whose layers may have been renamed)."""
        if spec is self.spec or [layer.name for layer in spec.layers] == [layer.name for layer in self.spec.layers]:
            return self
        moved = WeightSet(spec, {}, self.source)
        moved._arrays = self._arrays
        return moved

    def fits_layers_of(self, spec: ModelSpec) -> bool:
        """Whether every layer here is a layer of `spec` (a snapshot of the model on screen)."""
        return set(self._arrays) <= set(spec.ids())

    def to_wire(self, spec: ModelSpec | None = None) -> Weights:
        """The arrays as the engine takes them: keyed by the layers' names in `spec` (default: this
        set's own spec), the names Keras builds it with."""
        if spec is None:
            return dict(self)
        return dict(self.as_of(spec))


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
        self._expecting_file = False  # an opened `.keras` file's weights are being read
        self._held: WeightSet | None = None  # the newest build answered meanwhile, not shown
        self._waits_for_views = False  # an edit's build is sent once the views have taken it
        self._build_waiting = False
        self._build_timer = QTimer(self)  # ... or after BUILD_WAIT_MS
        self._build_timer.setSingleShot(True)
        self._build_timer.setInterval(BUILD_WAIT_MS)
        self._build_timer.timeout.connect(self.send_waiting_build)
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
                return weights.as_of(spec)
        return None

    def untrained(self) -> WeightSet | None:
        """The weights Train starts from: Keras's build (or Reset's) of the spec on screen, or the file's."""
        spec = self.document.spec
        for weights in (self._built, self._file):
            if weights is not None and weights.belongs_to(spec):
                return weights.as_of(spec)
        return None

    def trained(self) -> WeightSet | None:
        """The trained weights, if they belong to the spec on screen (Resume goes on from them)."""
        trained, spec = self._trained, self.document.spec
        return trained.as_of(spec) if trained is not None and trained.belongs_to(spec) else None

    def has_trained_weights(self) -> bool:
        """Whether trained weights exist that an edit of the layers would make useless."""
        return self._trained is not None and self.training.epochs_done > 0

    def carried(self) -> Weights | None:
        """The weights a build of the spec on screen starts from (every layer they still fit keeps them)."""
        return self._carried.to_wire(self.document.spec) if self._carried is not None else None

    # -- builds ----------------------------------------------------------------------------------

    def start(self) -> None:
        """From now on every sound spec is sent to Keras; the current one at once."""
        self.active = True
        self.request_build()

    def builds_wait_for(self, views_updated: SignalInstance) -> None:
        """From now on an edit's build is asked for once `views_updated` says the views have taken
        the edit (or after BUILD_WAIT_MS), not at once."""
        self._waits_for_views = True
        views_updated.connect(self.send_waiting_build)

    @Slot()
    def send_waiting_build(self) -> None:
        """Ask for the build an edit left waiting for the views (nothing when none waits)."""
        if self._build_waiting:
            self.request_build()

    def request_build(self) -> bool:
        """Ask Keras for a build of the spec on screen (False: the spec is not sound, nothing sent)."""
        self._build_waiting = False
        self._build_timer.stop()
        if not self.document.summary().ok:
            return False
        self.builds.request_build(self.document.spec, self.carried())
        return True

    @Slot(object)
    def on_build_finished(self, result: BuildResult) -> None:
        if result.spec != self.document.spec:
            return  # stale; the newest request is on its way
        self.last_result = result
        built = WeightSet(self.document.spec, result.weights, BUILT)  # equal, and shares the next edits' layers
        if self._expecting_file:
            self._held = built
            return
        self._built = self._carried = built
        self.weightsChanged.emit(self.current())

    def forget(self) -> None:
        """Another model is on screen: none of the weights held belong to it any more."""
        self.last_result = None
        self._built = self._file = self._carried = self._held = None
        self._expecting_file = False
        self._discarded = None
        if self._trained is not None or self.training.is_training():
            self._discard_training("another model")
        self.weightsChanged.emit(None)

    # -- other sources ---------------------------------------------------------------------------

    def awaiting_file_weights(self) -> bool:
        """The opened `.keras` file's weights are being read (what the model has until then is fresh)."""
        return self._expecting_file

    @Slot()
    def expect_file_weights(self) -> None:
        """The opened `.keras` file's weights are being read: builds answered until they come (or
        `file_weights_missing`) started from fresh weights, and are not shown."""
        self._expecting_file = True

    @Slot()
    def file_weights_missing(self) -> None:
        """The opened file's weights could not be read: the newest build's fresh weights are shown."""
        if not self._expecting_file:
            return
        self._expecting_file = False
        held, self._held = self._held, None
        if held is not None:
            self._built = self._carried = held
            self.weightsChanged.emit(self.current())

    @Slot(object, object)
    def on_file_weights(self, spec: ModelSpec, weights: Weights) -> None:
        """The weights Keras read from the opened `.keras` file: shown, and kept across the next builds.
        A build that came before them started from fresh weights, not the model's: it is let go (a
        model of 450 MB would otherwise be held twice until the next build, which carries these)."""
        self._expecting_file = False
        self._file = self._carried = WeightSet(spec, weights, FILE)
        self._built = self._held = self.last_result = None
        if self.active:  # asked first: the views' reaction starts threads that would hold up its sending
            self.request_build()
        self.weightsChanged.emit(self.current())

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
        if trained_spec is None or same_layers_but_names(trained_spec, new):
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
        if not self.active:
            return
        if self._waits_for_views:
            self._build_waiting = True
            self._build_timer.start()
        else:
            self.request_build()

    @Slot()
    def _on_document_replaced(self) -> None:
        # after the signal that replaces the model, before its `changed` reaches the views
        self.forget()
