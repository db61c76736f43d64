"""The Keras engine process without Qt: builds, weights through shared memory, errors as replies."""

from __future__ import annotations

import os

import numpy as np
import pytest

from nnstudio.core import kernel_sums
from nnstudio.core.spec import ModelSpec, lesson_spec
from nnstudio.core.summary import analyze
from nnstudio.engine import shared_memory
from nnstudio.engine.client import EngineClient, EngineFailure
from nnstudio.engine.process import memory_limit
from nnstudio.engine.protocol import BuildFailure, BuildResult, LoadResult

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def engine(engine_client):
    return engine_client


def _blocks_of(client: EngineClient) -> list[str]:
    if not os.path.isdir(shared_memory.SHM_DIR):
        return []
    return [name for name in os.listdir(shared_memory.SHM_DIR) if name.startswith(client.prefix)]


def test_shared_memory_round_trip_unlinks_the_block():
    rng = np.random.default_rng(0)
    weights = {
        "dense": [rng.standard_normal((20, 64)).astype(np.float32), np.arange(64, dtype=np.float32)],
        "bn": [np.ones(3, dtype=np.float64), np.asfortranarray(rng.standard_normal((3, 5)))],
        "dropout": [],
        "empty": [np.zeros((0, 4), dtype=np.float32)],
    }
    layout = shared_memory.pack(weights, prefix="nns_t_")
    assert shared_memory.exists(layout.name)
    out = shared_memory.unpack(layout)
    assert not shared_memory.exists(layout.name)
    assert list(out) == list(weights)
    for name, arrays in weights.items():
        assert [a.dtype for a in out[name]] == [a.dtype for a in arrays]
        assert all(np.array_equal(a, b) for a, b in zip(arrays, out[name], strict=True))
    if os.path.isdir(shared_memory.SHM_DIR):  # Linux: views of the (now nameless) mapping, not copies
        kernel = out["dense"][0]
        assert not kernel.flags.owndata and kernel.flags.writeable
        del out
        np.testing.assert_array_equal(kernel, weights["dense"][0])  # still readable on its own

    # A layout that lies about its block is refused, and the block is still unlinked.
    layout = shared_memory.pack({"d": [np.ones(4, dtype=np.float32)]}, prefix="nns_t_")
    bad = shared_memory.SharedWeights(
        layout.name, layout.size, (("d", (shared_memory.ArrayLayout("<f4", (10**6,), 0, 4 * 10**6),)),)
    )
    with pytest.raises(ValueError):
        shared_memory.unpack(bad)
    assert not shared_memory.exists(layout.name)
    shared_memory.discard(layout)  # idempotent


def test_a_dead_engines_blocks_are_swept_when_it_is_cleaned_up():
    client = EngineClient()  # never started: stands for one whose engine died mid-reply
    orphan = shared_memory.pack({"dense": [np.ones(8, np.float32)]}, prefix=client.prefix)
    assert shared_memory.exists(orphan.name)
    client.kill()
    assert not shared_memory.exists(orphan.name)


def test_lesson_builds_in_the_engine_with_keras_rows_and_weights(engine):
    result = engine.call("build", {"spec": lesson_spec()})
    assert isinstance(result, BuildResult)
    assert [(r["name"], r["type"], r["output_shape"], r["params"]) for r in result.rows] == [
        ("dense", "Dense", [None, 64], 1344),
        ("dense_1", "Dense", [None, 10], 650),
    ]
    assert (result.total_params, result.trainable_params, result.non_trainable_params) == (1994, 1994, 0)
    shapes = {name: [a.shape for a in arrays] for name, arrays in result.weights.items()}
    assert shapes["dense"] == [(20, 64), (64,)]
    assert shapes["dense_1"] == [(64, 10), (10,)]
    assert np.any(result.weights["dense"][0] != 0)  # Glorot-initialised, not a blank buffer
    assert _blocks_of(engine) == []


