"""The document: every edit is one undoable command with a readable name; placement rules refuse
with a reason and push nothing; the modified flag follows the undo stack's clean state."""

from __future__ import annotations

import pytest

from nnstudio.core.spec import CompileSpec, ModelSpec, lesson_spec
from nnstudio.core.summary import analyze
from nnstudio.services.document import Document


@pytest.fixture
def doc(qapp):
    return Document()


@pytest.fixture
def empty(qapp):
    return Document.new_empty()


def names(doc):
    return [layer.name for layer in doc.spec.layers]


def check_undo_redo(doc, text):
    """The last push is named `text`; undo restores the spec before it and redo the spec after it."""
    stack = doc.undo_stack
    assert stack.undoText() == text
    after = doc.spec
    stack.undo()
    before = doc.spec
    assert before != after
    stack.redo()
    assert doc.spec == after
    return before, after


def test_new_document_holds_the_lesson_and_is_clean(doc):
    assert doc.spec == lesson_spec()
    assert analyze(doc.spec).total_params == 1994
    assert not doc.is_modified()
    assert doc.path is None and doc.editor == {}
    assert doc.selected_index == -1 and doc.selected_index() == -1
    assert Document.new_empty().spec.layers == ()


def test_insert_layer_undo_redo(doc):
    assert doc.insert_layer(3, "Dropout", rate=0.25) is None
    assert names(doc) == ["input_layer", "dense", "dense_1", "dropout"]
    assert doc.spec.layers[3].get("rate") == 0.25
    assert doc.selected_index == 3
    before, _ = check_undo_redo(doc, "Add Dropout")
    assert before == lesson_spec()


def test_append_layer(doc):
    doc.append_layer("Dense", units=5)
    assert doc.spec.layers[-1].name == "dense_2" and doc.spec.layers[-1].get("units") == 5


def test_remove_layer_undo_redo_and_selection(doc):
    doc.select_layer(2)
    doc.remove_layer(2)
    assert names(doc) == ["input_layer", "dense"]
    assert doc.selected_index == 1
    check_undo_redo(doc, "Remove dense_1")
    doc.undo_stack.undo()
    assert doc.selected_index == 2


def test_move_layer_undo_redo(doc):
    doc.insert_layer(3, "Dropout")
    doc.move_layer(3, 1)
    assert names(doc) == ["input_layer", "dropout", "dense", "dense_1"]
    assert doc.selected_index == 1
    check_undo_redo(doc, "Move dropout")


def test_duplicate_layer_undo_redo(doc):
    doc.set_param(1, "units", 7)
    doc.duplicate_layer(1)
    assert names(doc) == ["input_layer", "dense", "dense_2", "dense_1"]
    assert doc.spec.layers[2].get("units") == 7
    assert doc.selected_index == 2
    check_undo_redo(doc, "Duplicate dense")


def test_set_param_undo_redo(doc):
    doc.set_param(1, "units", 128)
    assert doc.spec.layers[1].get("units") == 128
    check_undo_redo(doc, "Set units of dense to 128")
    doc.set_param(1, "activation", "tanh")
    check_undo_redo(doc, "Set activation of dense to tanh")
    doc.set_param(1, "use_bias", False)
    check_undo_redo(doc, "Set use_bias of dense to off")


def test_rename_layer_undo_redo(doc):
    doc.rename_layer(1, "hidden")
    assert names(doc) == ["input_layer", "hidden", "dense_1"]
    check_undo_redo(doc, "Rename dense to hidden")


def test_set_compile_undo_redo(doc):
    doc.set_compile(CompileSpec("mean_absolute_error", "sgd", 0.05, ("mean_squared_error",)))
    check_undo_redo(doc, "Change compile settings")
    doc.set_compile(doc.spec.compile.__class__("huber", "sgd", 0.05, ("mean_squared_error",)))
    check_undo_redo(doc, "Set loss to huber")


def test_replace_spec_undo_redo(doc):
    other = ModelSpec(name="other")
    other = other.inserted(0, other.new_layer("Input", shape=[4]))
    doc.replace_spec(other, "Import other")
    assert doc.spec == other
    check_undo_redo(doc, "Import other")


