"""The model state without widgets: which weights belong to which spec, builds that carry them, the edit guard."""

from __future__ import annotations

import pickle
from dataclasses import replace

import numpy as np
import pytest

from nnstudio.core.spec import CompileSpec, LayerSpec, lesson_spec
from nnstudio.engine.protocol import BuildResult
from nnstudio.services.document import Document
from nnstudio.services.model_state import BUILT, FILE, TRAINED, ModelState, WeightSet
from tests.ui.fakes import FakeBuilds, FakeTraining


def lesson_weights(value: float) -> dict:
    return {
        "dense": [np.full((20, 64), value, "float32"), np.zeros(64, "float32")],
        "dense_1": [np.full((64, 10), value, "float32"), np.zeros(10, "float32")],
    }


@pytest.fixture
def state(qtbot):
    document = Document(lesson_spec())
    state = ModelState(document, FakeBuilds(), FakeTraining())
    state.questions = []
    state.answer = False

    def confirm(title: str, text: str) -> bool:
        state.questions.append(text)
        return state.answer

    state.confirm = confirm
    return state


def test_a_weight_set_finds_a_layers_arrays_and_knows_its_spec():
    spec = lesson_spec()
    weights = WeightSet(spec, lesson_weights(1.0), BUILT)
    assert weights.for_layer(spec.layers[1])[0].shape == (20, 64)
    assert weights.for_layer(spec.layers[0]) is None  # the Input has none
    assert set(weights) == {"dense", "dense_1"} and len(weights) == 2
    assert weights.belongs_to(spec)
    recompiled = spec.with_compile(CompileSpec(optimizer="sgd"))
    assert not weights.belongs_to(recompiled)  # Keras's build is of that very spec
    assert WeightSet(spec, lesson_weights(1.0), TRAINED).belongs_to(recompiled)  # trained: same layers
    wider = spec.with_layer(1, spec.layers[1].with_params(units=32))
    assert not WeightSet(spec, lesson_weights(1.0), TRAINED).belongs_to(wider)


def test_a_weight_set_compares_a_spec_once_however_often_it_is_asked(monkeypatch):
    """The views ask `current()` many times for each answer: two specs of hundreds of layers, equal
    or not (an edited one against the file's weights), are compared layer by layer once, not on
    every question."""
    spec = lesson_spec()
    read = pickle.loads(pickle.dumps(spec))  # as the engine sends it back: equal, not the same object
    assert read == spec and read is not spec and read.layers[1] is not spec.layers[1]
    compared: list[str] = []
    original = LayerSpec.__eq__
    monkeypatch.setattr(LayerSpec, "__eq__", lambda a, b: compared.append(a.name) or original(a, b))
    weights = WeightSet(read, lesson_weights(1.0), FILE)
    assert weights.belongs_to(spec) and compared
    compared.clear()
    assert all(weights.belongs_to(spec) for _ in range(5)) and compared == []
    wider = spec.with_layer(1, spec.layers[1].with_params(units=32))
    compared.clear()
    assert not weights.belongs_to(wider) and compared
    compared.clear()
    assert not any(weights.belongs_to(wider) for _ in range(5)) and compared == []  # the "no" is kept too
    assert weights.belongs_to(spec) and compared == []  # and so is the last "yes"
    compared.clear()
    another = pickle.loads(pickle.dumps(spec))  # another spec object, equal to its own: asked afresh
    assert weights.belongs_to(another) and compared


def test_builds_carry_the_last_weights_and_views_hear_of_new_ones(state, qtbot):
    builds, document = state.builds, state.document
    seen = []
    state.weightsChanged.connect(seen.append)
    state.start()
    assert builds.builds == [(document.spec, None)]
    result = builds.answer(weights=lesson_weights(1.0))
    assert seen[-1] is state.current() and state.current().to_wire() == result.weights
    assert state.last_result is result
    document.set_param(2, "activation", "tanh")
    assert builds.builds[-1] == (document.spec, result.weights)  # dense keeps its weights across the edit
    assert state.current() is None  # Keras has not built this spec yet
    document.set_param(1, "units", 0)  # not sound: nothing sent
    assert len(builds.builds) == 2


