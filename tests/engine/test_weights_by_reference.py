"""Weights the window got from the engine go back to it by reference, not copied (Linux)."""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading

import numpy as np
import pytest

from nnstudio.core.spec import lesson_spec
from nnstudio.engine import process, shared_memory
from nnstudio.engine.client import EngineClient
from nnstudio.engine.protocol import RESULT, LoadResult

pytestmark = pytest.mark.skipif(not os.path.isdir(shared_memory.SHM_DIR), reason="Linux lists blocks in /dev/shm")


def lesson_weights(seed: int = 0) -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return {
        "dense": [rng.standard_normal((20, 64)).astype(np.float32), rng.standard_normal(64).astype(np.float32)],
        "dense_1": [rng.standard_normal((64, 10)).astype(np.float32), np.zeros(10, np.float32)],
    }


def test_arrays_of_a_kept_block_go_back_as_references_and_arrive_equal():
    sent = lesson_weights()
    layout = shared_memory.pack(sent, prefix="nnsref_a", keep=True)
    released: list[str] = []
    try:
        assert layout.name in shared_memory.kept_blocks()
        arrived = shared_memory.unpack(layout, on_release=released.append)
        assert not shared_memory.exists(layout.name), "the receiver unlinks the name; the sender keeps the file"
        fresh = np.arange(5, dtype=np.float32)
        back = shared_memory.pack(
            {"dense": arrived["dense"], "new": [fresh]}, prefix="nnsref_b", sum_kernels=False, shared_with="nnsref_a"
        )
        assert [entry.block for entry in dict(back.layers)["dense"]] == [layout.name, layout.name]
        assert [entry.block for entry in dict(back.layers)["new"]] == [""]
        assert back.size < sum(a.nbytes for a in sent["dense"]), "the referenced arrays are not copied"
        got = shared_memory.unpack(back)
        for mine, theirs in zip(sent["dense"], got["dense"], strict=True):
            np.testing.assert_array_equal(theirs, mine)
            assert not theirs.flags.writeable, "the sender's kept block is read here, never written"
        np.testing.assert_array_equal(got["new"][0], fresh)
        del got
        assert released == []
        del arrived
        gc.collect()
        assert released == [layout.name], "the receiver hears when it dropped the block's last array"
    finally:
        shared_memory.release_kept([layout.name])
    assert layout.name not in shared_memory.kept_blocks()


def test_all_arrays_by_reference_make_no_block():
    layout = shared_memory.pack(lesson_weights(), prefix="nnsref_c", keep=True)
    try:
        arrived = shared_memory.unpack(layout)
        before = set(os.listdir(shared_memory.SHM_DIR))
        back = shared_memory.pack(arrived, prefix="nnsref_d", sum_kernels=False, shared_with="nnsref_c")
        assert back.name == "" and set(os.listdir(shared_memory.SHM_DIR)) == before
        got = shared_memory.unpack(back)
        for name, arrays in arrived.items():
            for mine, theirs in zip(arrays, got[name], strict=True):
                np.testing.assert_array_equal(theirs, mine)
        shared_memory.discard(back)  # nothing to unlink: no error
    finally:
        shared_memory.release_kept([layout.name])


def test_arrays_not_lying_whole_in_a_block_of_that_sender_are_copied():
    layout = shared_memory.pack(lesson_weights(), prefix="nnsref_e", keep=True)
    try:
        arrived = shared_memory.unpack(layout)
        kernel = arrived["dense"][0]
        other_sender = shared_memory.pack({"k": [kernel]}, prefix="nnsref_f", sum_kernels=False, shared_with="zz")
        strided = shared_memory.pack(
            {"k": [kernel[:, ::2]]}, prefix="nnsref_f", sum_kernels=False, shared_with="nnsref"
        )
        for back, expected in ((other_sender, kernel), (strided, kernel[:, ::2])):
            assert [entry.block for entry in dict(back.layers)["k"]] == [""]
            got = shared_memory.unpack(back)["k"][0]
            assert got.flags.writeable, "a copy in the new block"
            np.testing.assert_array_equal(got, expected)
    finally:
        shared_memory.release_kept([layout.name])


