"""Every layer type after every other: the canvas draws no connection outside the columns it joins.

The models come from the registry: Input -> A -> B for layer types A and B that can stand in a
Sequential stack, A with the input shape and settings of one of its own samples, B with one of its
samples' settings, as long as nnstudio's inference accepts the pair. The drawn connections are
checked in the edge items' own data (the arrays the lines are rasterised from), with the real
weights' shapes filled with random numbers, and the rasterised image is checked once for lines
outside the drawing (the stray lines from the canvas's corner, issue 15).

The fast set runs every type after and before a few common ones; the full sweep of all pairs is
marked `sweep` and runs only when asked for (`-m sweep`).
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from PySide6 import QtGui

from nnstudio.core.layers.registry import all_types
from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import analyze
from nnstudio.ui.canvas import NetworkCanvas
from nnstudio.ui.canvas import layout as L
from nnstudio.ui.canvas.theme import LIGHT_THEME, theme_for

CHAIN_TYPES = tuple(t for t in all_types() if not t.is_input and t.sequential_problem() is None)
COMMON = ("Dense", "Dropout")  # the fast set: every type after and before these (Dropout after Dense: issue 15)
SAMPLED_PAIRS = 20  # and this many other pairs, drawn with a fixed seed


def _valid_samples(kind):
    samples = [s for s in kind.samples if s.refused_at is None and len(s.inputs) == 1]
    return samples or []


def pair_spec(first, second) -> ModelSpec | None:
    """Input -> first -> second with sample settings both accept, or None when no sample fits."""
    for sample in _valid_samples(first):
        shape = sample.inputs[0]
        for then in [*_valid_samples(second), None]:
            spec = ModelSpec()
            spec = spec.inserted(0, spec.new_layer("Input", shape=list(shape)))
            spec = spec.inserted(1, spec.new_layer(first.class_name, **dict(sample.params)))
            spec = spec.inserted(2, spec.new_layer(second.class_name, **dict(then.params if then else {})))
            if analyze(spec).ok:
                return spec
    return None


def random_weights(canvas: NetworkCanvas, seed: int = 0) -> dict[str, list[np.ndarray]]:
    """Random arrays of every drawn layer's variable shapes (what Keras's get_weights() gives)."""
    rng = np.random.default_rng(seed)
    return {
        col.name: [rng.normal(0, 0.2, shape).astype(np.float32) for shape in col.weight_shapes]
        for col in canvas.columns
        if col.weight_shapes and all(math.prod(s) <= 2_000_000 for s in col.weight_shapes)
    }


def segments_by_link(canvas: NetworkCanvas):
    """(link number in canvas.links, x0, y0, x1, y1) of every segment in the edge items' data."""
    edges = canvas.edges
    for b, (link_numbers, _edge_numbers) in edges.keys.items():
        xs = [edges.items[(b, h)].xData for h in (0, 1)]
        ys = [edges.items[(b, h)].yData for h in (0, 1)]
        x = np.concatenate([a for a in xs if a is not None and len(a)] or [np.zeros(0)])
        y = np.concatenate([a for a in ys if a is not None and len(a)] or [np.zeros(0)])
        assert len(x) == 2 * len(link_numbers), f"bin {b}: {len(x) // 2} segments drawn, {len(link_numbers)} keyed"
        for i, li in enumerate(link_numbers.tolist()):
            yield canvas.lod.links[li].link, x[2 * i], y[2 * i], x[2 * i + 1], y[2 * i + 1]


def assert_edges_inside_their_columns(canvas: NetworkCanvas, label: str) -> int:
    """Every segment starts at its source column and ends at its target column, within their heights."""
    count = 0
    for link_number, x0, y0, x1, y1 in segments_by_link(canvas):
        link = canvas.links[link_number]
        src, dst = canvas.columns[link.src], canvas.columns[link.dst]
        assert np.isfinite([x0, y0, x1, y1]).all(), f"{label}: a segment with a non-finite end"
        tol_x = 1e-9 + 1e-6 * abs(dst.x)
        assert src.x - tol_x <= x0 <= src.x + src.out_dx + tol_x, f"{label}: starts at x={x0}, not at {src.name}"
        assert abs(x1 - dst.x) <= tol_x, f"{label}: ends at x={x1}, not at {dst.name} (x={dst.x})"
        for y, col in ((y0, src), (y1, dst)):
            half = col.height / 2 + 1e-6 * col.height
            assert -half <= y <= half, f"{label}: y={y} outside {col.name} (height {col.height})"
        count += 1
    return count


@pytest.fixture(scope="module")
def shared_canvas(qapp):
    canvas = NetworkCanvas()
    canvas.resize(900, 500)
    canvas.show()
    yield canvas
    canvas.shutdown()
    canvas.close()
    canvas.deleteLater()


