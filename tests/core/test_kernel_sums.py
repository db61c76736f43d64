"""Block sums of kernels (core.kernel_sums): exact sums, the fused copy, and sums that travel
with their own array object only."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from nnstudio.core import array_notes
from nnstudio.core import kernel_sums as K


def brute_sums(kernel: np.ndarray, level: int) -> tuple[np.ndarray, np.ndarray]:
    f = 1 << level
    rows, cols = K.blocks_shape(kernel.shape, level)
    out_abs, out_sig = np.zeros((rows, cols)), np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            block = kernel[i * f : (i + 1) * f, j * f : (j + 1) * f].astype(np.float64)
            out_abs[i, j], out_sig[i, j] = np.abs(block).sum(), block.sum()
    return out_abs, out_sig


@pytest.mark.parametrize(("shape", "level"), [((7, 5), 0), ((64, 64), 3), ((300, 257), 2), ((33, 1200), 4)])
def test_block_sums_match_brute_force_including_ragged_edges(shape, level, monkeypatch):
    monkeypatch.setattr(K, "CHUNK_BYTES", 4096)  # several chunks even for small kernels
    kernel = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    sums = K.block_sums(kernel, level)
    want_abs, want_sig = brute_sums(kernel, level)
    assert sums.level == level and sums.abs_sums.shape == K.blocks_shape(shape, level)
    np.testing.assert_allclose(sums.abs_sums, want_abs, rtol=2e-5, atol=1e-4)
    np.testing.assert_allclose(sums.signed_sums, want_sig, rtol=2e-5, atol=1e-3)


def test_block_sums_copy_the_kernel_in_the_same_pass(monkeypatch):
    monkeypatch.setattr(K, "CHUNK_BYTES", 8192)
    kernel = np.random.default_rng(2).normal(size=(301, 130)).astype(np.float32)
    target = np.zeros_like(kernel)
    K.block_sums(kernel, 3, copy_to=target)
    np.testing.assert_array_equal(target, kernel)
    with pytest.raises(ValueError, match="cannot copy"):
        K.block_sums(kernel, 3, copy_to=np.zeros((300, 130), np.float32))


def test_base_level_keeps_the_block_count_under_the_budget():
    assert K.base_level(100) == 0
    assert K.base_level(4096 * 4096) == 4  # 256 x 256 blocks of 16 x 16
    for size in (10**5, 10**6, 3 * 10**7):
        level = K.base_level(size)
        assert size / 4**level <= K.BASE_ELEMENTS < size / 4 ** (level - 1)


def test_only_big_float_matrices_are_summed_before_sending():
    assert K.summable(np.zeros((1024, 1024), np.float32))
    assert K.summable(np.zeros((384, 1536), np.float32))  # ConvNeXtSmall's pointwise Dense, 54 of them
    assert not K.summable(np.zeros((256, 512), np.float32))  # small: summed where drawn
    assert not K.summable(np.zeros(2_000_000, np.float32))  # a bias or a flat array
    assert not K.summable(np.zeros((1024, 1024), np.int32))


def test_sums_are_recalled_for_that_array_object_only_and_forgotten_with_it():
    kernel = np.ones((4, 4), np.float32)
    sums = K.block_sums(kernel, 1)
    K.remember(kernel, sums)
    assert K.recall(kernel) is sums
    assert K.recall(kernel.copy()) is None and K.recall(kernel[...]) is None  # equal data, other object
    before = len(array_notes._notes)
    del kernel
    gc.collect()
    assert len(array_notes._notes) == before - 1
