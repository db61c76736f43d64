"""A big model reaches the views in short steps of the GUI thread (issue 12, point 2: the GUI thread's
longest gap): the opened file is analysed in the reading thread, the summary's columns are sized
from the font, and the canvas's columns are laid out in a background thread before the canvas takes
the model; a newer model supersedes a layout under way, and `flush_views` never waits for one."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from nnstudio.core import graph_blocks
from nnstudio.core.project import save_project
from nnstudio.core.spec import lesson_spec
from nnstudio.services import document as document_module
from nnstudio.services.document import Document
from nnstudio.ui import file_actions, layer_stack
from nnstudio.ui.canvas import layout as canvas_layout
from nnstudio.ui.main_window import BACKGROUND_LAYOUT_LAYERS, MainWindow
from nnstudio.ui.property_editor import PropertyEditor
from tests.core.applications_topology import application_model
from tests.ui.fakes import FakeBuilds, FakeTraining

WAIT_MS = 20_000


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Ok))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(Document(lesson_spec()), FakeBuilds(), FakeTraining(), settings=settings)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitUntil(w.views_current)
    yield w
    w.document.undo_stack.setClean()
    w.files.close()
    w.files.reader.wait(WAIT_MS / 1000)


@pytest.fixture(scope="module")
def resnet():
    spec = application_model("ResNet50")
    assert len(spec.layers) >= BACKGROUND_LAYOUT_LAYERS
    return spec


@pytest.fixture
def held_layouts(monkeypatch):
    """The canvas's layouts in the background wait until the test lets them go (`.set()`)."""
    release = threading.Event()
    real = canvas_layout.build_columns

    def build_columns(*args, **kwargs):
        if threading.current_thread().name == "canvas-layout":
            release.wait(WAIT_MS / 1000)
        return real(*args, **kwargs)

    monkeypatch.setattr(canvas_layout, "build_columns", build_columns)
    yield release
    release.set()


def threads_calling(monkeypatch, module) -> list[str]:
    """The names of the threads that call `module.analyze` from now on."""
    names: list[str] = []
    real = module.analyze

    def analyze(*args, **kwargs):
        names.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "analyze", analyze)
    return names


def test_an_opened_file_is_analysed_in_the_reading_thread_only(window, qtbot, tmp_path, monkeypatch, resnet):
    path = tmp_path / "resnet.nnstudio"
    save_project(path, resnet)
    in_reader = threads_calling(monkeypatch, file_actions)
    in_document = threads_calling(monkeypatch, document_module)
    blocks_found_in: list[str] = []
    real_blocks = graph_blocks._repeated_blocks
    monkeypatch.setattr(
        graph_blocks,
        "_repeated_blocks",
        lambda spec: blocks_found_in.append(threading.current_thread().name) or real_blocks(spec),
    )
    described_in: set[str] = set()
    real_described = layer_stack._described
    monkeypatch.setattr(
        layer_stack,
        "_described",
        lambda layer: described_in.add(threading.current_thread().name) or real_described(layer),
    )
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))

    with qtbot.waitSignal(window.files.openFinished, timeout=WAIT_MS) as opened:
        window.app_actions["file.open"].trigger()
    assert opened.args == [str(path), ""]
    assert in_reader == ["file-reader"]
    qtbot.waitUntil(window.views_current, timeout=WAIT_MS)
    assert in_document == []  # every view read the analysis made off the GUI thread
    assert blocks_found_in == ["file-reader"]  # and the repeated blocks the graph view collapses
    assert described_in == {"file-reader"}  # and the layers' words the layer list and the graph show
    assert window.graph_view.groups and window.graph_view.group_items
    summary = window.document.summary()
    assert summary.ok and window.summary_table.model.rowCount() == len(summary.rows)
    assert window.canvas._spec is window.document.spec


def test_the_summary_columns_are_as_wide_as_qt_sizes_them(window, qtbot, resnet):
    window.document.load(resnet)
    assert window.summary_table.fitting() and not window.views_current()  # on a turn after the load's
    qtbot.waitUntil(window.views_current, timeout=WAIT_MS)
    view = window.summary_table.view
    header = view.horizontalHeader()
    ours = [header.sectionSize(column) for column in range(1, window.summary_table.model.columnCount())]
    assert len(ours) == 3  # Output Shape, Param #, Connected to
    for column in range(1, window.summary_table.model.columnCount()):
        view.resizeColumnToContents(column)  # Qt's own measure: every cell through the style
    assert [header.sectionSize(column) for column in range(1, len(ours) + 1)] == ours


def test_a_big_model_s_canvas_columns_are_laid_out_in_a_background_thread(window, qtbot, resnet):
    canvas = window.canvas
    steps: list[str] = []
    window.viewsUpdated.connect(lambda: steps.append("views updated"))
    window.document.load(resnet)
    assert not window.views_current() and canvas._spec is not window.document.spec
    assert not canvas.updatesEnabled()  # the model going is not painted again meanwhile
    qtbot.waitUntil(window.views_current, timeout=WAIT_MS)
    assert canvas.updatesEnabled()
    assert "canvas-layout" in canvas._layouts.threads_used
    assert steps == ["views updated"]
    assert canvas._spec is window.document.spec
    assert [column.name for column in canvas.columns[1:]] == [
        row.name for row in window.document.summary().rows if row.name != resnet.layers[0].name
    ]


