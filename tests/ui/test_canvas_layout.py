"""The canvas's level-of-detail layout, in numpy alone (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.spec import ModelSpec, lesson_spec
from nnstudio.core.summary import analyze
from nnstudio.ui.canvas import layout as L


def brute(kernel, ga, gb, rows, cols):
    r0, r1 = rows
    c0, c1 = cols
    out_abs, out_sig = [], []
    for i in range(r0, r1, ga):
        ra, rs = [], []
        for j in range(c0, c1, gb):
            block = kernel[i : min(i + ga, r1), j : min(j + gb, c1)].astype(np.float64)
            ra.append(np.abs(block).sum())
            rs.append(block.sum())
        out_abs.append(ra)
        out_sig.append(rs)
    return np.array(out_abs), np.array(out_sig)


@pytest.mark.parametrize("shape", [(7, 5), (300, 257), (1000, 600), (33, 1200)])
def test_pyramid_block_sums_match_brute_force(shape, monkeypatch):
    monkeypatch.setattr(L, "BASE_ELEMENTS", 1000)  # force a stored base level above 0
    rng = np.random.default_rng(3)
    kernel = rng.normal(size=shape).astype(np.float32)
    pyr = L.KernelPyramid(kernel)
    assert pyr.base > 0 or kernel.size <= 1000
    for a, b in [(0, 0), (1, 0), (0, 3), (2, 2), (4, 1), (5, 6)]:
        ga, gb = 1 << a, 1 << b
        r0 = (shape[0] // 3) // ga * ga
        c0 = (shape[1] // 4) // gb * gb
        rows, cols = (r0, shape[0]), (c0, min(shape[1], c0 + 9 * gb))
        got_abs, got_sig = pyr.sums(a, b, rows, cols)
        want_abs, want_sig = brute(kernel, ga, gb, rows, cols)
        np.testing.assert_allclose(got_abs, want_abs, rtol=2e-4, atol=1e-4)
        np.testing.assert_allclose(got_sig, want_sig, rtol=2e-4, atol=1e-3)


@pytest.mark.parametrize("shape", [(128, 512), (7, 5), (1, 9), (6, 1), (1, 1)])
def test_halving_a_level_gives_blocksum_s_very_sums(shape):
    """A pyramid's next level (`halve`) is bit-equal to `blocksum(m, 2, 2)`, partial blocks included."""
    m = np.random.default_rng(5).normal(size=shape).astype(np.float32)
    got, want = L.halve(m), L.blocksum(m, 2, 2)
    assert got.shape == want.shape == (-(-shape[0] // 2), -(-shape[1] // 2))
    assert np.array_equal(got, want)


def mlp(sizes):
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=[sizes[0]]))
    for units in sizes[1:]:
        spec = spec.inserted(len(spec.layers), spec.new_layer("Dense", units=units))
    return spec


@pytest.mark.parametrize("engine_summed", [True, False], ids=["sums-came", "raw"])
def test_only_big_kernels_without_the_engine_s_sums_are_summed_in_threads(engine_summed, monkeypatch):
    from nnstudio.core import kernel_sums

    pools = []
    pool_type = L.ThreadPoolExecutor
    monkeypatch.setattr(L, "ThreadPoolExecutor", lambda **options: pools.append(options) or pool_type(**options))
    spec = mlp([2048, 1024, 10])  # dense: 2M weights, a big kernel; dense_1: a small one
    columns, links = L.build_columns(analyze(spec), spec)
    rng = np.random.default_rng(2)
    big = rng.normal(size=(2048, 1024)).astype(np.float32)
    if engine_summed:
        kernel_sums.remember(big, kernel_sums.block_sums(big, kernel_sums.base_level(big.size)))
    weights = {"dense": [big, np.zeros(1024, np.float32)], "dense_1": [np.ones((1024, 10), np.float32), np.zeros(10)]}
    L.apply_weights(columns, links, weights)
    assert [link.pyramid.precomputed for link in links] == [engine_summed, False]
    assert len(pools) == (0 if engine_summed else 1)
    assert links[0].pyramid.levels[links[0].pyramid.base][0].sum() == pytest.approx(np.abs(big).sum(), rel=1e-4)