def test_keras_rows_match_the_analytic_summary(engine):
    spec = ModelSpec(name="mixed")
    for class_name, params in [
        ("Input", {"shape": [4, 5]}),
        ("Flatten", {}),
        ("Dense", {"units": 8, "activation": "tanh"}),
        ("BatchNormalization", {}),
        ("Dropout", {"rate": 0.2}),
        ("Reshape", {"target_shape": [2, 4]}),
        ("LayerNormalization", {}),
        ("Dense", {"units": 3, "use_bias": False}),
        ("Activation", {"activation": "softmax"}),
    ]:
        spec = spec.inserted(len(spec.layers), spec.new_layer(class_name, **params))
    analytic = analyze(spec)
    assert analytic.ok, analytic.issues
    result = engine.call("build", {"spec": spec})
    assert isinstance(result, BuildResult)
    keras_rows = [
        (r["name"], r["type"], tuple(r["output_shape"][1:]), r["trainable"], r["non_trainable"]) for r in result.rows
    ]
    analytic_rows = [(r.name, r.class_name, tuple(r.output_shape), r.trainable, r.non_trainable) for r in analytic.rows]
    assert keras_rows == analytic_rows
    assert (result.total_params, result.non_trainable_params) == (analytic.total_params, analytic.non_trainable_params)


def test_weights_cross_shared_memory_both_ways_unchanged(engine):
    rng = np.random.default_rng(1)
    sent = {
        "dense": [rng.standard_normal((20, 64)).astype(np.float32), rng.standard_normal(64).astype(np.float32)],
        # float64: Keras casts them into its float32 variables, so they come back (cast)
        "dense_1": [rng.standard_normal((64, 10)), rng.standard_normal(10)],
    }
    result = engine.call("build", {"spec": lesson_spec()}, weights=sent)
    assert isinstance(result, BuildResult)
    # the layer that holds exactly the arrays sent is not sent back: the GUI has them
    assert result.kept == ("dense",) and result.weights["dense"] == []
    got = result.weights["dense_1"]
    assert [a.dtype for a in got] == [np.float32, np.float32]
    assert all(np.array_equal(a.astype(np.float32), b) for a, b in zip(sent["dense_1"], got, strict=True))
    assert _blocks_of(engine) == []


def test_non_strict_build_keeps_the_weights_that_still_fit(engine):
    spec = lesson_spec()
    kept = [np.full((20, 64), 0.5, np.float32), np.full(64, 0.25, np.float32)]
    wider = spec.with_layer(2, spec.layers[2].with_params(units=12))  # dense_1 changed, dense did not
    result = engine.call("build", {"spec": wider, "strict": False}, weights={"dense": kept, "dense_1": []})
    assert isinstance(result, BuildResult)
    assert "dense" in result.kept and result.weights["dense"] == []  # the arrays sent are its weights
    assert "dense_1" not in result.kept and result.weights["dense_1"][0].shape == (64, 12)


def test_errors_come_back_as_replies_naming_the_layer(engine):
    spec = lesson_spec()
    bad_units = spec.with_layer(2, spec.layers[2].with_params(units=-5))
    failure = engine.call("build", {"spec": bad_units})
    assert isinstance(failure, BuildFailure)
    assert failure.layer_name == "dense_1"
    assert "-5" in failure.message

    # Keras itself refuses: weights that do not fit the layer.
    failure = engine.call("build", {"spec": spec}, weights={"dense": [np.zeros((3, 3), np.float32)]})
    assert isinstance(failure, BuildFailure)
    assert failure.layer_name == "dense"
    assert _blocks_of(engine) == []

    with pytest.raises(EngineFailure, match="unknown engine op"):
        engine.call("no_such_op")
    with pytest.raises(EngineFailure):
        engine.call("build", {})  # a handler raising KeyError
    assert engine.call("ping")["pid"] == engine.pid  # the loop lives on


def test_export_then_load_in_the_engine(engine, tmp_path):
    rng = np.random.default_rng(2)
    weights = {
        "dense": [rng.standard_normal((20, 64)).astype(np.float32), np.zeros(64, np.float32)],
        "dense_1": [rng.standard_normal((64, 10)).astype(np.float32), np.ones(10, np.float32)],
    }
    path = tmp_path / "lesson.keras"
    engine.call("export", {"spec": lesson_spec(), "path": str(path)}, weights=weights)
    assert path.is_file()
    loaded = engine.call("load_keras", {"path": str(path), "memory_limit_bytes": 2 << 30})
    assert isinstance(loaded, LoadResult)
    assert [layer.name for layer in loaded.spec.layers][1:] == ["dense", "dense_1"]
    assert all(np.array_equal(a, b) for a, b in zip(weights["dense_1"], loaded.weights["dense_1"], strict=True))
    with pytest.raises(EngineFailure):
        engine.call("load_keras", {"path": str(tmp_path / "missing.keras")})


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_memory_limit_turns_a_huge_allocation_into_memory_error():
    with memory_limit(256 << 20), pytest.raises(MemoryError):
        np.ones(1 << 31, dtype=np.uint8)
    np.ones(1 << 29, dtype=np.uint8)  # the limit is lifted afterwards


