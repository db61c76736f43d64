"""A convolution's filters summed over their input channels: the tiles the network canvas draws.

Every convolution variant is read as values of shape (*window, channels per tile, tiles)
(`per_channel`): a Conv kernel is that already; a transposed one has its last two axes swapped; a
depthwise kernel has one channel per tile; a separable layer's tiles are the kernels it amounts
to, depthwise × pointwise (`separable_sums` makes their sums without making them whole). A tile's
cell shows the sum of |w| and of w over the channels (`TileSums`, each (tiles, *window)).

The engine process sums its convolutions while it sends their weights (`engine/shared_memory.py`):
the sums ride along with the layer's first kernel (`remember` / `recall`, `core.array_notes`), so
the GUI process only draws them. A convolution's kernels are its first variables in Keras's
order (`KERNELS`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nnstudio.core import array_notes
from nnstudio.core.layers.registry import layer_types
from nnstudio.core.spec import LayerSpec

# the canvas drawings of convolutions, and the names of the kernels their tiles are made of
KERNELS: dict[str, tuple[str, ...]] = {
    "conv": ("kernel",),
    "conv_transpose": ("kernel",),
    "depthwise_conv": ("kernel",),
    "separable_conv": ("depthwise_kernel", "pointwise_kernel"),
}
NOTE_KEY = "tile_sums"
SEPARABLE_CHUNK = 1 << 20  # values of a separable layer's product made at once while summing


@dataclass(frozen=True)
class TileSums:
    """Sums of w and of |w| over a convolution's input channels, each (tiles, *window)."""

    signed: np.ndarray
    absolute: np.ndarray


def per_channel(drawing: str, kernel: np.ndarray) -> np.ndarray:
    """A Conv, transposed or depthwise kernel as (*window, channels per tile, tiles) values."""
    kernel = np.asarray(kernel)
    if drawing == "conv_transpose":
        return np.swapaxes(kernel, -1, -2)
    if drawing == "depthwise_conv":
        return kernel.reshape(*kernel.shape[:-2], 1, kernel.shape[-2] * kernel.shape[-1])
    return kernel


def float_values(values: np.ndarray) -> np.ndarray:
    """The values as float32 unless they are float already (colours need no more)."""
    values = np.asarray(values)
    return values if values.dtype in (np.float32, np.float64) else values.astype(np.float32)


def channel_sums(values: np.ndarray) -> TileSums:
    """Sum (*window, channels, tiles) values over the channels, in one pass and their own precision
    (float64 sums take twice as long)."""
    values = float_values(values)
    window = tuple(int(d) for d in values.shape[:-2])
    channels, tiles = int(values.shape[-2]), int(values.shape[-1])
    flat = values.reshape(math.prod(window), channels, tiles)
    signed = flat.sum(axis=1).T.reshape(tiles, *window)
    absolute = np.abs(flat).sum(axis=1).T.reshape(tiles, *window)
    return TileSums(signed, absolute)


def separable_sums(depthwise: np.ndarray, pointwise: np.ndarray) -> TileSums:
    """The channel sums of the kernels a separable layer amounts to, w[…, c, f] = Σ_j
    depthwise[…, c, j] · pointwise[c·m + j, f], a few filters at a time."""
    depthwise = float_values(depthwise)
    window, channels, multiplier = depthwise.shape[:-2], depthwise.shape[-2], depthwise.shape[-1]
    flat = depthwise.reshape(-1, channels, multiplier)
    points = np.asarray(pointwise).reshape(channels, multiplier, pointwise.shape[-1])
    tiles, cells = points.shape[-1], flat.shape[0]
    if multiplier == 1:  # one kernel per channel (every keras.applications model): as matrices
        d, p = flat[..., 0], points[:, 0]
        # einsum's optimized path (a tensordot): ~5x faster than its plain loop, and unlike a matmul
        # on these transposed operands it does not spread over the busy cores (60 ms a layer)
        signed = np.einsum("kc,cf->fk", d, p, optimize=True)  # |d·p| = |d|·|p|, channel by channel
        absolute = np.einsum("kc,cf->fk", np.abs(d), np.abs(p), optimize=True)
        return TileSums(signed.reshape(tiles, *window), absolute.reshape(tiles, *window))
    signed, absolute = np.empty((tiles, cells)), np.empty((tiles, cells))
    step = max(1, SEPARABLE_CHUNK // max(cells * channels, 1))
    for start in range(0, tiles, step):
        part = np.einsum("kcm,cmf->kcf", flat, points[:, :, start : start + step])
        signed[start : start + step] = part.sum(axis=1, dtype=np.float64).T
        absolute[start : start + step] = np.abs(part).sum(axis=1, dtype=np.float64).T
    return TileSums(signed.reshape(tiles, *window), absolute.reshape(tiles, *window))


def tile_sums(drawing: str, kernels: Sequence[np.ndarray]) -> TileSums:
    """The tile sums of a convolution drawn as `drawing`, from its kernels (`KERNELS[drawing]`, in order)."""
    if drawing == "separable_conv":
        return separable_sums(kernels[0], kernels[1])
    return channel_sums(per_channel(drawing, kernels[0]))


def convolution_drawings(layers: Iterable[LayerSpec]) -> dict[str, str]:
    """Layer name -> canvas drawing of each convolution among `layers` (as the canvas draws it)."""
    kinds = layer_types()
    found: dict[str, str] = {}
    for layer in layers:
        kind = kinds.get(layer.class_name)
        drawing = kind.drawing_of(layer.params) if kind is not None else ""
        if drawing in KERNELS:
            found[layer.name] = drawing
    return found


def sums_by_layer(drawings: Mapping[str, str], weights: Mapping[str, Sequence[np.ndarray]]) -> dict[str, TileSums]:
    """The tile sums of every convolution layer in `drawings` (layer name -> canvas drawing) that
    has its kernels in `weights` (layer name -> arrays in Keras's order); a layer whose arrays do
    not read as its drawing's kernels is left out (the canvas sums it, or says why not)."""
    found: dict[str, TileSums] = {}
    for name, drawing in drawings.items():
        arrays = weights.get(name)
        needed = len(KERNELS.get(drawing, ()))
        if not needed or not arrays or len(arrays) < needed:
            continue
        kernels = [np.asarray(a) for a in arrays[:needed]]
        if any(k.ndim < 3 or not np.issubdtype(k.dtype, np.number) for k in kernels):
            continue
        try:
            found[name] = tile_sums(drawing, kernels)
        except ValueError:  # shapes that do not multiply: not this drawing's kernels
            continue
    return found


def remember(kernel: np.ndarray, sums: TileSums) -> None:
    """Tie a convolution's tile sums to its first kernel, for as long as that array lives."""
    array_notes.note(kernel, NOTE_KEY, sums)


def recall(kernel: object) -> TileSums | None:
    """The tile sums tied to this very kernel array, if any."""
    return array_notes.noted(kernel, NOTE_KEY)
