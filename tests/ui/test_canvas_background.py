"""The canvas keeps the GUI thread free for big models: kernels are summed and the level of detail
is recomputed in a background job, newest wins, and the job is joined when the canvas goes."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nnstudio.core import kernel_sums
from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import analyze
from nnstudio.engine import shared_memory
from nnstudio.ui.canvas import NetworkCanvas
from nnstudio.ui.canvas import layout as L
from nnstudio.ui.canvas import widget as W


def mlp_spec(sizes: list[int]) -> ModelSpec:
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[sizes[0]]))
    for units in sizes[1:]:
        spec = spec.inserted(len(spec.layers), spec.new_layer("Dense", units=units, activation="relu"))
    return spec


def weights_for(sizes: list[int], seed: int = 0) -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = {}
    for i, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False)):
        kernel = rng.standard_normal((a, b), dtype=np.float32)
        kernel *= 0.05
        out["dense" if i == 0 else f"dense_{i}"] = [kernel, rng.normal(0, 0.1, b).astype(np.float32)]
    return out


def make_canvas(qtbot, spec, size=(1200, 800)) -> NetworkCanvas:
    canvas = NetworkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(*size)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_model(analyze(spec, param_budget=10**9), spec)
    return canvas


@pytest.fixture
def gui_thread_calls(monkeypatch):
    """Records, for every kernel pyramid built and every level of detail computed over real
    weights, whether it ran on the GUI (main) thread."""
    calls: list[tuple[str, bool]] = []
    pyramid_init = L.KernelPyramid.__init__
    compute_lod = L.compute_lod

    def init(self, *args, **kwargs):
        calls.append(("pyramid", threading.current_thread() is threading.main_thread()))
        pyramid_init(self, *args, **kwargs)

    def lod(columns, links, *args, **kwargs):
        if any(link.pyramid is not None for link in links):
            calls.append(("lod", threading.current_thread() is threading.main_thread()))
        return compute_lod(columns, links, *args, **kwargs)

    def matching(columns, links, weights):
        calls.append(("matching", threading.current_thread() is threading.main_thread()))
        return matching_weights(columns, links, weights)

    def copies(columns, links):
        calls.append(("copies", threading.current_thread() is threading.main_thread()))
        return copy_structure(columns, links)

    matching_weights, copy_structure = W.matching_weights, L.copy_structure
    monkeypatch.setattr(L.KernelPyramid, "__init__", init)
    monkeypatch.setattr(L, "compute_lod", lod)
    monkeypatch.setattr(W, "matching_weights", matching)
    monkeypatch.setattr(L, "copy_structure", copies)
    return calls


def test_a_20m_weight_model_is_summed_off_the_gui_thread(qtbot, gui_thread_calls):
    sizes = [2560, 2560, 2560, 2560]  # 3 kernels of 6.5 M: 19.7 M weights, 79 MB
    spec = mlp_spec(sizes)
    weights = weights_for(sizes)
    canvas = make_canvas(qtbot, spec)
    assert canvas.pending
    waiting = canvas._jobs._thread
    assert waiting is not None and waiting.is_alive(), "the worker waits for the weights to come"
    with qtbot.waitSignal(canvas.weightsDrawn, timeout=60_000):
        canvas.set_weights(weights)
        assert canvas.pending  # the call returns at once; the previous (pending) drawing stays
        assert "drawing the weights" in canvas.status.textItem.toPlainText()
    assert not canvas.pending and canvas.weights is weights
    assert canvas._jobs._thread is waiting, "the weights were summed by the worker that waited"
    kinds = [kind for kind, _ in gui_thread_calls]
    assert kinds[:2] == ["matching", "copies"] and kinds[2:5] == ["pyramid"] * 3
    assert not any(on_gui for _, on_gui in gui_thread_calls), gui_thread_calls
    # the aggregated edges are the real block means of the kernel
    ll = canvas.lod.links[0]
    a, b = canvas.lod.columns[0], canvas.lod.columns[1]
    i, j = ll.src[3], ll.dst[3]
    block = weights["dense"][0][a.starts[i] : a.ends[i], b.starts[j] : b.ends[j]]
    assert ll.mean_abs[3] == pytest.approx(np.abs(block).mean(), rel=1e-4)

    # zooming: the level of detail follows in the background too
    gui_thread_calls.clear()
    fitted = canvas.lod.columns[1].level
    with qtbot.waitSignal(canvas.lodApplied, timeout=30_000):
        canvas.view.scaleBy((0.02, 0.02))  # as a wheel does: the update is debounced, then queued
    qtbot.waitUntil(lambda: not canvas.busy(), timeout=30_000)
    assert canvas.lod.columns[1].level < fitted
    assert gui_thread_calls and not any(on_gui for _, on_gui in gui_thread_calls), gui_thread_calls


def test_weights_from_the_engine_are_drawn_from_its_block_sums_without_a_pass_here(qtbot, monkeypatch):
    sizes = [2048, 1024, 1024, 10]  # 2 kernels above kernel_sums.MIN_SUMMED_ELEMENTS
    spec = mlp_spec(sizes)
    weights = weights_for(sizes)
    arrived = shared_memory.unpack(shared_memory.pack(weights))  # as the model service receives them
    passes: list[tuple[int, ...]] = []
    block_sums = kernel_sums.block_sums

    def counted(kernel, level, copy_to=None):
        passes.append(kernel.shape)
        return block_sums(kernel, level, copy_to)

    monkeypatch.setattr(kernel_sums, "block_sums", counted)
    canvas = make_canvas(qtbot, spec)
    with qtbot.waitSignal(canvas.weightsDrawn, timeout=60_000):
        canvas.set_weights(arrived)
    assert (2048, 1024) not in passes and (1024, 1024) not in passes, passes  # the engine's sums were used
    assert [link.pyramid.precomputed for link in canvas.links if link.pyramid is not None] == [True, True, False]
    ll = canvas.lod.links[0]  # and they are the real block means
    a, b = canvas.lod.columns[0], canvas.lod.columns[1]
    i, j = ll.src[5], ll.dst[5]
    block = weights["dense"][0][a.starts[i] : a.ends[i], b.starts[j] : b.ends[j]]
    assert ll.mean_abs[5] == pytest.approx(np.abs(block).mean(), rel=1e-4)
    assert ll.balance[5] == pytest.approx(block.sum() / np.abs(block).sum(), rel=1e-3, abs=1e-5)


def test_newest_weights_win_and_stale_results_are_dropped(qtbot, monkeypatch):
    monkeypatch.setattr(W, "SYNC_WORK", 0)  # every model counts as big
    sizes = [300, 200, 10]
    spec = mlp_spec(sizes)
    canvas = make_canvas(qtbot, spec)
    w1, w2, w3 = (weights_for(sizes, seed) for seed in (1, 2, 3))
    runs = canvas._jobs.jobs_run
    canvas.set_weights(w1)
    canvas.set_weights(w2)  # waits, then is replaced by w3 before it runs
    canvas.set_weights(w3)
    qtbot.waitUntil(lambda: not canvas.busy() and canvas.weights is w3, timeout=10_000)
    assert canvas._jobs.jobs_run - runs == 2  # w1 (already running) and w3
    assert canvas._jobs.threads_used == {"canvas-worker"}
    canvas.view.setRange(xRange=(-0.1, 1.1), yRange=(-3, 3), padding=0)  # single weights of dense
    canvas.refresh_lod()
    qtbot.waitUntil(lambda: not canvas.busy(), timeout=10_000)
    link = canvas.lod.links[0]
    assert link.individual
    a, b = canvas.lod.columns[0], canvas.lod.columns[1]
    expected = w3["dense"][0][a.starts[link.src], b.starts[link.dst]]
    np.testing.assert_allclose(link.balance * link.mean_abs, expected, rtol=1e-6)

    # an edit while a job runs: its result belongs to the old model and is dropped
    canvas.set_weights(weights_for(sizes, 4))
    other = mlp_spec([300, 50, 10])
    canvas.set_model(analyze(other), other)
    qtbot.waitUntil(lambda: not canvas.busy(), timeout=10_000)
    assert canvas.pending and canvas.weights is None
    assert all(link.pyramid is None for link in canvas.links)
    assert [c.n for c in canvas.columns] == [300, 50, 10]

    # pending (None) given while a job runs wins over the job's weights
    w5 = weights_for([300, 50, 10], 5)
    canvas.set_weights(w5)
    canvas.set_weights(None)
    qtbot.waitUntil(lambda: not canvas.busy(), timeout=10_000)
    assert canvas.pending and "pending" in canvas.status.textItem.toPlainText()


def test_a_stale_level_of_detail_is_dropped_for_the_newest_view(qtbot, monkeypatch):
    monkeypatch.setattr(W, "SYNC_WORK", 0)
    sizes = [784, 512, 256, 10]
    spec = mlp_spec(sizes)
    canvas = make_canvas(qtbot, spec, size=(1600, 1000))
    with qtbot.waitSignal(canvas.weightsDrawn, timeout=10_000):
        canvas.set_weights(weights_for(sizes))
    y = canvas.columns[1].y_of(300)
    x1, x2 = canvas.columns[1].x, canvas.columns[2].x
    canvas.view.setRange(xRange=(x1 - 0.05, x2 + 0.05), yRange=(y - 40, y + 40), padding=0)
    canvas.refresh_lod()  # this job's view is already stale when it ends
    canvas.view.setRange(xRange=(x1 - 0.05, x2 + 0.05), yRange=(y - 3, y + 3), padding=0)
    canvas.refresh_lod()
    qtbot.waitUntil(lambda: not canvas.busy(), timeout=10_000)
    expected = L.compute_lod(canvas.columns, canvas.links, canvas.view_rect(), canvas._pixels())
    assert {ci: cl.level for ci, cl in canvas.lod.columns.items()} == {
        ci: cl.level for ci, cl in expected.columns.items()
    }
    assert canvas.lod.columns[1].level == 0


def test_closing_or_deleting_the_canvas_joins_its_worker(qtbot, monkeypatch):
    monkeypatch.setattr(W, "SYNC_WORK", 0)
    sizes = [1024, 1024, 1024]
    spec = mlp_spec(sizes)
    weights = weights_for(sizes)

    def worker_alive() -> bool:
        return any(t.name == "canvas-worker" and t.is_alive() for t in threading.enumerate())

    canvas = make_canvas(qtbot, spec)
    canvas.set_weights(weights)
    assert canvas._jobs.running
    canvas.close()
    assert not worker_alive()

    loose = NetworkCanvas()  # no parent, not handed to qtbot: deleted by Qt
    loose.resize(800, 600)
    loose.set_model(analyze(spec), spec)
    loose.set_weights(weights)
    assert loose._jobs.running
    gone = []
    loose.destroyed.connect(lambda *args: gone.append(True))
    loose.deleteLater()
    qtbot.waitUntil(lambda: bool(gone), timeout=5_000)
    assert not worker_alive()


def test_weights_that_keep_coming_rest_between_background_sums(qtbot, monkeypatch):
    monkeypatch.setattr(W, "SYNC_WORK", 0)
    monkeypatch.setattr(W, "WEIGHTS_REST", 1000.0)  # rest 1000 times the last sum's time
    sizes = [300, 200, 10]
    spec = mlp_spec(sizes)
    canvas = make_canvas(qtbot, spec)
    w1, w2 = weights_for(sizes, 1), weights_for(sizes, 2)
    with qtbot.waitSignal(canvas.weightsDrawn, timeout=10_000):
        canvas.set_weights(w1)
    canvas.set_weights(w2)  # a training snapshot right after: waits, the drawing keeps w1
    assert canvas.busy() and canvas._rest_timer.isActive() and canvas.weights is w1
    canvas.set_model(analyze(spec), spec)  # an edit: the next weights are drawn at once
    with qtbot.waitSignal(canvas.weightsDrawn, timeout=10_000):
        canvas.set_weights(w2)
    assert canvas.weights is w2


def test_the_worker_prepares_the_items_data_for_the_gui_thread(qtbot, monkeypatch):
    """After a background result the GUI thread only hands ready arrays to the items: the edges
    sorted into their pen bins and the neurons' positions, sizes and fills come from the worker."""
    from nnstudio.ui.canvas import edges as E

    made: list[tuple[str, bool]] = []
    for module, name in ((W, "plan_edges"), (E, "plan_edges"), (W, "plan_neurons")):
        real = getattr(module, name)

        def record(*args, _real=real, _name=name, **kwargs):
            made.append((_name, threading.current_thread() is threading.main_thread()))
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, record)
    sizes = [784, 512, 256, 10]  # 535,040 weights: summed in the background
    canvas = make_canvas(qtbot, mlp_spec(sizes))
    assert canvas._big
    made.clear()
    with qtbot.waitSignal(canvas.weightsDrawn, timeout=30_000):
        canvas.set_weights(weights_for(sizes))
    assert sorted(name for name, _ in made) == ["plan_edges", "plan_neurons"]
    assert not any(on_gui for _, on_gui in made), made
    assert canvas.edges.segment_count() > 0 and len(canvas.neurons.data) == sum(
        len(c.starts) for c in canvas.lod.columns.values()
    )
    made.clear()
    with qtbot.waitSignal(canvas.lodApplied, timeout=30_000):
        canvas.view.scaleBy((0.3, 0.3))
    qtbot.waitUntil(lambda: not canvas.busy(), timeout=30_000)
    assert made and not any(on_gui for _, on_gui in made), made
    # the same brushes and pens are reused from one result to the next (pyqtgraph renders a
    # symbol anew for every new brush object)
    brushes = {id(b) for b in canvas.neurons.data["brush"]}
    assert len(brushes) <= len(canvas._brush_table())


