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


def test_the_last_array_of_a_big_block_dropped_leaves_its_unmapping_to_a_background_thread(monkeypatch):
    released: list[int] = []
    release = shared_memory.release_pages
    monkeypatch.setattr(shared_memory, "release_pages", lambda block: released.append(block.nbytes) or release(block))
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
    assert released == [layout.size], "its pages were released before the unmap"


def test_a_small_block_is_unmapped_at_once_by_the_thread_that_drops_it():
    layout = shared_memory.pack({"dense": [np.ones((20, 64), np.float32)]})
    arrived = shared_memory.unpack(layout)
    assert _mapped(layout.name)
    del arrived
    assert not _mapped(layout.name)
    assert all(thread.name != "nnstudio-unmap" for thread in threading.enumerate())


def _resident_kb(name: str) -> int:
    """The resident size (kB) of this process's mappings of the (unlinked) block `name`."""
    total, inside = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            if "-" in line.split(" ", 1)[0]:  # a mapping's header line
                inside = name in line
            elif inside and line.startswith("Rss:"):
                total += int(line.split()[1])
    return total


def test_a_big_block_s_pages_are_released_a_few_mb_at_a_time_and_its_data_stays():
    """Before its unmap, the unmapping thread drops the block's page table entries a few MB per call:
    the unmap then holds the process's memory map (every other thread's mmap waits) for next to nothing."""
    kernel = np.arange(6 * 2**20, dtype=np.float32).reshape(3 * 2**10, 2 * 2**10)  # 24 MB
    layout = shared_memory.pack({"dense": [kernel]}, sum_kernels=False)
    array = shared_memory.unpack(layout)["dense"][0]
    assert float(array.sum(dtype=np.float64)) == float(kernel.sum(dtype=np.float64))  # every page read
    assert _resident_kb(layout.name) >= 24 * 1024
    block = array.base
    while isinstance(block, np.ndarray):
        block = block.base
    assert isinstance(block, shared_memory._MappedBlock)
    shared_memory.release_pages(block._bytes)
    assert _resident_kb(layout.name) == 0, "every page table entry dropped"
    np.testing.assert_array_equal(array, kernel)  # the data stays: read again from the shared file