def test_arrays_of_a_block_its_sender_did_not_keep_are_copied():
    """A training's epochs come unasked (not kept): their arrays go back as copies."""
    released: list[str] = []
    arrived = shared_memory.unpack(shared_memory.pack(lesson_weights(), prefix="nnsref_i"), on_release=released.append)
    back = shared_memory.pack(arrived, prefix="nnsref_j", sum_kernels=False, shared_with="nnsref_i")
    assert back.name and not any(entry.block for _, entries in back.layers for entry in entries)
    np.testing.assert_array_equal(shared_memory.unpack(back)["dense"][0], arrived["dense"][0])
    del arrived
    gc.collect()
    assert released == [], "nothing to tell a sender that keeps nothing"


def test_a_reference_to_a_block_no_longer_kept_is_refused():
    layout = shared_memory.pack(lesson_weights(), prefix="nnsref_g", keep=True)
    arrived = shared_memory.unpack(layout)
    back = shared_memory.pack(arrived, prefix="nnsref_h", sum_kernels=False, shared_with="nnsref_g")
    shared_memory.release_kept([layout.name])
    with pytest.raises(ValueError, match="not kept"):
        shared_memory.unpack(back)
    mixed = shared_memory.pack(
        {**arrived, "new": [np.ones(4, np.float32)]}, prefix="nnsref_h", sum_kernels=False, shared_with="nnsref_g"
    )
    assert mixed.name and shared_memory.exists(mixed.name)
    with pytest.raises(ValueError, match="not kept"):
        shared_memory.unpack(mixed)
    assert not shared_memory.exists(mixed.name), "the block of the refused layout is unlinked all the same"


class _Alive:
    """The engine thread stands in for the engine process."""

    def is_alive(self) -> bool:
        return True


def test_the_engine_reads_the_window_s_references_and_closes_the_files_it_dropped(monkeypatch):
    weights = lesson_weights(1)
    seen: list[dict[str, list[tuple[bool, np.ndarray]]]] = []

    def load(ctx, args):
        return LoadResult(
            ctx.request_id, "lesson.keras", lesson_spec(), {k: [a.copy() for a in v] for k, v in weights.items()}
        )

    def build(ctx, args):
        seen.append({k: [(a.flags.writeable, a.copy()) for a in v] for k, v in (ctx.weights or {}).items()})
        return "built"

    monkeypatch.setitem(process.HANDLERS, "load_keras", load)
    monkeypatch.setitem(process.HANDLERS, "build", build)
    parent, child = multiprocessing.Pipe()
    client = EngineClient(spawned=(_Alive(), parent, shared_memory.new_prefix()))
    engine = threading.Thread(target=process.engine_main, args=(child, client.prefix), daemon=True)
    engine.start()
    kept_before = shared_memory.kept_blocks()
    try:
        client.send("load_keras", 1)
        loaded = client.receive(10).value
        (block,) = shared_memory.kept_blocks() - kept_before
        assert block.startswith(client.prefix)
        client.send("build", 2, weights={**loaded.weights, "extra": [np.ones(3, np.float32)]})
        assert client.receive(10).kind == RESULT
        (arrived,) = seen
        for name, arrays in weights.items():
            assert [writeable for writeable, _ in arrived[name]] == [False] * len(arrays), "read from the kept block"
            for mine, (_, theirs) in zip(arrays, arrived[name], strict=True):
                np.testing.assert_array_equal(theirs, mine)
        assert arrived["extra"][0][0], "an array of the window's own is copied into a new block"
        assert block in shared_memory.kept_blocks(), "the window still holds the file's weights"
        del loaded, arrived
        seen.clear()
        gc.collect()
        client.send("ping", 3)  # the next request tells the engine
        assert client.receive(10).kind == RESULT
        assert block not in shared_memory.kept_blocks()
    finally:
        client.send("shutdown", 9)
        engine.join(10)