def test_trained_weights_come_first_and_an_edit_that_loses_them_is_asked_first(state, qtbot):
    builds, training, document = state.builds, state.training, state.document
    state.start()
    builds.answer(weights=lesson_weights(1.0))
    training.start(document.spec)
    training.play(2, weights=lesson_weights(2.0))
    assert state.current().source == TRAINED and state.trained() is state.current()
    assert float(state.current().for_layer(document.spec.layers[1])[0][0, 0]) == 2.0
    assert state.untrained().source == BUILT  # Train starts from Keras's weights
    assert state.has_trained_weights()

    # a compile edit keeps them (no question); an edit of the layers asks, No changes nothing
    assert document.set_compile(CompileSpec(optimizer="sgd")) is None
    assert state.questions == [] and state.current().source == TRAINED
    assert document.set_param(1, "units", 32) is not None
    assert len(state.questions) == 1 and "2 epochs" in state.questions[0]
    assert document.spec.layers[1].get("units") == 64 and state.has_trained_weights()
    # an undo that would change the layers is asked too
    document.set_compile(CompileSpec(optimizer="adam"))
    assert document.undo() is None  # a compile edit: no question
    assert len(state.questions) == 1

    # Yes: the run's weights are discarded, the training forgotten, the edit made
    discarded = []
    state.trainedDiscarded.connect(discarded.append)
    state.answer = True
    assert document.set_param(1, "units", 32) is None
    assert len(state.questions) == 2 and discarded == ["the layers changed"]
    assert ("discard",) in training.calls and not state.has_trained_weights()
    assert builds.builds[-1][1]["dense_1"][0][0, 0] == 1.0  # the next build carries Keras's weights again

    # no trained weights now: no question
    document.set_param(1, "units", 16)
    assert len(state.questions) == 2


def test_a_running_training_is_stopped_when_the_person_allows_the_edit(state):
    training, document = state.training, state.document
    training.start(document.spec)
    state.answer = True
    assert document.remove_layer(2) is None
    assert "stops the training that is running" in state.questions[0]
    assert ("stop",) in training.calls and ("discard",) in training.calls


def test_opening_another_model_forgets_every_weight_without_asking(state, qtbot):
    builds, training, document = state.builds, state.training, state.document
    state.start()
    builds.answer(weights=lesson_weights(1.0))
    training.start(document.spec)
    training.play(1)
    document.load(lesson_spec().with_layer(1, lesson_spec().layers[1].with_params(units=8)))
    assert state.questions == [] and ("discard",) in training.calls
    assert state.current() is None and state.last_result is None and state.carried() is None
    assert builds.builds[-1] == (document.spec, None)


def test_file_weights_are_shown_and_carried_into_the_next_build(state):
    builds, document = state.builds, state.document
    state.start()
    state.on_file_weights(document.spec, lesson_weights(3.0))
    assert state.current().source == "file"
    assert builds.builds[-1] == (document.spec, state.current().to_wire())


def test_file_weights_replace_a_build_that_came_before_them(state):
    """The opened model's first build starts from fresh weights; once Keras has read the file's, those
    are the model's: shown at once, and the fresh ones let go (not held beside them)."""
    builds, document = state.builds, state.document
    state.start()
    fresh = BuildResult(1, document.spec, [], 1994, 1994, 0, lesson_weights(0.5))
    builds.buildFinished.emit(fresh)
    assert state.current().source == BUILT
    state.on_file_weights(document.spec, lesson_weights(3.0))
    assert state.current().source == FILE and state.current()["dense"][0][0, 0] == 3.0
    assert state.untrained().source == FILE
    assert all(weights is None or weights.source != BUILT for weights in (state._built, state._carried))
    assert state.last_result is None, "nothing holds the fresh weights"
    carried = BuildResult(2, document.spec, [], 1994, 1994, 0, builds.builds[-1][1])
    builds.buildFinished.emit(carried)  # the build that carries the file's weights
    assert state.current().source == BUILT and state.current()["dense"][0][0, 0] == 3.0


def test_builds_answered_while_the_files_weights_are_read_are_not_shown(state, qtbot):
    """An opened `.keras` file's first builds start from fresh weights: the views hear nothing of them
    (they would draw random weights a moment before the real ones), the file's weights come next."""
    builds, document = state.builds, state.document
    state.start()
    state.expect_file_weights()
    heard = []
    state.weightsChanged.connect(heard.append)
    builds.buildFinished.emit(BuildResult(1, document.spec, [], 1994, 1994, 0, lesson_weights(0.5)))
    assert heard == [] and state.current() is None and state.untrained() is None
    assert state.last_result is not None, "Keras's build still confirms the summary"
    state.on_file_weights(document.spec, lesson_weights(3.0))
    assert [w.source for w in heard] == [FILE] and state.current()["dense"][0][0, 0] == 3.0
    assert state._held is None, "the fresh weights are let go"
    builds.buildFinished.emit(BuildResult(2, document.spec, [], 1994, 1994, 0, builds.builds[-1][1]))
    assert state.current().source == BUILT and state.current()["dense"][0][0, 0] == 3.0


def test_when_the_files_weights_cannot_be_read_the_newest_held_build_is_shown(state, qtbot):
    builds, document = state.builds, state.document
    state.start()
    state.expect_file_weights()
    builds.buildFinished.emit(BuildResult(1, document.spec, [], 1994, 1994, 0, lesson_weights(0.5)))
    with qtbot.waitSignal(state.weightsChanged) as shown:
        state.file_weights_missing()
    assert shown.args[0].source == BUILT and shown.args[0]["dense"][0][0, 0] == 0.5
    assert state.untrained().source == BUILT
    builds.buildFinished.emit(BuildResult(2, document.spec, [], 1994, 1994, 0, lesson_weights(0.7)))
    assert state.current()["dense"][0][0, 0] == 0.7, "later builds are shown as they come"