@pytest.fixture(autouse=True)
def workers_released(shared_canvas):
    """The shared canvas's background workers wait for the next job: each test ends them."""
    yield
    shared_canvas.release_workers()


def check_pairs(canvas: NetworkCanvas, pairs) -> set[tuple[str, str]]:
    """Draw Input -> A -> B for each pair that can be built, pending and with weights; the pairs drawn."""
    drawn = set()
    for first, second in pairs:
        spec = pair_spec(first, second)
        if spec is None:
            continue
        label = f"{first.class_name} -> {second.class_name}"
        canvas.set_model(analyze(spec), spec)
        assert_edges_inside_their_columns(canvas, label + " (pending)")
        canvas.set_weights(random_weights(canvas))
        assert_edges_inside_their_columns(canvas, label)
        drawn.add((first.class_name, second.class_name))
    return drawn


def test_every_type_after_and_before_common_ones_draws_edges_only_between_its_columns(shared_canvas):
    common = [t for t in CHAIN_TYPES if t.class_name in COMMON]
    pairs = [(a, b) for a in CHAIN_TYPES for b in common] + [(a, b) for a in common for b in CHAIN_TYPES]
    rng = random.Random(15)
    pairs += [(rng.choice(CHAIN_TYPES), rng.choice(CHAIN_TYPES)) for _ in range(SAMPLED_PAIRS)]
    drawn = check_pairs(shared_canvas, pairs)
    names = {t.class_name for t in CHAIN_TYPES}
    # every type is drawn after Dense or Dropout, or before one of them (a convolution needs an image input)
    assert {name for pair in drawn for name in pair} == names
    assert ("Dense", "Dropout") in drawn and len(drawn) >= len(set(pairs)) // 2


@pytest.mark.sweep
@pytest.mark.parametrize("first", CHAIN_TYPES, ids=lambda t: t.class_name)
def test_full_sweep_every_type_after_every_other(request, shared_canvas, first):
    markexpr = request.config.getoption("markexpr") or ""
    if markexpr and "sweep" not in markexpr:  # a chosen set (the fast one): the whole suite or -m sweep runs it
        pytest.skip("the full sweep (about a minute) runs in the whole suite and with -m sweep")
    drawn = check_pairs(shared_canvas, [(first, second) for second in CHAIN_TYPES])
    assert drawn, f"{first.class_name}: no type could follow it"


def test_lesson_with_a_dropout_leaves_no_line_outside_the_drawing_in_either_theme(qtbot):
    """The rasterised lines, as painted on screen, lie inside the columns' area, after a fit and a resize."""
    from nnstudio.ui.style import DARK, make_palette

    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[20]))
    spec = spec.inserted(1, spec.new_layer("Dense", units=64, activation="relu"))
    spec = spec.inserted(2, spec.new_layer("Dropout", rate=0.5))
    spec = spec.inserted(3, spec.new_layer("Dense", units=10))
    canvas = NetworkCanvas()
    qtbot.addWidget(canvas)
    canvas.edges.progressive = False
    canvas.resize(1000, 600)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_model(analyze(spec), spec)
    canvas.set_weights(random_weights(canvas))
    dark = theme_for(make_palette(DARK))
    for theme, size in ((LIGHT_THEME, (1000, 600)), (dark, (760, 330)), (LIGHT_THEME, (1300, 420))):
        canvas.apply_theme(theme)
        canvas.resize(*size)
        qtbot.waitUntil(lambda s=size: (canvas.width(), canvas.height()) == s)
        canvas.fit_view()
        canvas.grab()  # paints the lines into the edge layer's image
        _key, transform, image = canvas.edges._cache
        x0, x1, y0, y1 = L.scene_bounds(canvas.columns)
        drawing = transform.map(QtGui.QPolygonF([_point(x0, y1), _point(x1, y0)])).boundingRect()
        alpha = _alpha(image)
        inside = np.zeros_like(alpha, dtype=bool)
        r0, r1 = max(int(drawing.top()) - 2, 0), int(drawing.bottom()) + 3
        c0, c1 = max(int(drawing.left()) - 2, 0), int(drawing.right()) + 3
        inside[r0:r1, c0:c1] = True
        assert alpha[inside].any(), "the lines are drawn"
        stray = np.argwhere((alpha > 0) & ~inside)
        assert not len(stray), (
            f"dark={theme.dark} {size}: {len(stray)} pixels of lines outside the drawing, e.g. {stray[:3]}"
        )


def _point(x: float, y: float):
    from PySide6.QtCore import QPointF

    return QPointF(x, y)


def _alpha(image: QtGui.QImage) -> np.ndarray:
    image = image.convertToFormat(QtGui.QImage.Format.Format_ARGB32)
    data = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return data[:, : image.width() * 4].reshape(image.height(), image.width(), 4)[..., 3].copy()  # before image goes