def test_consecutive_edits_of_one_field_merge(doc):
    for value in (1, 12, 128):
        doc.set_param(1, "units", value)
    assert doc.undo_stack.count() == 1
    assert doc.undo_stack.undoText() == "Set units of dense to 128"
    doc.set_param(1, "activation", "tanh")  # another field: a new command
    doc.set_param(2, "units", 3)  # another layer: a new command
    assert doc.undo_stack.count() == 3
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.spec == lesson_spec()


def test_merge_back_to_start_drops_the_command(doc):
    doc.set_param(1, "units", 65)
    doc.set_param(1, "units", 64)
    assert doc.undo_stack.count() == 0
    assert not doc.is_modified()


def test_renames_and_compile_fields_merge(doc):
    for name in ("h", "hi", "hidden"):
        doc.rename_layer(1, name)
    assert doc.undo_stack.count() == 1
    assert doc.undo_stack.undoText() == "Rename dense to hidden"
    for lr in (0.1, 0.01):
        doc.set_compile(CompileSpec(learning_rate=lr))
    assert doc.undo_stack.count() == 2
    assert doc.undo_stack.undoText() == "Set learning rate to 0.01"


def test_no_merge_across_a_save(doc):
    doc.set_param(1, "units", 10)
    doc.mark_saved()
    doc.set_param(1, "units", 11)
    assert doc.undo_stack.count() == 2


def test_unchanged_values_push_nothing(doc):
    doc.set_param(1, "units", 64)
    doc.rename_layer(1, "dense")
    doc.move_layer(1, 1)
    doc.set_compile(CompileSpec())
    doc.replace_spec(lesson_spec())
    assert doc.undo_stack.count() == 0


@pytest.mark.parametrize(
    ("index", "class_name", "words"),
    [
        (3, "Input", "one Input"),
        (0, "Input", "one Input"),
        (0, "Dense", "above the Input"),
        (9, "Dense", "no position"),
        (1, "Lambda", "no layer type"),
        (2, "Add", "Add merges several inputs; it needs a functional model"),
        (3, "MultiHeadAttention", "takes a query, a value and an optional key; it needs a functional model"),
    ],
)
def test_refused_insert_pushes_nothing_and_says_why(doc, qtbot, index, class_name, words):
    with qtbot.waitSignal(doc.editRefused) as refused:
        reason = doc.insert_layer(index, class_name)
    assert words in reason and refused.args == [reason]
    assert doc.undo_stack.count() == 0 and doc.spec == lesson_spec()


def test_input_placement_in_an_empty_stack(empty):
    assert empty.can_insert(0, "Dense") is None
    empty.insert_layer(0, "Dense")
    assert "first layer" in empty.can_insert(1, "Input")
    assert empty.can_insert(0, "Input") is None
    empty.insert_layer(0, "Input")
    assert [layer.class_name for layer in empty.spec.layers] == ["Input", "Dense"]


def test_refused_moves(doc):
    assert "stays at the top" in doc.move_layer(0, 2)
    assert "above the Input" in doc.move_layer(2, 0)
    assert "no layer" in doc.can_move(5, 1)
    assert doc.undo_stack.count() == 0
    assert doc.can_move(2, 1) is None


def test_refused_duplicate_and_rename(doc):
    assert "one Input" in doc.duplicate_layer(0)
    assert "already used" in doc.rename_layer(1, "dense_1")
    assert "starts with a letter" in doc.rename_layer(1, "9 lives")
    assert "no setting" in doc.set_param(1, "rate", 0.1)
    assert doc.undo_stack.count() == 0


def test_modified_flag_follows_clean_state(doc, qtbot, tmp_path):
    seen = []
    doc.modifiedChanged.connect(seen.append)
    doc.set_param(1, "units", 10)
    assert doc.is_modified() and seen == [True]
    doc.undo_stack.undo()
    assert not doc.is_modified() and seen == [True, False]
    doc.undo_stack.redo()
    with qtbot.waitSignal(doc.pathChanged) as path_signal:
        doc.mark_saved(tmp_path / "a.nnstudio")
    assert path_signal.args == [tmp_path / "a.nnstudio"] and doc.path == tmp_path / "a.nnstudio"
    assert not doc.is_modified() and seen == [True, False, True, False]
    doc.undo_stack.undo()  # before the save point: modified again
    assert doc.is_modified()


