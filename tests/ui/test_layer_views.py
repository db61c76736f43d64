"""Every registered layer type in every view: no view may lack one, and none falls back silently.

Walks the registry: an icon file that loads, an entry in the palette with its family, an editor
for every parameter kind in the property editor, a drawer for its drawing kind on the canvas
(with its marker where the drawer needs one), the layer stack's short description, the code
generator and the `.keras` reader's allow-list.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QWidget

from nnstudio.core.codegen import layer_call
from nnstudio.core.keras_archive import config_types
from nnstudio.core.layers import LayerType, all_types, layer_types
from nnstudio.core.layers.params import ParamKind
from nnstudio.core.layers.registry import family
from nnstudio.core.spec import LayerSpec, ModelSpec, lesson_spec
from nnstudio.core.summary import analyze
from nnstudio.services.document import Document
from nnstudio.ui.canvas import layout as L
from nnstudio.ui.canvas.attention import HeadsItem, heads_plan
from nnstudio.ui.canvas.join import JoinItem, join_edges, symbol
from nnstudio.ui.canvas.theme import LIGHT_THEME
from nnstudio.ui.canvas.widget import STAGE_SYMBOLS
from nnstudio.ui.icons import icon_path, layer_icon
from nnstudio.ui.layer_stack import describe
from nnstudio.ui.palette import LayerPalette
from nnstudio.ui.param_editors import EDITORS
from nnstudio.ui.property_editor import PropertyEditor

TYPES = list(all_types())


def _ids(kind: LayerType) -> str:
    return kind.class_name


def _kinds(cls: type = ParamKind) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_kinds(sub)]
    return found


@pytest.mark.parametrize("kind_class", _kinds(), ids=lambda c: c.__name__)
def test_every_parameter_kind_has_an_editor(kind_class):
    assert kind_class.editor in EDITORS, f"{kind_class.__name__} wants editor {kind_class.editor!r}"


@pytest.mark.parametrize("kind", TYPES, ids=_ids)
def test_icon_palette_and_stack(qtbot, kind):
    assert icon_path(kind.icon).is_file(), f"resources/icons/{kind.icon}.svg is missing"
    assert not layer_icon(kind.class_name).isNull()
    palette = LayerPalette()
    qtbot.addWidget(palette)
    item = palette.item_for(kind.class_name)
    assert kind.help in item.toolTip(0) and family(kind.family).title in item.toolTip(0)
    spec = ModelSpec()
    layer = spec.new_layer(kind.class_name)
    assert describe(layer).startswith(f"{kind.class_name}(")
    assert layer.name == kind.name_stem


@pytest.mark.parametrize("kind", TYPES, ids=_ids)
def test_property_editor_has_a_widget_for_every_parameter(qtbot, kind):
    spec = lesson_spec()
    index = 0 if kind.is_input else 1
    if not kind.is_input:
        spec = spec.inserted(index, spec.new_layer(kind.class_name))
    document = Document(spec)
    editor = PropertyEditor(document)
    qtbot.addWidget(editor)
    document.select_layer(index)
    assert [key for key in editor.fields if "." not in key] == ["name", *(p.name for p in kind.params)]
    for param in kind.params:
        widget = editor.field(param.name)
        assert isinstance(widget, QWidget) and param.help in widget.toolTip()
        value = document.spec.layers[index].get(param.name)
        if param.kind.nested and isinstance(value, dict):  # the wrapped layer's own settings, each with its editor
            inner = layer_types()[value["class_name"]]
            for inner_param in inner.params:
                assert inner_param.help in editor.field(f"{param.name}.{inner_param.name}").toolTip()


@pytest.mark.parametrize("kind", TYPES, ids=_ids)
def test_canvas_has_a_drawer_and_draws_each_accepted_sample(qtbot, kind):
    drawer = L.DRAWERS[kind.drawing]  # no fallback: a type with an unknown drawing kind fails here
    if drawer.needs_marker:
        assert kind.marker is not None
        assert kind.class_name in STAGE_SYMBOLS and kind.class_name in LIGHT_THEME.stage_fills
    if not kind.takes_one_input and not kind.is_input:
        _draw_multi_input_samples(qtbot, kind, drawer)
        return
    for sample in kind.samples:
        if sample.refused_at is not None or kind.is_input or len(sample.inputs) != 1:
            continue
        spec = ModelSpec()
        spec = spec.inserted(0, spec.new_layer("Input", shape=list(sample.inputs[0])))
        spec = spec.inserted(1, spec.new_layer(kind.class_name, **sample.params))
        columns, _links = L.build_columns(analyze(spec), spec)
        drawn = L.DRAWERS[kind.drawing_of(spec.layers[1].params)]  # TimeDistributed: as the layer it wraps
        assert [c.kind for c in columns] == ["input", drawn.column]
        assert columns[1].n > 0 and columns[1].detail


def _render(qtbot, item) -> QImage:
    """`item` drawn by a view fitted to it, as an image."""
    view = pg.PlotWidget()
    qtbot.addWidget(view)
    view.resize(240, 200)
    view.addItem(item)
    view.autoRange(padding=0.1)
    return view.grab().toImage()


def _inked(image: QImage, colour: QColor) -> int:
    """How many pixels of `image` are near `colour`."""
    bits = image.convertToFormat(QImage.Format.Format_RGB32)
    data = np.frombuffer(bits.constBits(), np.uint8).reshape(bits.height(), bits.bytesPerLine())
    pixels = data[:, : bits.width() * 4].reshape(bits.height(), bits.width(), 4)[..., :3].astype(int)
    target = np.array([colour.blue(), colour.green(), colour.red()])
    return int((np.abs(pixels - target).sum(axis=-1) < 40).sum())


def _draw_multi_input_samples(qtbot, kind: LayerType, drawer: L.Drawer) -> None:
    """A type that takes several inputs is drawn by its own drawer: a merge as a join with its
    value-to-value edges, MultiHeadAttention as heads with their weights."""
    assert drawer.link == {"merge": "join", "attention": "heads"}[kind.drawing]
    rng = np.random.default_rng(0)
    for sample in kind.samples:
        if sample.refused_at is not None:
            continue
        settings = {**kind.defaults(), **sample.params}
        (output,), variables = kind.infer(settings, list(sample.inputs))
        if kind.drawing == "merge":
            edges = join_edges(kind.class_name, settings, sample.inputs, output)
            assert edges is not None and len(edges) == len(sample.inputs)
            outputs = math.prod(d or 1 for d in output)
            for shape, (src, dst) in zip(sample.inputs, edges, strict=True):
                assert src.shape == dst.shape and src.size
                assert src.min() >= 0 and src.max() < math.prod(d or 1 for d in shape) and dst.max() < outputs
            assert set(np.concatenate([dst for _src, dst in edges]).tolist()) == set(range(outputs))
            item = JoinItem(symbol(kind.class_name, settings), (1.0, 0.0), [(0.0, y) for y in (-0.5, 0.5)])
            assert _inked(_render(qtbot, item), QColor(LIGHT_THEME.ink)) > 0
        else:
            arrays = [rng.normal(size=v.shape).astype(np.float32) for v in variables]
            plan = heads_plan(kind.class_name, settings, sample.inputs, arrays)
            heads = settings.get("num_heads", 1)
            expected = set()
            if "num_heads" in settings:
                expected = {"query", "key", "value", "output"} | ({"gate"} if settings["use_gate"] else set())
            assert plan.num_heads == heads and set(plan.projections) == expected
            assert all(w.strength.shape == (heads,) and np.all(w.strength > 0) for w in plan.projections.values())
            ports = {"query": (0.0, 0.5), "value": (0.0, -0.5)}
            item = HeadsItem(heads, ports, (2.0, 0.0), 1.0, 1.0, plan)
            assert len(item.lines()) == heads * len(expected or {"query", "key", "value", "output"})
            assert _inked(_render(qtbot, item), QColor(LIGHT_THEME.ink)) > 0


@pytest.mark.parametrize("kind", TYPES, ids=_ids)
def test_code_generation_and_keras_reader_know_it(kind):
    assert kind in config_types()
    call = layer_call(LayerSpec(kind.class_name, kind.name_stem, kind.defaults()))
    assert call.startswith(f"{kind.constructor}(") and call.endswith(f'name="{kind.name_stem}")')


def test_an_axis_of_varying_size_is_drawn_as_one_step_and_said(qtbot):
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[None, 8]))
    spec = spec.inserted(1, spec.new_layer("Dense", units=64))
    columns, links = L.build_columns(analyze(spec), spec)
    assert [(c.kind, c.n, c.varying) for c in columns] == [("input", 8, True), ("dense", 64, True)]
    assert "variable length" in columns[0].detail and "variable length" in columns[1].detail
    assert [lk.kind for lk in links] == ["dense"]
    kernel = np.random.default_rng(0).normal(size=(8, 64)).astype(np.float32)
    L.apply_weights(columns, links, {"dense": [kernel, np.ones(64, np.float32)]})
    assert links[0].pyramid is not None and links[0].pyramid.shape == (8, 64)
    assert columns[1].bias is not None and columns[1].bias.size == 64