def _rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS line")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_engine_memory_stays_bounded_over_many_builds(engine):
    """Keras's session is cleared between builds: 30 builds of varying size do not grow the engine."""
    spec = lesson_spec()
    sizes = [64, 1500, 8, 700, 2048, 33, 1024, 256]

    def build(i: int) -> None:
        units = sizes[i % len(sizes)]
        varied = spec.with_layer(1, spec.layers[1].with_params(units=units))
        varied = varied.with_layer(2, varied.layers[2].with_params(units=sizes[(i + 3) % len(sizes)]))
        result = engine.call("build", {"spec": varied})
        assert isinstance(result, BuildResult)
        assert result.rows[0]["params"] == 20 * units + units

    for i in range(len(sizes)):  # warm-up: every size once (Keras's caches, allocator arenas)
        build(i)
    before = _rss_bytes(engine.pid)
    for i in range(30):
        build(i)
    growth = _rss_bytes(engine.pid) - before
    assert growth < 200 << 20, f"engine grew {growth / 2**20:.0f} MB over 30 builds"
    assert _blocks_of(engine) == []


def test_big_kernels_arrive_with_their_block_sums_and_small_arrays_without():
    rng = np.random.default_rng(5)
    big = rng.normal(size=(1100, 1000)).astype(np.float32)  # 1.1 M weights: summed by the sender
    small = rng.normal(size=(20, 64)).astype(np.float32)
    bias = rng.normal(size=1000).astype(np.float32)
    arrived = shared_memory.unpack(shared_memory.pack({"big": [big, bias], "small": [small]}))
    np.testing.assert_array_equal(arrived["big"][0], big)
    sums = kernel_sums.recall(arrived["big"][0])
    assert sums is not None and sums.level == kernel_sums.base_level(big.size)
    want = kernel_sums.block_sums(big, sums.level)
    np.testing.assert_allclose(sums.abs_sums, want.abs_sums, rtol=1e-6)
    np.testing.assert_allclose(sums.signed_sums, want.signed_sums, rtol=1e-5, atol=1e-4)
    assert kernel_sums.recall(arrived["big"][1]) is None and kernel_sums.recall(arrived["small"][0]) is None
    plain = shared_memory.unpack(shared_memory.pack({"big": [big]}, sum_kernels=False))
    assert kernel_sums.recall(plain["big"][0]) is None


def test_kernels_of_more_axes_and_several_arrays_per_layer_travel_and_are_summed_as_matrices():
    """A conv kernel (4-D) is summed as its matrix (every axis but the last as rows); a recurrent
    layer's three arrays (kernel, recurrent kernel, bias) all arrive, the two big ones summed."""
    rng = np.random.default_rng(6)
    conv = rng.normal(size=(3, 3, 256, 520)).astype(np.float32)  # 1.2 M weights
    kernel = rng.normal(size=(1000, 1200)).astype(np.float32)
    recurrent = rng.normal(size=(1200, 1200)).astype(np.float32)
    bias = rng.normal(size=1200).astype(np.float32)
    arrived = shared_memory.unpack(shared_memory.pack({"conv": [conv], "lstm": [kernel, recurrent, bias]}))
    np.testing.assert_array_equal(arrived["conv"][0], conv)
    sums = kernel_sums.recall(arrived["conv"][0])
    assert sums is not None and sums.abs_sums.shape == kernel_sums.blocks_shape((3 * 3 * 256, 520), sums.level)
    want = kernel_sums.block_sums(conv.reshape(-1, 520), sums.level)
    np.testing.assert_allclose(sums.abs_sums, want.abs_sums, rtol=1e-6)
    assert [a.shape for a in arrived["lstm"]] == [(1000, 1200), (1200, 1200), (1200,)]
    assert all(kernel_sums.recall(a) is not None for a in arrived["lstm"][:2])
    assert kernel_sums.recall(arrived["lstm"][2]) is None