def test_lod_covers_every_neuron_and_respects_the_budgets():
    spec = mlp([784, 512, 256, 10])
    columns, links = L.build_columns(analyze(spec), spec)
    rng = np.random.default_rng(0)
    weights = {}
    for link in links:
        a, b = columns[link.src], columns[link.dst]
        weights[b.name] = [rng.normal(size=(a.n, b.n)).astype(np.float32), np.zeros(b.n, np.float32)]
    L.apply_weights(columns, links, weights)
    x0, x1, y0, y1 = L.scene_bounds(columns)
    lod = L.compute_lod(columns, links, (x0 - 0.5, x1 + 0.5, y0 * 1.2, y1 * 1.2), (1600, 1000))
    for ci, col in enumerate(columns):
        cl = lod.columns[ci]
        assert cl.counts.sum() == col.n
        assert len(cl.starts) <= L.MAX_VISIBLE + 2
    assert lod.edge_count() <= L.EDGE_BUDGET
    # aggregated values are block means of |w| and sum(w) / sum(|w|)
    for ll in lod.links:
        link = links[ll.link]
        a, b = lod.columns[link.src], lod.columns[link.dst]
        kernel = weights[columns[link.dst].name][0]
        for e in (0, len(ll.src) // 2, len(ll.src) - 1):
            i, j = ll.src[e], ll.dst[e]
            block = kernel[a.starts[i] : a.ends[i], b.starts[j] : b.ends[j]]
            assert ll.mean_abs[e] == pytest.approx(np.abs(block).mean(), rel=1e-4)
            assert ll.balance[e] == pytest.approx(block.sum() / np.abs(block).sum(), rel=1e-3, abs=1e-4)


def test_zooming_in_reaches_single_neurons_and_only_lays_out_the_window():
    spec = mlp([4096, 4096])
    columns, links = L.build_columns(analyze(spec), spec)
    col = columns[1]
    y = float(col.y_of(2000))
    lod = L.compute_lod(columns, links, (-0.1, 1.1, y - 2, y + 2), (1600, 1000))
    cl = lod.columns[1]
    assert cl.level == 0
    assert cl.starts[0] > 1500 and cl.ends[-1] < 2500  # not the whole column
    assert lod.links[0].individual


def test_pending_lesson_edges_and_binning():
    spec = lesson_spec()
    columns, links = L.build_columns(analyze(spec), spec)
    assert [c.n for c in columns] == [20, 64, 10]
    assert [c.detail for c in columns] == ["20 inputs", "64 units · relu", "10 units · linear"]
    lod = L.compute_lod(columns, links, (-0.5, 2.5, -60, 60), (1200, 800))
    assert lod.edge_count() == 1920 and all(ll.mean_abs is None for ll in lod.links)
    bins = L.edge_bins(np.array([0.1, 0.1, 0.1, 0.5]), np.array([1.0, -1.0, 0.0, 1.0]), np.array([0.05, 0.2, 0.3]))
    assert bins.tolist() == [1, L.MAGNITUDE_BINS + 1, 2 * L.MAGNITUDE_BINS + 1, 3]


def test_a_functional_model_draws_links_only_between_connected_layers():
    """A graph's columns are its layers; each link joins a layer to a layer it reads (an element-wise
    merge to each of its inputs, value to value)."""
    from nnstudio.core import graph_edit as g
    from nnstudio.core.spec import TensorRef

    spec = lesson_spec()
    spec, branch = g.add_branch(spec, spec.new_layer("Dense", units=10), TensorRef("dense"))
    spec, add = g.insert_on_connection(spec, spec.new_layer("Add"), TensorRef("dense_1"), None)
    spec = g.connect(spec, TensorRef(branch), add)
    summary = analyze(spec)
    columns, links = L.build_columns(summary, spec)
    assert sorted(c.name for c in columns) == sorted(layer.name for layer in spec.layers)
    pairs = {(columns[link.src].name, columns[link.dst].name) for link in links}
    expected = {("input_layer", "dense"), ("dense", "dense_1"), ("dense", "dense_2")}
    if summary.ok:  # the graph's analysis draws the Add: both inputs feed it value to value
        expected |= {("dense_1", "add"), ("dense_2", "add")}
        assert {link.kind for link in links if columns[link.dst].name == "add"} == {"identity"}
    assert pairs == expected


def test_biases_repeated_on_every_row_are_kept_once_and_averaged_as_if_repeated():
    """A Dense on (rows, features) has one bias per feature for rows x features neurons: the column
    keeps the features' biases once, and the mean bias of any group of neurons is that of the
    biases repeated row after row."""
    col = L.Column(0, "dense", "Dense", "dense", (50, 7), 0.0)
    bias = np.random.default_rng(5).normal(size=7)
    col.set_bias(bias)
    assert col.n == 350 and col.bias.size == 7, "not repeated in memory"
    repeated = np.tile(bias, 50)
    rng = np.random.default_rng(6)
    starts = np.sort(rng.integers(0, 350, size=40))
    ends = np.minimum(starts + rng.integers(1, 60, size=40), 350)
    expected = [repeated[s:e].mean() for s, e in zip(starts, ends, strict=True)]
    np.testing.assert_allclose(col.bias_means(starts, ends), expected, rtol=1e-12, atol=1e-12)
    col.set_bias(np.ones(6))  # 6 does not divide 350: nothing to show
    assert col.bias_means(starts, ends) is None
