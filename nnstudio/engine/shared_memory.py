"""Weight arrays between processes through one shared-memory block, not pickled.

`pack(weights)` copies a `dict[str, list[np.ndarray]]` into one new
`multiprocessing.shared_memory` block and returns a small picklable `SharedWeights` layout
(block name, dtypes, shapes, offsets). Big kernels (two axes or more) are block-summed (`core.kernel_sums`) in
the same pass that copies them, and their sums travel in the block too. The receiver calls
`unpack(layout)`, which maps the block (on Linux; copies it out elsewhere), unlinks it whatever
happens, and ties each kernel's sums to its array (`kernel_sums.remember`, so the canvas need not
read the kernel again). The tile sums of convolutions, when the sender gives them
(`core.kernel_tiles`), travel the same way, tied to each convolution's first array. When the last array of a big mapping goes, a short-lived background thread
unmaps it: unmapping 500 MB of weights takes ~100 ms of the thread that does it (the GUI thread,
where the views drop the weights they showed). A sender that cannot deliver the layout calls
`discard(layout)`. Blocks are named `<prefix><random>`, so the owner of a dead sender can
`sweep(prefix)` the blocks it left behind; Python's resource tracker is the last line of defence.

Arrays go back by reference (Linux): the engine packs its replies with `keep=True` and keeps each
block's file open after the window has mapped and unlinked it; when the window sends weights that
lie in such a block (`pack(..., shared_with=prefix)`: the file's weights sent back for a build, an
export), the layout names the block and the offset instead of copying the arrays (1.4 GB for
ConvNeXtXLarge: a copy held the window's process up for 100 ms), and the engine maps its own file.
When the window drops a block's last array, `unpack`'s `on_release` hears its name, and the next
request tells the engine (`release_kept`) to close the file.

Measured reason (DESIGN.md): pickling 84 MB of weights through a pipe stalled the GUI process for
158-253 ms; a shared-memory copy does not hold up the GUI thread.
"""

from __future__ import annotations

import contextlib
import errno
import math
import mmap
import os
import secrets
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from multiprocessing import resource_tracker, shared_memory
from typing import Any

import numpy as np

from nnstudio.core import kernel_sums, kernel_tiles
from nnstudio.engine import boot

ALIGN = 64  # bytes; every array starts on a cache line
UNMAP_IN_BACKGROUND_BYTES = 16 * 2**20  # unmapping a smaller block costs the thread that drops it under ~4 ms
PAGES_RELEASED_PER_CALL = 4 * 2**20  # bytes of a big block whose page table entries one madvise drops
DEFAULT_PREFIX = boot.PREFIX
SHM_DIR = boot.SHM_DIR


@dataclass(frozen=True)
class SumsLayout:
    """Where the block sums of a kernel's matrix (|w| then w, each of `shape`, the kernel's dtype) sit."""

    level: int
    shape: tuple[int, int]
    abs_offset: int
    signed_offset: int


@dataclass(frozen=True)
class TilesLayout:
    """Where a convolution's tile sums (`core.kernel_tiles`: w then |w|, each of `shape`) sit."""

    dtype: str
    shape: tuple[int, ...]
    signed_offset: int
    absolute_offset: int

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * np.dtype(self.dtype).itemsize


@dataclass(frozen=True)
class ArrayLayout:
    """One array: in the layout's own block, or (`block`) in a block the receiver sent and keeps."""

    dtype: str
    shape: tuple[int, ...]
    offset: int
    nbytes: int
    sums: SumsLayout | None = None
    block: str = ""


@dataclass(frozen=True)
class SharedWeights:
    """Where each array sits in the block `name` ("": none, every array is a reference). Picklable and small."""

    name: str
    size: int
    layers: tuple[tuple[str, tuple[ArrayLayout, ...]], ...]
    tiles: tuple[tuple[str, TilesLayout], ...] = ()  # convolutions' tile sums, tied to their first array
    kept: bool = False  # the sender keeps the block's file: arrays in it may be sent back by reference

    @property
    def array_count(self) -> int:
        return sum(len(arrays) for _, arrays in self.layers)