def test_another_model_ends_the_wait_for_a_files_weights(state):
    builds, document = state.builds, state.document
    state.start()
    state.expect_file_weights()
    document.load(lesson_spec(), None, {})
    builds.buildFinished.emit(BuildResult(1, document.spec, [], 1994, 1994, 0, lesson_weights(0.5)))
    assert state.current().source == BUILT


def test_an_edits_build_can_wait_for_the_views(state, qtbot, monkeypatch):
    """A window has an edit's build asked for once its views have taken the edit (Keras's build would
    take a core meanwhile), or after BUILD_WAIT_MS should they never say so."""
    from PySide6.QtCore import QObject, Signal

    class Views(QObject):
        updated = Signal()

    views = Views()
    builds, document = state.builds, state.document
    state.builds_wait_for(views.updated)
    state.start()
    assert len(builds.builds) == 1, "the model on screen is built at once"
    document.set_param(1, "units", 32)
    document.set_param(1, "units", 33)
    assert len(builds.builds) == 1
    views.updated.emit()
    assert len(builds.builds) == 2 and builds.builds[-1][0] == document.spec, "one build, of the newest spec"
    views.updated.emit()
    assert len(builds.builds) == 2, "nothing waits: nothing sent"
    document.set_param(1, "units", 34)
    state._build_timer.setInterval(10)
    qtbot.waitUntil(lambda: len(builds.builds) == 3, timeout=2_000)
    assert builds.builds[-1][0] == document.spec


def test_a_snapshot_of_layers_no_longer_on_screen_is_not_shown(state):
    training, document = state.training, state.document
    training.spec = document.spec.with_layer(1, document.spec.layers[1].with_params(units=8))
    training.weightsUpdated.emit(lesson_weights(5.0))
    assert state.current() is None


def test_weights_are_keyed_by_layer_id_so_a_renamed_layer_keeps_them():
    spec = lesson_spec()
    renamed = spec.with_layer(1, replace(spec.layers[1], name="hidden"))
    assert renamed.layers[1].id == "dense"
    built = WeightSet(spec, lesson_weights(1.0), BUILT)
    assert built.belongs_to(renamed) and built.for_layer(renamed.layers[1])[0].shape == (20, 64)
    assert set(built.to_wire(renamed)) == {"hidden", "dense_1"}  # the engine builds with the new name
    shown = built.as_of(renamed)  # what the canvas reads: the arrays under the names on screen
    assert shown["hidden"][0].shape == (20, 64) and "dense" not in shown and shown.get("dense") is None
    assert set(built.to_wire()) == {"dense", "dense_1"}
    assert not built.belongs_to(renamed.with_compile(CompileSpec(optimizer="sgd")))
    # a snapshot Keras sent under the names of the spec it trained follows the ids too
    trained = WeightSet(renamed, {"hidden": lesson_weights(2.0)["dense"]}, TRAINED)
    assert trained.for_layer(spec.layers[1])[0][0, 0] == 2.0 and trained.belongs_to(spec)
    # another layer under the old name is another layer: its id differs
    swapped = renamed.inserted(2, renamed.new_layer("Dense", units=64))
    assert swapped.layers[2].name == "dense" and swapped.layers[2].id != "dense"
    assert not WeightSet(spec, lesson_weights(1.0), TRAINED).belongs_to(swapped)


def test_renaming_after_training_keeps_the_trained_weights_and_asks_nothing(state, qtbot):
    builds, training, document = state.builds, state.training, state.document
    state.start()
    builds.answer(weights=lesson_weights(1.0))
    training.start(document.spec)
    training.play(2, weights=lesson_weights(2.0))
    assert state.has_trained_weights()

    assert document.rename_layer(1, "hidden") is None
    assert state.questions == [] and ("discard",) not in training.calls
    current = state.current()
    assert current.source == TRAINED and current.spec is document.spec
    assert float(current.for_layer(document.spec.layers[1])[0][0, 0]) == 2.0
    assert set(state.trained().to_wire()) == {"hidden", "dense_1"}  # Resume hands Keras the new names
    assert set(builds.builds[-1][1]) == {"hidden", "dense_1"} and builds.builds[-1][0] is document.spec
    assert builds.builds[-1][1]["hidden"][0][0, 0] == 2.0  # the rebuild carries the trained weights

    # a snapshot still named as the run started (the run goes on under the old names) is shown
    training.play(1, weights=lesson_weights(3.0))
    assert float(state.current().for_layer(document.spec.layers[1])[0][0, 0]) == 3.0
    # undoing the rename asks nothing either
    assert document.undo() is None and state.questions == []
    assert state.current().source == TRAINED
