"""The summary table on its own: Keras's words and numbers, the comparison with Keras's rows, errors, selection."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from nnstudio.core.spec import ModelSpec, lesson_spec
from nnstudio.core.summary import analyze
from nnstudio.engine.protocol import BuildFailure, BuildResult
from nnstudio.services.document import Document
from nnstudio.ui.summary_table import (
    CONFIRMED,
    FAILED,
    FUNCTIONAL_HEADERS,
    HEADERS,
    INVALID,
    MISMATCH,
    PENDING,
    SummaryTable,
    compare_rows,
    keras_shape_text,
)


def keras_rows(spec: ModelSpec) -> list[dict]:
    return [
        {
            "name": r.name,
            "type": r.class_name,
            "output_shape": [None, *r.output_shape],
            "params": r.params,
            "trainable": r.trainable,
            "non_trainable": r.non_trainable,
        }
        for r in analyze(spec).rows
    ]


def result_for(spec: ModelSpec, rows: list[dict] | None = None) -> BuildResult:
    s = analyze(spec)
    return BuildResult(
        1,
        spec,
        rows if rows is not None else keras_rows(spec),
        s.total_params,
        s.trainable_params,
        s.non_trainable_params,
        {},
        12.0,
    )


@pytest.fixture
def table(qtbot):
    document = Document()
    widget = SummaryTable(document)
    qtbot.addWidget(widget)
    widget.show()
    return document, widget


def texts(widget) -> list[list[str]]:
    m = widget.model
    return [[m.index(r, c).data() for c in range(3)] for r in range(m.rowCount())]


def test_headers_and_numbers_in_keras_words(table):
    document, widget = table
    assert widget.objectName() == "summaryTable"
    assert [widget.model.headerData(i, Qt.Orientation.Horizontal) for i in range(3)] == list(HEADERS)
    assert HEADERS == ("Layer (type)", "Output Shape", "Param #")
    assert texts(widget) == [["dense (Dense)", "(None, 64)", "1,344"], ["dense_1 (Dense)", "(None, 10)", "650"]]
    assert widget.totals_text().splitlines() == [
        "Total params: 1,994 (7.79 KB)",
        "Trainable params: 1,994 (7.79 KB)",
        "Non-trainable params: 0 (0.00 B)",
    ]
    assert widget.state == PENDING


def test_batch_normalization_counts_non_trainable(table):
    document, widget = table
    document.insert_layer(2, "BatchNormalization")
    assert texts(widget)[1] == ["batch_normalization (BatchNormalization)", "(None, 64)", "256"]
    assert widget.totals_text().splitlines()[2] == "Non-trainable params: 128 (512.00 B)"


def test_keras_shape_text():
    assert keras_shape_text([None, 64]) == "(None, 64)"
    assert keras_shape_text((None, 4, 5)) == "(None, 4, 5)"
    assert keras_shape_text("(None, 3)") == "(None, 3)"
    assert keras_shape_text(None) == "?"


def test_compare_rows_finds_every_disagreement():
    spec = lesson_spec()
    summary = analyze(spec)
    assert compare_rows(summary, keras_rows(spec)) == []
    rows = keras_rows(spec)
    rows[0]["params"] = 1
    rows[1]["output_shape"] = [None, 11]
    problems = compare_rows(summary, rows)
    assert problems == ["dense: 1,344 params vs Keras 1", "dense_1: shape (None, 10) vs Keras (None, 11)"]
    assert "Keras has 1 rows" in compare_rows(summary, keras_rows(spec)[:1])[0]
    renamed = keras_rows(spec)
    renamed[1]["name"] = "dense_7"
    assert compare_rows(summary, renamed) == ["row dense_1: Keras names it dense_7"]


def test_confirmation_mismatch_and_stale_results(table, qtbot):
    document, widget = table
    with qtbot.waitSignal(widget.confirmedChanged) as blocker:
        widget.on_build_finished(result_for(document.spec))
    assert blocker.args == [True] and widget.state == CONFIRMED
    assert "built in 12 ms" in widget.state_label.text()

    old = document.spec
    with qtbot.waitSignal(widget.confirmedChanged) as blocker:
        document.set_param(1, "units", 3)
    assert blocker.args == [False] and widget.state == PENDING
    widget.on_build_finished(result_for(old))  # stale: for a spec no longer on screen
    assert widget.state == PENDING

    rows = keras_rows(document.spec)
    rows[0]["params"] += 1
    widget.on_build_finished(result_for(document.spec, rows))
    assert widget.state == MISMATCH and "Keras disagrees" in widget.state_label.text()


def test_keras_failure_marks_its_layer_and_stale_failures_are_ignored(table):
    document, widget = table
    widget.on_build_failed(BuildFailure(1, lesson_spec().removed(2), "old news", "dense"))
    assert widget.state == PENDING
    widget.on_build_failed(BuildFailure(2, document.spec, "Keras said no", "dense_1"))
    assert widget.state == FAILED
    assert "Keras said no" in widget.state_label.text()
    m = widget.model
    assert m.index(1, 0).data(Qt.ItemDataRole.ToolTipRole) == "Keras said no"
    assert m.index(1, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert m.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    document.set_param(1, "units", 5)  # a new spec: the Keras error belongs to the old one
    assert m.index(1, 0).data(Qt.ItemDataRole.ForegroundRole) is None


def test_an_invalid_model_shows_its_first_problem(table):
    document, widget = table
    document.set_param(1, "units", -5)
    assert widget.state == INVALID
    assert "dense: units must be a positive integer. Received: units=-5" in widget.state_label.text()
    m = widget.model
    assert m.index(0, 1).data() == "error"
    assert m.index(0, 2).data() == "—"
    assert "Received: units=-5" in m.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    # the row after an error cannot be inferred either
    assert m.index(1, 1).data() == "?"


def test_an_empty_model(qtbot):
    document = Document.new_empty()
    widget = SummaryTable(document)
    qtbot.addWidget(widget)
    assert widget.model.rowCount() == 0
    assert widget.state == INVALID
    assert "add an Input first" in widget.state_label.text()
    assert widget.totals_text().startswith("Total params: 0 (0.00 B)")


def test_selection_both_ways(table):
    document, widget = table
    widget.view.selectRow(0)
    assert document.selected_index == 1
    document.select_layer(2)
    assert widget.view.currentIndex().row() == 1
    document.select_layer(-1)
    assert not widget.view.selectionModel().hasSelection()


def test_a_functional_model_shows_keras_s_order_inputs_and_connected_to(qtbot):
    from tests.core.graph_builder import GraphBuilder

    g = GraphBuilder("residual")
    x = g.input("x", [8])
    h = g.call("Dense", "hidden", x, units=8)
    spec = g.model(g.call("Dense", "out", g.call("Add", "add", x, h), units=2))
    listed = ModelSpec(spec.name, tuple(reversed(spec.layers)), inputs=spec.inputs, outputs=spec.outputs)
    document = Document(listed)
    widget = SummaryTable(document)
    qtbot.addWidget(widget)
    widget.show()
    m = widget.model
    assert [m.headerData(i, Qt.Orientation.Horizontal) for i in range(m.columnCount())] == list(FUNCTIONAL_HEADERS)
    assert [[m.index(r, c).data() for c in range(4)] for r in range(m.rowCount())] == [
        ["x (InputLayer)", "(None, 8)", "0", "-"],
        ["hidden (Dense)", "(None, 8)", "72", "x[0][0]"],
        ["add (Add)", "(None, 8)", "0", "x[0][0], hidden[0][0]"],
        ["out (Dense)", "(None, 2)", "18", "add[0][0]"],
    ]
    # a row stands for its layer wherever spec.layers lists it
    widget.view.selectRow(1)
    assert document.spec.layers[int(document.selected_index)].name == "hidden"
    assert "Connected to" in widget.copy_summary()
    keras = [
        {"name": r.name, "type": r.type_name, "output_shape": [None, *r.output_shape], "params": r.params}
        for r in analyze(spec).rows
    ]
    assert keras[0]["type"] == "InputLayer" and compare_rows(widget.summary(), keras) == []

    document.load(lesson_spec())  # back to a Sequential stack: Keras's three columns
    assert m.columnCount() == 3 and texts(widget)[0] == ["dense (Dense)", "(None, 64)", "1,344"]