def test_a_builds_convolutions_arrive_with_the_tile_sums_the_canvas_would_make(engine):
    """Keras's own arrays, in Keras's order: the engine's tile sums equal the canvas's reading of
    the variables by name, for every convolution variant; the kept layers' arrays are not summed."""
    from nnstudio.core import kernel_tiles
    from nnstudio.keras_io.build import build_model
    from nnstudio.ui.canvas.feature_maps import READERS
    from tests.core.test_kernel_tiles import SPEC

    result = engine.call("build", {"spec": SPEC})
    assert isinstance(result, BuildResult)
    drawings = kernel_tiles.convolution_drawings(SPEC.layers)
    model = build_model(SPEC)  # Keras's layers, for their variables' names
    for name, drawing in drawings.items():
        arrays = result.weights[name]
        named = {v.name: a for v, a in zip(model.get_layer(name).weights, arrays, strict=True)}
        found = kernel_tiles.recall(arrays[0])
        assert found is not None, name
        read = READERS[drawing].tiles({key: np.array(a) for key, a in named.items()})  # copies: summed anew
        np.testing.assert_allclose(found.signed, read.signed, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(found.absolute, read.absolute, rtol=1e-5, atol=1e-6)
    again = engine.call("build", {"spec": SPEC}, weights=result.weights)
    assert set(again.kept) >= set(drawings) and all(not again.weights.get(name) for name in drawings)


def test_a_block_too_big_for_dev_shm_is_refused_with_a_message_not_a_crash(monkeypatch):
    if not os.path.isdir(shared_memory.SHM_DIR):
        pytest.skip("no /dev/shm here")
    real = os.statvfs(shared_memory.SHM_DIR)

    class Full:
        f_frsize = real.f_frsize
        f_bavail = 1  # one block free: as a container's small /dev/shm that is nearly full

    before = set(os.listdir(shared_memory.SHM_DIR))
    monkeypatch.setattr(shared_memory.os, "statvfs", lambda path: Full)
    with pytest.raises(OSError, match="not enough shared memory"):
        shared_memory.pack({"dense": [np.ones((512, 512), np.float32)]}, prefix="nns_t_")
    assert set(os.listdir(shared_memory.SHM_DIR)) == before  # nothing left behind


@pytest.mark.skipif(not os.path.isdir(shared_memory.SHM_DIR), reason="Linux lists blocks in /dev/shm")
def test_sweep_unlinks_an_empty_block_left_by_a_sender_killed_while_creating_it():
    prefix = shared_memory.new_prefix()
    left = os.path.join(shared_memory.SHM_DIR, prefix + "0")
    open(left, "wb").close()  # created, never sized: it cannot be mapped
    assert shared_memory.sweep(prefix) == 1
    assert not os.path.exists(left)


def test_a_functional_graph_builds_in_the_engine_with_its_weights_by_layer_name(engine):
    """The window's build road: a graph (three Inputs, attention, a shared Dense, two outputs)."""
    from nnstudio.core.keras_archive import parse_keras_config
    from tests.core.test_keras_functional import DATA

    spec = parse_keras_config((DATA / "functional_mha_config.json").read_bytes())
    result = engine.call("build", {"spec": spec})
    assert isinstance(result, BuildResult)
    rows = {r["name"]: (r["type"], r["output_shape"], r["params"]) for r in result.rows}
    assert rows["q"] == ("InputLayer", [None, 5, 8], 0)
    assert rows["shared"] == ("Dense", [None, 5, 8], 72)  # called twice: the first call's output, one kernel
    assert rows["add"] == ("Add", [None, 5, 8], 0)
    assert result.total_params == 648
    sent = {name: [a + 1 for a in arrays] for name, arrays in result.weights.items()}
    again = engine.call("build", {"spec": spec}, weights=sent)
    assert set(again.kept) == {name for name, arrays in sent.items()}, "every layer holds the arrays sent"
    # m2 giving 4 features: the shared Dense's second call cannot use the kernel of its first
    broken = spec.with_layer(spec.position_of("m2"), spec.layer_by_id("m2").with_params(output_shape=[4]))
    failure = engine.call("build", {"spec": broken})
    assert isinstance(failure, BuildFailure) and failure.layer_name == "shared"
    assert "shared layer" in failure.message
