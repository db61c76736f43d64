"""Block sums of a kernel's |w| and w, the aggregate the network canvas draws for groups of neurons.

A kernel of any rank is summed as the matrix it is to the canvas: all its axes but the last as
rows, the last (the outputs) as columns (a conv kernel (3, 3, 64, 128) is a 576 x 128 matrix).
A kernel of R x C weights is cut into blocks of 2**level x 2**level; for each block the sum of |w|
and the sum of w are kept (the canvas draws mean |w| and the balance of signs, sum(w) / sum(|w|)).
The pass over a big kernel is what costs: `block_sums` makes it in row chunks that stay in the
CPU cache and can copy the kernel to its destination in the same pass, so the engine process sums
a kernel while it writes it to shared memory.

The sums ride along with the array they describe: `remember(array, sums)` ties them to that very
array object (for as long as it lives, `core.array_notes`) and `recall(array)` finds them again
wherever the array travels in the GUI process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.core import array_notes

BASE_ELEMENTS = 65_536  # the base level of a kernel has at most about this many blocks
MIN_SUMMED_ELEMENTS = 250_000  # smaller ones are summed where they are drawn (~1 ms; ConvNeXt has 54 of 590k)
CHUNK_BYTES = 1 << 20  # rows summed at a time: about 1 MB, so the second look hits the cache


@dataclass(frozen=True)
class BlockSums:
    """Sums of |w| and of w over the 2**level x 2**level blocks of a kernel's matrix."""

    level: int
    abs_sums: np.ndarray
    signed_sums: np.ndarray


def base_level(size: int, base_elements: int = BASE_ELEMENTS) -> int:
    """The smallest level whose blocks number at most about `base_elements` for `size` weights."""
    level = 0
    while size / 4**level > base_elements:
        level += 1
    return level


def matrix_shape(shape: tuple[int, ...]) -> tuple[int, int]:
    """The (rows, columns) of a kernel of `shape` seen as a matrix: every axis but the last, and the last."""
    if len(shape) < 2:
        raise ValueError(f"a kernel has at least two axes; received shape {shape}")
    rows = 1
    for d in shape[:-1]:
        rows *= d
    return rows, shape[-1]


def as_matrix(kernel: np.ndarray) -> np.ndarray:
    """The kernel as its matrix (a view when the array is contiguous)."""
    return kernel.reshape(matrix_shape(kernel.shape))


def blocks_shape(shape: tuple[int, int], level: int) -> tuple[int, int]:
    """Shape of the block sums of a `shape` kernel at `level` (the last blocks may be partial)."""
    f = 1 << level
    return -(-shape[0] // f), -(-shape[1] // f)


def summable(array: np.ndarray) -> bool:
    """Whether the engine sums this array before sending it: a big float kernel (two axes or more)."""
    return array.ndim >= 2 and array.dtype in (np.float32, np.float64) and array.size >= MIN_SUMMED_ELEMENTS


def block_sums(kernel: np.ndarray, level: int, copy_to: np.ndarray | None = None) -> BlockSums:
    """Sums of |w| and w over 2**level square blocks of a kernel's matrix, in one chunked pass.

    With `copy_to` (same shape and dtype), the kernel is also copied there chunk by chunk."""
    if copy_to is not None and copy_to.shape != kernel.shape:
        raise ValueError(f"cannot copy a {kernel.shape} kernel to {copy_to.shape}")
    k = as_matrix(kernel)
    if copy_to is not None:
        copy_to = as_matrix(copy_to)
    f = 1 << level
    if f == 1:
        if copy_to is not None:
            np.copyto(copy_to, k)
        return BlockSums(0, np.abs(k), k)
    rows, cols = k.shape
    row_abs = np.empty((-(-rows // f), cols), dtype=k.dtype)
    row_sig = np.empty_like(row_abs)
    chunk = max(f, CHUNK_BYTES // max(cols * k.itemsize, 1) // f * f)
    buf = np.empty((min(chunk, rows), cols), dtype=k.dtype)
    for r0 in range(0, rows, chunk):
        part = k[r0 : r0 + chunk]
        if copy_to is not None:
            np.copyto(copy_to[r0 : r0 + chunk], part)
        a = buf[: len(part)]
        np.abs(part, out=a)
        full = len(part) // f
        o = r0 // f
        if full:
            np.add.reduce(part[: full * f].reshape(full, f, cols), axis=1, out=row_sig[o : o + full])
            np.add.reduce(a[: full * f].reshape(full, f, cols), axis=1, out=row_abs[o : o + full])
        if len(part) % f:
            row_sig[o + full] = part[full * f :].sum(axis=0)
            row_abs[o + full] = a[full * f :].sum(axis=0)
    return BlockSums(level, column_sums(row_abs, f), column_sums(row_sig, f))


def column_sums(m: np.ndarray, f: int) -> np.ndarray:
    """Sums over runs of f columns (reshape for the whole runs, one sum for a ragged tail)."""
    rows, cols = m.shape
    full = cols // f
    out = np.empty((rows, -(-cols // f)), dtype=m.dtype)
    if full:
        np.add.reduce(m[:, : full * f].reshape(rows, full, f), axis=2, out=out[:, :full])
    if cols % f:
        out[:, full] = m[:, full * f :].sum(axis=1)
    return out


# -- sums that travel with their array ----------------------------------------------------------

NOTE_KEY = "block_sums"


def remember(array: np.ndarray, sums: BlockSums) -> None:
    """Tie `sums` to this array object until it is garbage collected (`core.array_notes`)."""
    array_notes.note(array, NOTE_KEY, sums)


def recall(array: object) -> BlockSums | None:
    """The sums remembered for this very array object (not an equal copy or a view), if any."""
    return array_notes.noted(array, NOTE_KEY)