def _aligned(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def pack(
    weights: dict[str, list[np.ndarray]],
    prefix: str = DEFAULT_PREFIX,
    sum_kernels: bool = True,
    tiles: Mapping[str, kernel_tiles.TileSums] | None = None,
    keep: bool = False,
    shared_with: str = "",
) -> SharedWeights:
    """Copy `weights` into a new shared-memory block; the caller hands the layout to the receiver.

    With `sum_kernels`, big kernels get their block sums computed in the same pass. `tiles` (layer
    name -> a convolution's tile sums) travel in the block too, for the layer's first array. With
    `keep`, this process keeps the block's file for arrays sent back by reference (`release_kept`).
    Arrays that lie in a block mapped here whose name starts with `shared_with` (one its sender
    keeps) are sent as references to it, not copied."""
    arrays: list[tuple[str, list[np.ndarray | None]]] = []
    offset = 0
    layers: list[tuple[str, tuple[ArrayLayout, ...]]] = []
    for layer_name, layer_arrays in weights.items():
        entries: list[ArrayLayout] = []
        contiguous: list[np.ndarray | None] = []
        for array in layer_arrays:
            reference = _reference(array, shared_with) if shared_with else None
            if reference is not None:
                block_name, at = reference
                shape = tuple(int(d) for d in array.shape)
                entries.append(ArrayLayout(array.dtype.str, shape, at, int(array.nbytes), block=block_name))
                contiguous.append(None)
                continue
            a = np.ascontiguousarray(array)
            if a.dtype.hasobject:
                raise ValueError(f"cannot share object arrays (layer {layer_name!r})")
            start = offset
            offset = _aligned(offset + a.nbytes)
            sums = None
            if sum_kernels and kernel_sums.summable(a):
                level = kernel_sums.base_level(a.size)
                shape = kernel_sums.blocks_shape(kernel_sums.matrix_shape(a.shape), level)
                nbytes = shape[0] * shape[1] * a.itemsize
                sums = SumsLayout(level, shape, offset, _aligned(offset + nbytes))
                offset = _aligned(sums.signed_offset + nbytes)
            entries.append(ArrayLayout(a.dtype.str, tuple(int(d) for d in a.shape), start, int(a.nbytes), sums))
            contiguous.append(a)
        layers.append((str(layer_name), tuple(entries)))
        arrays.append((layer_name, contiguous))
    tile_entries, offset = _place_tiles(tiles or {}, weights, offset)
    if offset == 0 and any(entry.block for _, entries_ in layers for entry in entries_):
        return SharedWeights("", 0, tuple(layers))  # every array is a reference: no block to make
    size = max(offset, 1)
    block = _create(prefix, size)
    try:
        buf = block.buf
        assert buf is not None
        for (_, contiguous), (_, layer_entries) in zip(arrays, layers, strict=True):
            for copied, entry in zip(contiguous, layer_entries, strict=True):
                if copied is not None and entry.nbytes:
                    _write(buf, copied, entry)
        _write_tiles(buf, tile_entries)
        del buf
        name = block.name.lstrip("/")
        layout = SharedWeights(
            name, size, tuple(layers), tuple((n, entry) for n, entry, _ in tile_entries), keep and _keep(name)
        )
    except BaseException:
        _close(block)
        with contextlib.suppress(FileNotFoundError):
            block.unlink()
        raise
    _close(block)
    return layout


def _reference(array: np.ndarray, prefix: str) -> tuple[str, int] | None:
    """(block name, offset) of `array` when it is a whole C-contiguous run of a block mapped here
    whose name starts with `prefix`; None otherwise."""
    if not isinstance(array, np.ndarray) or not array.flags.c_contiguous or array.dtype.hasobject:
        return None
    base = array.base
    while isinstance(base, np.ndarray):
        base = base.base
    if not isinstance(base, _MappedBlock) or not base.kept or not base.name.startswith(prefix):
        return None
    at = array.ctypes.data - base.address
    if at < 0 or at + array.nbytes > base.size:
        return None
    return base.name, at


_kept: dict[str, int] = {}  # block name -> its file, kept open for references (the sender's side)
_kept_lock = threading.Lock()


def _keep(name: str) -> bool:
    """Keep the file of the block `name` (just made here) open, the receiver unlinks its name;
    False where blocks are not files (the receiver copies the arrays out)."""
    if not sys.platform.startswith("linux") or not os.path.isdir(SHM_DIR):
        return False
    fd = os.open(os.path.join(SHM_DIR, name), os.O_RDONLY)
    with _kept_lock:
        _kept[name] = fd
    return True


def release_kept(names: Iterable[str]) -> None:
    """Close the kept files of the blocks `names` (their receiver dropped them); unknown names are skipped."""
    for name in names:
        with _kept_lock:
            fd = _kept.pop(str(name), None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


def kept_blocks() -> frozenset[str]:
    """The names of the blocks whose files this process keeps."""
    with _kept_lock:
        return frozenset(_kept)


def _map_kept(name: str) -> np.ndarray:
    """A read-only mapping of the kept block `name`, as bytes; ValueError when it is not kept."""
    with _kept_lock:
        fd = _kept.get(name)
        if fd is None:
            raise ValueError(f"shared weights block {name} is not kept here: its arrays cannot be read")
        mapping = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    return np.asarray(_MappedBlock(mapping, name))


def _place_tiles(
    tiles: Mapping[str, kernel_tiles.TileSums], weights: dict[str, list[np.ndarray]], offset: int
) -> tuple[list[tuple[str, TilesLayout, kernel_tiles.TileSums]], int]:
    """Places in the block, from `offset` on, for the tile sums of the layers that send arrays."""
    placed = []
    for layer_name, tile_sums in tiles.items():
        if not weights.get(layer_name) or tile_sums.signed.shape != tile_sums.absolute.shape:
            continue
        dtype = np.result_type(tile_sums.signed, tile_sums.absolute)
        shape = tuple(int(d) for d in tile_sums.signed.shape)
        entry = TilesLayout(dtype.str, shape, offset, _aligned(offset + math.prod(shape) * dtype.itemsize))
        offset = _aligned(entry.absolute_offset + entry.nbytes)
        placed.append((str(layer_name), entry, tile_sums))
    return placed, offset


def _write_tiles(buf: memoryview, placed: list[tuple[str, TilesLayout, kernel_tiles.TileSums]]) -> None:
    for _, entry, tile_sums in placed:
        for values, at in ((tile_sums.signed, entry.signed_offset), (tile_sums.absolute, entry.absolute_offset)):
            slot = np.ndarray(entry.shape, dtype=np.dtype(entry.dtype), buffer=buf, offset=at)
            np.copyto(slot, values, casting="safe")
            del slot


def _write(buf: memoryview, a: np.ndarray, entry: ArrayLayout) -> None:
    """Copy one array into the block (summing it on the way when its layout has room for sums)."""
    target = np.ndarray(a.shape, dtype=a.dtype, buffer=buf, offset=entry.offset)
    if entry.sums is None:
        np.copyto(target, a, casting="no")
    else:
        sums = kernel_sums.block_sums(a, entry.sums.level, copy_to=target)
        for values, at in ((sums.abs_sums, entry.sums.abs_offset), (sums.signed_sums, entry.sums.signed_offset)):
            slot = np.ndarray(entry.sums.shape, dtype=a.dtype, buffer=buf, offset=at)
            np.copyto(slot, values, casting="no")
            del slot
    del target


def unpack(layout: SharedWeights, on_release: Callable[[str], object] | None = None) -> dict[str, list[np.ndarray]]:
    """The arrays in the block, which is unlinked whatever happens.

    On Linux the block is mapped into this process and its name removed at once: the arrays are
    views of that mapping, now private to this process (no copy of hundreds of MB; the memory goes
    with the last array); `on_release(name)` is called when the last of them goes. Elsewhere they
    are copied out. Arrays sent by reference are views of this process's kept blocks."""
    try:
        kept = {name: _map_kept(name) for name in sorted({e.block for _, es in layout.layers for e in es if e.block})}
    except BaseException:
        discard(layout)
        raise
    if not layout.name:
        return _arrays(layout, np.empty(0, np.uint8), copy=False, kept=kept)
    mapping = _map_and_unlink(layout)
    if mapping is not None:
        mapped = _MappedBlock(mapping, layout.name, on_release if layout.kept else None, layout.kept)
        return _arrays(layout, np.asarray(mapped), copy=False, kept=kept)
    block = shared_memory.SharedMemory(name=layout.name)
    try:
        buf = block.buf
        result = _arrays(layout, buf, copy=True, kept=kept)
        del buf
        return result
    finally:
        _close(block)
        with contextlib.suppress(FileNotFoundError):
            block.unlink()


def _map_and_unlink(layout: SharedWeights) -> mmap.mmap | None:
    """Map the whole block and unlink its name (Linux lists blocks in /dev/shm); None elsewhere."""
    if not sys.platform.startswith("linux") or not os.path.isdir(SHM_DIR):
        return None
    path = os.path.join(SHM_DIR, layout.name)
    fd = os.open(path, os.O_RDWR)
    try:
        if os.fstat(fd).st_size < layout.size:
            raise ValueError(f"shared weights block {layout.name} is smaller than its layout")
        return mmap.mmap(fd, layout.size)
    finally:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            # the sender's SharedMemory registered the name with the resource tracker both share
            resource_tracker.unregister(f"/{layout.name}", "shared_memory")


class _MappedBlock:
    """A mapped block as numpy sees it (`__array_interface__`): every array made from it keeps it
    alive, and when the last one goes, a big block is unmapped by a background thread and
    `on_release(name)` is called (the sender may then close the file it kept)."""

    def __init__(
        self, mapping: mmap.mmap, name: str = "", on_release: Callable[[str], object] | None = None, kept: bool = False
    ) -> None:
        self._bytes = np.frombuffer(mapping, np.uint8)  # holds the mapping
        self.name = name
        self.kept = kept  # its sender keeps the file
        self.address = int(self._bytes.ctypes.data)
        self.size = int(self._bytes.nbytes)
        self._on_release = on_release
        self.__array_interface__ = {
            "data": (self.address, not self._bytes.flags.writeable),
            "shape": self._bytes.shape,
            "typestr": "|u1",
            "version": 3,
        }

    def __del__(self) -> None:
        if self._on_release is not None:
            self._on_release(self.name)
        if self._bytes.nbytes >= UNMAP_IN_BACKGROUND_BYTES:
            _unmap_later(self._bytes)


_unmapping_lock = threading.RLock()  # reentrant: a block may be dropped while the lock is held on this thread
_to_unmap: list[np.ndarray] = []
_unmapper: threading.Thread | None = None


def _unmap_later(block: np.ndarray) -> None:
    """Hand `block` (the last reference to a mapping) to the unmapping thread, started when none runs."""
    global _unmapper
    with _unmapping_lock:
        _to_unmap.append(block)
        if _unmapper is not None:
            return
        thread = threading.Thread(target=_unmap_waiting, name="nnstudio-unmap", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # the interpreter is shutting down: no new threads, the caller unmaps it
            _to_unmap.clear()
            return
        _unmapper = thread


def _unmap_waiting() -> None:
    """The unmapping thread: drops the blocks handed to it, then ends (none lingers idle)."""
    global _unmapper
    while True:
        with _unmapping_lock:
            if not _to_unmap:
                _unmapper = None
                return
            block = _to_unmap.pop()
        release_pages(block)
        del block  # the mapping's last reference: munmap here


def release_pages(block: np.ndarray) -> None:
    """Drop the page table entries of `block`'s mapping a few MB at a time (its data stays in the
    shared file), so that its unmap finds none to drop. An unmap holds the process's memory map
    locked while it drops them: ~30 ms for a 530 MB block here, while every other thread's mmap
    (the GUI thread's allocations) waited; each of these calls holds it well under a millisecond."""
    mapping = block.base.obj if isinstance(block.base, memoryview) else block.base
    if not isinstance(mapping, mmap.mmap) or not sys.platform.startswith("linux"):
        return
    size = len(mapping)
    for offset in range(0, size, PAGES_RELEASED_PER_CALL):
        with contextlib.suppress(OSError, ValueError):  # closed, or refused: the unmap drops them
            mapping.madvise(mmap.MADV_DONTNEED, offset, min(PAGES_RELEASED_PER_CALL, size - offset))


def _arrays(
    layout: SharedWeights, buf: Any, copy: bool, kept: Mapping[str, np.ndarray] | None = None
) -> dict[str, list[np.ndarray]]:
    """The arrays of `layout` in `buf` (or, sent by reference, in the `kept` blocks): copies, or
    views that keep their block alive."""
    result: dict[str, list[np.ndarray]] = {}
    for layer_name, entries in layout.layers:
        out = []
        for entry in entries:
            source = (kept or {})[entry.block] if entry.block else buf
            if entry.offset + entry.nbytes > len(source):
                raise ValueError(f"shared weights of {layer_name!r} lie outside the block")
            array = np.ndarray(entry.shape, dtype=np.dtype(entry.dtype), buffer=source, offset=entry.offset)
            if copy and not entry.block:
                array = array.copy()
            if entry.sums is not None and not entry.block:
                _recall_sums(buf, array, entry.sums, copy)
            out.append(array)
        result[layer_name] = out
    for layer_name, tiles in layout.tiles:
        if result.get(layer_name):
            _recall_tiles(buf, result[layer_name][0], tiles, copy)
    return result


def _recall_tiles(buf: Any, first: np.ndarray, tiles: TilesLayout, copy: bool) -> None:
    """Tie a convolution's tile sums (from the block) to its first array; skipped when they lie outside it."""
    if max(tiles.signed_offset, tiles.absolute_offset) + tiles.nbytes > len(buf):
        return
    signed, absolute = (
        np.ndarray(tiles.shape, dtype=np.dtype(tiles.dtype), buffer=buf, offset=at)
        for at in (tiles.signed_offset, tiles.absolute_offset)
    )
    if copy:
        signed, absolute = signed.copy(), absolute.copy()
    kernel_tiles.remember(first, kernel_tiles.TileSums(signed, absolute))


def _recall_sums(buf: Any, array: np.ndarray, sums: SumsLayout, copy: bool) -> None:
    """Tie the kernel's block sums (from the block) to its array; skipped when they do not fit."""
    if array.ndim < 2 or tuple(sums.shape) != kernel_sums.blocks_shape(
        kernel_sums.matrix_shape(array.shape), sums.level
    ):
        return
    nbytes = sums.shape[0] * sums.shape[1] * array.itemsize
    if max(sums.abs_offset, sums.signed_offset) + nbytes > len(buf):
        return
    abs_sums, signed_sums = (
        np.ndarray(sums.shape, dtype=array.dtype, buffer=buf, offset=at) for at in (sums.abs_offset, sums.signed_offset)
    )
    if copy:
        abs_sums, signed_sums = abs_sums.copy(), signed_sums.copy()
    kernel_sums.remember(array, kernel_sums.BlockSums(sums.level, abs_sums, signed_sums))


def discard(layout: SharedWeights | None) -> None:
    """Unlink a block that will never be unpacked (stale reply, failed send). Idempotent."""
    if layout is None or not layout.name:
        return
    try:
        block = shared_memory.SharedMemory(name=layout.name)
    except FileNotFoundError:
        return
    _close(block)
    with contextlib.suppress(FileNotFoundError):
        block.unlink()


def sweep(prefix: str) -> int:
    """Unlink every block whose name starts with `prefix` (left by a sender that died). Linux only."""
    if not sys.platform.startswith("linux") or not os.path.isdir(SHM_DIR) or not prefix:
        return 0
    count = 0
    for entry in os.listdir(SHM_DIR):
        if entry.startswith(prefix):
            # Unlinked by its path, not opened: a sender killed between creating a block and
            # sizing it leaves an empty one, which cannot be mapped.
            try:
                os.unlink(os.path.join(SHM_DIR, entry))
            except OSError:
                continue
            count += 1
    return count


def exists(name: str) -> bool:
    """Whether a block called `name` still exists (for tests; Linux lists blocks in /dev/shm)."""
    if os.path.isdir(SHM_DIR):
        return os.path.exists(os.path.join(SHM_DIR, name.lstrip("/")))
    try:
        block = shared_memory.SharedMemory(name=name)
    except FileNotFoundError:
        return False
    _close(block)
    return True


def new_prefix() -> str:
    """A fresh prefix for one sender's blocks (short: macOS caps names at 31 characters)."""
    return boot.new_prefix()


def _create(prefix: str, size: int) -> shared_memory.SharedMemory:
    _check_room(size)
    while True:
        try:
            return shared_memory.SharedMemory(name=f"{prefix}{secrets.token_hex(6)}", create=True, size=size)
        except FileExistsError:
            continue


def _check_room(size: int) -> None:
    """Refuse a block that /dev/shm has no room for: writing past its end would not raise but
    kill the writing process with SIGBUS (a container's /dev/shm is often 64 MB)."""
    if not os.path.isdir(SHM_DIR):
        return
    try:
        stats = os.statvfs(SHM_DIR)
    except OSError:
        return
    free = stats.f_bavail * stats.f_frsize
    if size > free:
        raise OSError(
            errno.ENOSPC,
            f"not enough shared memory for the weights: {size / 2**20:,.0f} MB needed, "
            f"{free / 2**20:,.0f} MB free in {SHM_DIR}",
        )


def _close(block: shared_memory.SharedMemory) -> None:
    with contextlib.suppress(BufferError):
        block.close()