def test_the_canvas_fits_and_draws_a_new_model_on_a_turn_after_it_takes_it(window, qtbot, resnet, monkeypatch):
    canvas = window.canvas
    calls: list[object] = []
    real_set_model, real_draw_model = canvas.set_model, canvas.draw_model

    def set_model(summary, spec, drawn=True):
        calls.append(("set_model", drawn))
        real_set_model(summary, spec, drawn)
        QTimer.singleShot(0, lambda: calls.append("a turn"))

    monkeypatch.setattr(canvas, "set_model", set_model)
    monkeypatch.setattr(canvas, "draw_model", lambda: calls.append("draw_model") or real_draw_model())
    window.document.load(resnet)
    qtbot.waitUntil(window.views_current, timeout=WAIT_MS)
    assert calls == [("set_model", False), "a turn", "draw_model"]
    assert canvas.updatesEnabled() and canvas.lod.columns  # fitted and drawn
    assert canvas.describe_at(canvas.columns[1].x, 0.0)  # the new model's columns are on screen


def test_a_fit_asked_for_before_the_new_model_is_drawn_is_its_drawing_fit(window, qtbot, resnet, monkeypatch):
    """The model taken (its status text, the graph view appearing) asks for a fit before it is drawn:
    that fit is the drawing's own (made by plan_drawing, the turn before draw_model), not one more of
    the same model ahead of it."""
    canvas = window.canvas
    calls: list[str] = []
    real_set_model, real_draw_model, real_plan = canvas.set_model, canvas.draw_model, canvas.plan_drawing
    real_fit = canvas._set_fit_range

    def set_model(summary, spec, drawn=True):
        calls.append("set_model")
        real_set_model(summary, spec, drawn)
        canvas._request_fit(status=True)  # as a status text that takes other room asks

    monkeypatch.setattr(canvas, "set_model", set_model)
    monkeypatch.setattr(canvas, "draw_model", lambda: calls.append("draw_model") or real_draw_model())
    monkeypatch.setattr(canvas, "_set_fit_range", lambda: calls.append("fit") or real_fit())
    monkeypatch.setattr(canvas, "plan_drawing", lambda: calls.append("plan_drawing") or real_plan())
    window.document.load(resnet)
    qtbot.waitUntil(window.views_current, timeout=WAIT_MS)
    taken = calls.index("set_model")
    assert calls[taken:] == ["set_model", "plan_drawing", "fit", "draw_model"], calls  # fitted once
    assert canvas.lod.columns and canvas._last_fit == canvas.view.viewRange()  # fitted and drawn


def test_a_newer_model_supersedes_a_layout_under_way(window, qtbot, resnet, held_layouts):
    window.document.load(resnet)
    qtbot.waitUntil(lambda: window.canvas._layouts.running, timeout=WAIT_MS)  # the layout runs
    lesson = lesson_spec()
    window.document.load(lesson)
    held_layouts.set()
    qtbot.waitUntil(window.views_current, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.canvas._layouts.running, timeout=WAIT_MS)
    assert window.canvas._spec is window.document.spec
    assert [column.name for column in window.canvas.columns] == ["input_layer", "dense", "dense_1"]


def test_flush_views_gives_the_canvas_the_model_without_waiting_for_the_layout(window, qtbot, resnet, held_layouts):
    window.document.load(resnet)
    qtbot.waitUntil(lambda: window.canvas._layouts.running, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.graph_view.laying_out(), timeout=WAIT_MS)  # the graph's is drawn
    window.flush_views()
    assert window.views_current() and window.canvas._spec is window.document.spec
    assert len(window.canvas.columns) == len(window.document.summary().rows)  # the Input row is the first column
    held_layouts.set()
    with qtbot.assertNotEmitted(window.viewsUpdated, wait=200):  # the layout's late answer changes nothing
        qtbot.waitUntil(lambda: not window.canvas._layouts.running, timeout=WAIT_MS)
    assert window.canvas._spec is window.document.spec


def test_a_window_closed_with_an_update_under_way_takes_it_up_when_shown_again(window, qtbot, resnet):
    window.document.load(resnet)
    window.document.undo_stack.setClean()
    window.close()
    layouts = window.canvas._layouts
    qtbot.waitUntil(lambda: not layouts.running, timeout=WAIT_MS)  # the canvas's layout came: not taken
    with qtbot.assertNotEmitted(window.viewsUpdated, wait=100):
        pass
    assert window.canvas._spec is not window.document.spec and not window.views_current()
    window.show()
    qtbot.waitUntil(window.views_current, timeout=WAIT_MS)
    assert window.canvas._spec is window.document.spec


