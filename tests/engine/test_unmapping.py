"""Weights that arrived through shared memory: a big block is unmapped off the thread that drops them."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from nnstudio.engine import shared_memory

pytestmark = pytest.mark.skipif(
    not os.path.isdir(shared_memory.SHM_DIR), reason="the arrays are views of a mapping on Linux only"
)


def _mapped(name: str) -> bool:
    """Whether this process still maps the (unlinked) block `name`."""
    with open("/proc/self/maps") as maps:
        return any(name in line for line in maps)


def _wait_until(done, timeout_s: float = 10.0) -> bool:
    end = time.monotonic() + timeout_s
    while not done() and time.monotonic() < end:
        time.sleep(0.005)
    return done()


def test_the_last_array_of_a_big_block_dropped_leaves_its_unmapping_to_a_background_thread():
    kernel = np.arange(6 * 2**20, dtype=np.float32).reshape(3 * 2**10, 2 * 2**10)  # 24 MB
    layout = shared_memory.pack({"dense": [kernel, np.ones(2**11, np.float32)]}, sum_kernels=False)
    assert layout.size >= shared_memory.UNMAP_IN_BACKGROUND_BYTES
    arrived = shared_memory.unpack(layout)
    bias = arrived["dense"][1]
    np.testing.assert_array_equal(arrived["dense"][0], kernel)
    assert arrived["dense"][0].flags.writeable and not arrived["dense"][0].flags.owndata
    del arrived
    assert _mapped(layout.name)  # the bias alone keeps the whole block
    np.testing.assert_array_equal(bias, 1.0)
    with shared_memory._unmapping_lock:  # the unmapping thread waits for it: nothing is unmapped meanwhile
        del bias
        assert _mapped(layout.name), "the thread that dropped the last array unmapped the block itself"
        assert any(thread.name == "nnstudio-unmap" for thread in threading.enumerate())
    assert _wait_until(lambda: not _mapped(layout.name)), "the block was never unmapped"
    assert _wait_until(lambda: all(thread.name != "nnstudio-unmap" for thread in threading.enumerate()))


def test_a_small_block_is_unmapped_at_once_by_the_thread_that_drops_it():
    layout = shared_memory.pack({"dense": [np.ones((20, 64), np.float32)]})
    arrived = shared_memory.unpack(layout)
    assert _mapped(layout.name)
    del arrived
    assert not _mapped(layout.name)
    assert all(thread.name != "nnstudio-unmap" for thread in threading.enumerate())