def test_load_clears_undo_and_is_clean(doc, qtbot, tmp_path):
    doc.set_param(1, "units", 10)
    doc.select_layer(1)
    spec = ModelSpec(name="loaded")
    with qtbot.waitSignals([doc.changed, doc.pathChanged, doc.modifiedChanged, doc.selectionChanged]):
        doc.load(spec, tmp_path / "x.nnstudio", {"zoom": 2})
    assert doc.spec == spec and doc.editor == {"zoom": 2} and doc.path == tmp_path / "x.nnstudio"
    assert doc.undo_stack.count() == 0 and not doc.is_modified() and doc.selected_index == -1
    doc.load(ModelSpec(), None, {})
    assert doc.spec.layers == () and doc.path is None


def test_changed_and_selection_signals(doc, qtbot):
    specs, selections = [], []
    doc.changed.connect(specs.append)
    doc.selectionChanged.connect(selections.append)
    doc.select_layer(2)
    doc.select_layer(2)  # no change, no signal
    doc.select_layer(99)  # out of range: nothing selected
    doc.insert_layer(1, "Dropout")
    assert selections == [2, -1, 1]
    assert specs == [doc.spec]
    assert doc.selected_layer().name == "dropout"


def test_summary_is_cached_per_spec(doc):
    first = doc.summary()
    assert doc.summary() is first and first.total_params == 1994
    doc.set_param(1, "units", 1)
    assert doc.summary() is not first


def test_thousands_of_edits_and_signals_do_not_crash(doc):
    """PySide6 6.12's Signal.emit() drops a reference to True per call (pyproject pins PySide6 < 6.12)."""
    import gc
    import sys

    gc.collect()
    gc.disable()  # the cyclic collector freeing earlier tests' objects would lower the counts too
    try:
        before = sys.getrefcount(True), sys.getrefcount(None)
        for i in range(3000):
            doc.select_layer(i % 3)
            doc.editRefused.emit("x")
        for units in range(1, 500):
            doc.set_param(1, "units", units)
        after = sys.getrefcount(True), sys.getrefcount(None)
    finally:
        gc.enable()
    # A leaking emit() would take >= 3000 references from True (or None); normal churn is far smaller.
    assert after[0] > before[0] - 1000
    assert after[1] > before[1] - 1000


def test_changing_the_optimizer_drops_its_options_and_undo_restores_them(doc):
    kept = CompileSpec("categorical_crossentropy", "sgd", 0.01, (), {"momentum": 0.9}, {"from_logits": True})
    doc.load(lesson_spec().with_compile(kept))
    doc.set_compile(doc.spec.compile.edited(optimizer="adam"))
    assert doc.undo_stack.undoText() == "Set optimizer to adam"
    assert doc.spec.compile.optimizer_options == () and doc.spec.compile.loss_kwargs() == {"from_logits": True}
    doc.set_compile(doc.spec.compile.edited(loss="huber"))
    assert doc.undo_stack.undoText() == "Set loss to huber" and doc.spec.compile.loss_options == ()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.spec.compile == kept
    doc.undo_stack.redo()
    assert doc.spec.compile == kept.edited(optimizer="adam")


def test_views_reading_the_selection_on_changed_see_the_layer_they_will_show(qapp):
    doc = Document(lesson_spec())
    doc.select_layer(2)  # dense_1
    seen = []
    doc.changed.connect(lambda spec: seen.append((doc.selected_index, doc.selected_layer().class_name)))
    moved = []
    doc.selectionChanged.connect(moved.append)
    assert doc.insert_layer(1, "Dropout") is None  # selects the new layer
    assert seen == [(1, "Dropout")] and moved == [1]
    doc.undo_stack.undo()  # dense_1 selected again
    assert seen[-1] == (2, "Dense") and moved == [1, 2]