def test_a_small_model_s_canvas_keeps_painting_through_an_edit_not_through_another_model(window, qtbot):
    window.document.set_param(1, "units", 8)
    assert not window.views_current() and window.canvas.updatesEnabled()
    qtbot.waitUntil(window.views_current, timeout=WAIT_MS)
    assert [column.n for column in window.canvas.columns] == [20, 8, 10]
    spec = lesson_spec()
    window.document.load(spec.with_layer(1, spec.layers[1].with_params(units=16)))
    assert not window.views_current() and not window.canvas.updatesEnabled()
    qtbot.waitUntil(window.views_current, timeout=WAIT_MS)
    assert window.canvas.updatesEnabled() and [column.n for column in window.canvas.columns] == [20, 16, 10]


class PaintRecorder(QObject):
    """Appends "paint" to `events` at each paint of the watched widget."""

    def __init__(self, events: list) -> None:
        super().__init__()
        self.events = events

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint:
            self.events.append("paint")
        return False


def test_an_open_ends_in_two_steps_the_views_painted_before_the_first_layer_s_form_is_built(
    window, qtbot, tmp_path, monkeypatch, resnet
):
    path = tmp_path / "resnet.nnstudio"
    save_project(path, resnet)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    doc = window.document
    events: list = []
    doc.changed.connect(lambda _spec: events.append(("changed", int(doc.selected_index))))
    doc.selectionChanged.connect(lambda index: events.append(("selected", index)))
    window.files.openFinished.connect(lambda _path, _error: events.append("finished"))
    recorder = PaintRecorder(events)
    window.summary_table.view.viewport().installEventFilter(recorder)
    new_form = PropertyEditor._new_form
    monkeypatch.setattr(
        PropertyEditor, "_new_form", lambda self, i, c: events.append(("form", c)) or new_form(self, i, c)
    )

    with qtbot.waitSignal(window.files.openFinished, timeout=WAIT_MS):
        window.app_actions["file.open"].trigger()
    window.summary_table.view.viewport().removeEventFilter(recorder)
    first = next(i for i, layer in enumerate(resnet.layers) if layer.class_name != "Input")
    steps = events
    changed_at = steps.index(("changed", -1))
    selected_at = steps.index(("selected", first))
    assert changed_at < selected_at < steps.index("finished")
    assert "paint" in steps[changed_at:selected_at]  # the model shown before its first layer's form is made
    form_at = steps.index(("form", resnet.layers[first].class_name))
    assert changed_at < form_at < selected_at, "the form is made on a step before the selection"
    assert ("form", resnet.layers[first].class_name) not in steps[form_at + 1 :], "and made once"
    assert doc.selected_index == first and window.property_editor.layer_index == first


def test_after_an_open_the_forms_of_the_model_s_classes_are_made_before_they_are_selected(
    window, qtbot, tmp_path, monkeypatch, resnet
):
    path = tmp_path / "resnet.nnstudio"
    save_project(path, resnet)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    made: list[str] = []
    new_form = PropertyEditor._new_form
    monkeypatch.setattr(PropertyEditor, "_new_form", lambda self, i, c: made.append(c) or new_form(self, i, c))

    with qtbot.waitSignal(window.files.openFinished, timeout=WAIT_MS):
        window.app_actions["file.open"].trigger()
    classes = {layer.class_name for layer in resnet.layers}
    editor = window.property_editor
    qtbot.waitUntil(lambda: editor.kept_forms == len(classes), timeout=WAIT_MS)  # a form for each, whole
    first = resnet.layers[next(i for i, layer in enumerate(resnet.layers) if layer.class_name != "Input")]
    assert made[:2] == [first.class_name, resnet.layers[-1].class_name]  # the head's class next to the first
    assert sorted(made) == sorted(classes), "each made once"
    shown = editor.pages.currentWidget()
    assert shown is not None and editor.layer_index == window.document.selected_index  # the form on show stays

    made.clear()
    window.document.select_layer(len(resnet.layers) - 1)
    assert made == [] and editor.layer_index == len(resnet.layers) - 1
    assert editor.field("units").isVisible() and editor.pages.currentWidget() is not shown


def test_an_opened_model_s_graph_is_laid_out_after_the_window_has_painted_it(window, qtbot, monkeypatch, resnet):
    """The graph's layout thread starts on a pass of the event loop after the window's paint of the
    opened model: the layout's Python and the paint's take turns holding the interpreter, and the
    paint, the open's longest step, took twice as long while a layout ran."""
    events: list = []
    recorder = PaintRecorder(events)
    window.summary_table.view.viewport().installEventFilter(recorder)
    job = window.graph_view._layout_job
    start = job.start
    monkeypatch.setattr(job, "start", lambda tag, work: events.append("layout") or start(tag, work))
    window.document.load(resnet)
    assert events == [] and window.graph_view.laying_out()
    qtbot.waitUntil(lambda: "layout" in events, timeout=WAIT_MS)
    window.summary_table.view.viewport().removeEventFilter(recorder)
    assert "paint" in events and events.index("paint") < events.index("layout")
    qtbot.waitUntil(lambda: not window.graph_view.laying_out(), timeout=WAIT_MS)
    assert window.graph_view.group_items, "and the graph is drawn once laid out"
