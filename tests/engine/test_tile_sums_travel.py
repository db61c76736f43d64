"""Convolutions' tile sums travel through shared memory tied to the layer's first array."""

from __future__ import annotations

import os

import numpy as np
import pytest

from nnstudio.core import kernel_tiles
from nnstudio.engine import shared_memory


def test_tile_sums_arrive_tied_to_the_layers_first_array_and_nowhere_else():
    rng = np.random.default_rng(4)
    kernel, bias = rng.normal(size=(3, 3, 8, 16)).astype(np.float32), np.zeros(16, np.float32)
    dense = rng.normal(size=(20, 4)).astype(np.float32)
    sums = kernel_tiles.tile_sums("conv", [kernel])
    weights = {"conv": [kernel, bias], "dense": [dense], "kept": []}
    tiles = {"conv": sums, "kept": sums, "absent": sums}  # sums for layers without arrays are not sent
    layout = shared_memory.pack(weights, tiles=tiles)
    assert [name for name, _ in layout.tiles] == ["conv"]
    arrived = shared_memory.unpack(layout)
    np.testing.assert_array_equal(arrived["conv"][0], kernel)
    found = kernel_tiles.recall(arrived["conv"][0])
    assert found is not None
    np.testing.assert_array_equal(found.signed, sums.signed)
    np.testing.assert_array_equal(found.absolute, sums.absolute)
    assert kernel_tiles.recall(arrived["conv"][1]) is None and kernel_tiles.recall(arrived["dense"][0]) is None
    assert kernel_tiles.recall(shared_memory.unpack(shared_memory.pack(weights))["conv"][0]) is None


@pytest.mark.skipif(not os.path.isdir(shared_memory.SHM_DIR), reason="Linux lists blocks in /dev/shm")
def test_tile_sums_are_copied_out_where_the_block_is_not_mapped():
    kernel = np.arange(2 * 2 * 3 * 4, dtype=np.float32).reshape(2, 2, 3, 4)
    sums = kernel_tiles.tile_sums("conv", [kernel])
    layout = shared_memory.pack({"conv": [kernel]}, tiles={"conv": sums})
    block = np.zeros(layout.size, np.uint8)
    mapped = shared_memory._map_and_unlink(layout)
    assert mapped is not None
    block[:] = np.frombuffer(mapped, np.uint8)
    mapped.close()
    arrived = shared_memory._arrays(layout, block, copy=True)
    found = kernel_tiles.recall(arrived["conv"][0])
    assert found is not None and not np.shares_memory(found.signed, block)
    np.testing.assert_array_equal(found.absolute, sums.absolute)


def test_weights_sent_to_the_engine_are_not_summed_on_the_way():
    """The window sends its weights for builds: the sums are for drawing, which the engine does not do."""
    from tests.engines import recording_client

    client, sent = recording_client()
    big = np.ones((1100, 1000), np.float32)  # summed when the engine sends it
    client.send("build", 1, {}, weights={"dense": [big]})
    layout = sent[0].weights
    try:
        assert all(entry.sums is None for _, entries in layout.layers for entry in entries) and not layout.tiles
    finally:
        shared_memory.discard(layout)