def test_a_big_convnets_feature_maps_are_placed_from_what_the_worker_made(qtbot, monkeypatch):
    """The places of the feature-map blocks (`places_of`: every column's maps and kernel tiles) come
    with the worker's columns: the GUI thread does not make them again when it shows them."""
    from nnstudio.ui.canvas import conv_drawer as C
    from tests.ui.test_feature_maps import weights_for as conv_weights

    made: list[bool] = []  # per call: on the GUI thread
    real = C.places_of

    def record(columns, spec):
        made.append(threading.current_thread() is threading.main_thread())
        return real(columns, spec)

    monkeypatch.setattr(C, "places_of", record)  # what the maps item makes when given none
    monkeypatch.setattr(W, "places_of", record)  # what the canvas's workers make
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[16, 16, 64]))
    for _ in range(2):
        spec = spec.inserted(len(spec.layers), spec.new_layer("Conv2D", filters=256, padding="same"))
    canvas = make_canvas(qtbot, spec)
    assert canvas._big, "590 k kernel values: summed in the background"
    made.clear()
    with qtbot.waitSignal(canvas.weightsDrawn, timeout=30_000):
        canvas.set_weights(conv_weights(spec))
    assert made == [False], "made once, in the worker"
    assert canvas.maps.columns is canvas.columns and canvas.maps._places == real(canvas.columns, spec)


def test_a_workers_result_is_taken_on_a_turn_of_the_windows_turns(qtbot):
    """A big model's weights are drawn from the worker's result on a turn of the turns the canvas was
    given (the window's, shared by its views), not in the pass of the event loop that delivers it
    along with the scene's repaint and the other views' posted calls."""
    from nnstudio.ui.turns import Turns

    sizes = [2560, 2560, 2560]
    spec = mlp_spec(sizes)
    turns = Turns()
    canvas = NetworkCanvas(turns=turns)
    qtbot.addWidget(canvas)
    canvas.resize(1200, 800)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_model(analyze(spec, param_budget=10**9), spec)
    on_arrival: list[tuple[bool, bool]] = []  # (a turn waits for it, the weights already drawn)
    drawn: list[bool] = []
    canvas.weightsDrawn.connect(lambda: drawn.append(True))
    canvas._jobs._relay.finished.connect(
        lambda _result: on_arrival.append((turns.waiting(canvas._take_arrived), bool(drawn)))
    )
    weights = weights_for(sizes)
    with qtbot.waitSignal(canvas.weightsDrawn, timeout=60_000):
        canvas.set_weights(weights)
    assert on_arrival and on_arrival[0] == (True, False)
    assert canvas.weights is weights and not canvas.pending
