"""Feature maps and convolution kernels for the canvas, in plain numpy (no Qt, testable alone).

A convolution or pooling layer is drawn as what it makes, a block of feature maps (its output:
spatial sizes × channels), and a convolution also as what it learns: its filters, each a small
grid of kernel tiles coloured by sign and strength like the Dense weights. A tile's cell is one
tap of the window; when a filter reads several input channels the cell aggregates them, as the
Dense groups do: the mean of |w| and the balance of signs, sum(w) / sum(|w|). Zoomed in far
enough, each cell shows its input channels one by one.

Every convolution variant is read into the same form, `KernelTiles`: `per_channel` holds the
values of shape (*window, channels per tile, tiles), summed over the channels by
`core.kernel_tiles` (in the engine process, when the weights came from it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnstudio.core import kernel_tiles

MIXED_BALANCE = 0.2  # |balance| below this counts as a mix of signs (as for the Dense groups)


@dataclass(frozen=True)
class TileLayout:
    """How a layer's filters are laid out as tiles: how many, each window's shape, and how many
    input channels each cell aggregates."""

    tiles: int
    window: tuple[int, ...]
    channels: int

    @property
    def plane(self) -> tuple[int, int]:
        """A tile's rows and columns of cells: 1-D windows lie in one row; a 3-D window's slices
        lie side by side with a gap column between them."""
        return plane_shape(self.window)


def plane_shape(window: tuple[int, ...]) -> tuple[int, int]:
    if len(window) == 1:
        return 1, window[0]
    if len(window) == 2:
        return window[0], window[1]
    depth, rows, cols = window[0], window[1], math.prod(window[2:])
    return rows, depth * (cols + 1) - 1


def to_plane(values: np.ndarray, window: tuple[int, ...]) -> np.ndarray:
    """(tiles, *window) values as (tiles, rows, cols) planes (see `TileLayout.plane`); the gap
    columns between a 3-D window's slices are NaN."""
    tiles = values.shape[0]
    if len(window) == 1:
        return values.reshape(tiles, 1, window[0])
    if len(window) == 2:
        return values
    depth, rows = window[0], window[1]
    cols = math.prod(window[2:])
    flat = values.reshape(tiles, depth, rows, cols)
    out = np.full((tiles, rows, depth * (cols + 1) - 1), np.nan, dtype=np.float64)
    for d in range(depth):
        out[:, :, d * (cols + 1) : d * (cols + 1) + cols] = flat[:, d]
    return out


def plane_index(window: tuple[int, ...], row: int, col: int) -> tuple[int, ...] | None:
    """The window position of cell (row, col) of a tile plane; None for a gap column."""
    if len(window) == 1:
        return (col,)
    if len(window) == 2:
        return (row, col)
    cols = math.prod(window[2:])
    depth, within = divmod(col, cols + 1)
    if within == cols or depth >= window[0]:
        return None
    return (depth, row, within)


@dataclass
class KernelTiles:
    """A layer's filters as tiles, from its real weights (see the module docstring)."""

    layout: TileLayout
    per_channel: np.ndarray | SeparableKernel  # (*window, channels, tiles): the values each cell aggregates
    signed: np.ndarray  # (tiles, *window): sum of w over the channels
    absolute: np.ndarray  # (tiles, *window): sum of |w| over the channels
    bias: np.ndarray | None  # per tile (the output channel it makes)
    scale: float  # the layer's large mean |w| (98th percentile): full strength

    def mean_abs(self, tiles: slice = slice(None)) -> np.ndarray:
        """Each cell's mean |w| over the channels, of `tiles` (all by default)."""
        return self.absolute[tiles] / max(self.layout.channels, 1)

    def balance(self, tiles: slice = slice(None)) -> np.ndarray:
        """Each cell's sum of w over its sum of |w| (-1 to 1), of `tiles` (all by default)."""
        absolute, signed = self.absolute[tiles], self.signed[tiles]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(absolute > 0, signed / np.where(absolute > 0, absolute, 1), 0.0)


def _percentile98(values: np.ndarray) -> float:
    """The 98th percentile by partition (np.quantile imports numpy.ma, slow on first use)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 1.0
    k = min(v.size - 1, int(round(0.98 * (v.size - 1))))
    found = float(np.partition(v, k)[k])
    return found if found > 0 else (float(v.max()) if v.max() > 0 else 1.0)


def _kernel_tiles(layout: TileLayout, values, sums: kernel_tiles.TileSums, bias) -> KernelTiles:
    scale = _percentile98(sums.absolute / max(layout.channels, 1))
    bias_values = None if bias is None else np.asarray(bias, dtype=np.float64).ravel()
    return KernelTiles(layout, values, sums.signed, sums.absolute, bias_values, scale)


class SeparableKernel:
    """A separable layer's per-channel kernel, (*window, channels, filters), made one filter at a
    time when asked for (`kernel[..., f]`, `kernel[(*where, channel, f)]`; `np.asarray` makes it
    whole). Whole it is window × channels × filters values, up to nine times the layer's own
    weights: Xception's separable layers alone would hold 650 MB."""

    def __init__(self, depthwise: np.ndarray, pointwise: np.ndarray) -> None:
        window, channels, multiplier = depthwise.shape[:-2], depthwise.shape[-2], depthwise.shape[-1]
        self.window = tuple(int(d) for d in window)
        self._flat = depthwise.reshape(-1, channels, multiplier)
        self._points = pointwise.reshape(channels, multiplier, pointwise.shape[-1])
        self.shape = (*self.window, int(channels), int(pointwise.shape[-1]))
        self.ndim = len(self.shape)

    def filter(self, tile: int) -> np.ndarray:
        """Filter `tile`'s kernel, (*window, channels)."""
        return np.einsum("kcm,cm->kc", self._flat, self._points[:, :, tile]).reshape(*self.window, self.shape[-2])

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        if key and isinstance(key[-1], int | np.integer):
            return self.filter(int(key[-1]))[key[:-1]]
        return np.asarray(self)[key]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = np.einsum("kcm,cmf->kcf", self._flat, self._points).reshape(self.shape)
        return whole if dtype is None else whole.astype(dtype)


class KernelReader:
    """Reads one convolution variant's weights as tiles; `layout` tells the tiles from the
    variables' shapes alone (while the weights are pending). Tile sums the engine made for these
    very arrays (`kernel_tiles.recall`) are taken as they are."""

    drawing = "conv"

    def layout(self, shapes: dict[str, tuple[int, ...]]) -> TileLayout:
        kernel = shapes["kernel"]
        return TileLayout(kernel[-1], tuple(kernel[:-2]), kernel[-2])

    def per_channel(self, named: dict[str, np.ndarray]) -> np.ndarray | SeparableKernel:
        return kernel_tiles.float_values(kernel_tiles.per_channel(self.drawing, named["kernel"]))

    def tiles(self, named: dict[str, np.ndarray]) -> KernelTiles:
        values = self.per_channel(named)
        layout = TileLayout(int(values.shape[-1]), tuple(int(d) for d in values.shape[:-2]), int(values.shape[-2]))
        kernels = [named[name] for name in kernel_tiles.KERNELS[self.drawing]]
        sums = kernel_tiles.recall(kernels[0])  # made with these very arrays, in the engine
        if sums is None or sums.signed.shape != (layout.tiles, *layout.window):
            sums = kernel_tiles.tile_sums(self.drawing, kernels)
        return _kernel_tiles(layout, values, sums, named.get("bias"))


class TransposeReader(KernelReader):
    """A transposed convolution's kernel is (*window, filters, input channels)."""

    drawing = "conv_transpose"

    def layout(self, shapes: dict[str, tuple[int, ...]]) -> TileLayout:
        kernel = shapes["kernel"]
        return TileLayout(kernel[-2], tuple(kernel[:-2]), kernel[-1])


class DepthwiseReader(KernelReader):
    """A depthwise kernel (*window, channels, multiplier) makes output channel c·m + j from input
    channel c alone: one tile per output channel, one channel per tile."""

    drawing = "depthwise_conv"

    def layout(self, shapes: dict[str, tuple[int, ...]]) -> TileLayout:
        kernel = shapes["kernel"]
        return TileLayout(kernel[-2] * kernel[-1], tuple(kernel[:-2]), 1)


class SeparableReader(KernelReader):
    """A separable layer amounts to one kernel per filter: depthwise (*window, c, m) followed by
    pointwise (1…, c·m, filters) is w[…, c, f] = Σ_j depthwise[…, c, j] · pointwise[c·m + j, f]."""

    drawing = "separable_conv"

    def layout(self, shapes: dict[str, tuple[int, ...]]) -> TileLayout:
        depthwise, pointwise = shapes["depthwise_kernel"], shapes["pointwise_kernel"]
        return TileLayout(pointwise[-1], tuple(depthwise[:-2]), depthwise[-2])

    def per_channel(self, named: dict[str, np.ndarray]) -> SeparableKernel:
        depthwise = kernel_tiles.float_values(named["depthwise_kernel"])
        return SeparableKernel(depthwise, np.asarray(named["pointwise_kernel"]))


READERS: dict[str, KernelReader] = {
    reader.drawing: reader for reader in (KernelReader(), TransposeReader(), DepthwiseReader(), SeparableReader())
}


def attach_kernels(column, named: dict[str, np.ndarray]) -> None:
    """A drawer's `attach`: the column's filters as tiles, from its named weights."""
    column.figure = READERS[column.drawing].tiles(named)


def tile_layout(column) -> TileLayout | None:
    """The tiles of a convolution column, from its weights if they came, else from their shapes."""
    if isinstance(column.figure, KernelTiles):
        return column.figure.layout
    reader = READERS.get(column.drawing)
    if reader is None or not column.weight_shapes:
        return None
    return reader.layout(dict(zip(column.weight_names, column.weight_shapes, strict=False)))


# -- the feature maps ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MapShape:
    """A feature-map tensor: its spatial sizes and channel count (either data format)."""

    spatial: tuple[int, ...]
    channels: int

    def text(self) -> str:
        return "×".join(str(d) for d in (*self.spatial, self.channels))


def map_shape(shape: tuple[int, ...] | None, data_format: str) -> MapShape | None:
    """The spatial sizes and channels of a drawn shape (None when it has no spatial axis)."""
    if not shape:
        return None
    if len(shape) == 1:
        return MapShape((shape[0],), 1)
    if data_format == "channels_first":
        return MapShape(tuple(shape[1:]), shape[0])
    return MapShape(tuple(shape[:-1]), shape[-1])


# -- choosing the mosaic of tiles -----------------------------------------------------------------


@dataclass(frozen=True)
class Mosaic:
    """Tiles laid out in a grid: `cols` × `rows` tiles (filled column by column), each
    `plane` cells with `gap` empty cells between tiles, a cell `cell_px` pixels square."""

    cols: int
    rows: int
    plane: tuple[int, int]
    cell_px: float
    gap: int = 1

    @property
    def cells(self) -> tuple[int, int]:
        """(rows, cols) of cells of the whole mosaic, gaps included."""
        g = self.gap
        return self.rows * (self.plane[0] + g) - g, self.cols * (self.plane[1] + g) - g

    def tile_at(self, tile: int) -> tuple[int, int]:
        """The (row, col) of a tile's first cell."""
        col, row = divmod(tile, self.rows)
        return row * (self.plane[0] + self.gap), col * (self.plane[1] + self.gap)

    def cell_at(self, row: float, col: float, tiles: int) -> tuple[int, int, int] | None:
        """(tile, row, col in its plane) of the mosaic cell at (row, col), or None for a gap."""
        r, c = int(math.floor(row)), int(math.floor(col))
        tr, ir = divmod(r, self.plane[0] + self.gap)
        tc, ic = divmod(c, self.plane[1] + self.gap)
        if r < 0 or c < 0 or ir >= self.plane[0] or ic >= self.plane[1] or tr >= self.rows or tc >= self.cols:
            return None
        tile = tc * self.rows + tr
        return (tile, ir, ic) if tile < tiles else None


def choose_mosaic(layout: TileLayout, width_px: float, height_px: float, max_cell_px: float | None = None) -> Mosaic:
    """The grid of tiles with the largest square cells that fits width × height pixels (a 3-D
    window's tiles, whose slices lie one cell apart, lie two cells apart)."""
    plane = layout.plane
    gap = 2 if len(layout.window) > 2 else 1
    count = max(layout.tiles, 1)
    cols = np.arange(1, count + 1)
    rows = -(-count // cols)
    cell = np.minimum(width_px / (cols * (plane[1] + gap)), height_px / (rows * (plane[0] + gap)))
    best = int(np.argmax(cell))
    size = float(cell[best])
    if max_cell_px is not None:
        size = min(size, max_cell_px)
    return Mosaic(int(cols[best]), int(rows[best]), plane, max(size, 1e-6), gap)


# -- colours ----------------------------------------------------------------------------------------


def rgb(colour: str) -> np.ndarray:
    """`#1f6fb4` -> [31, 111, 180]."""
    text = colour.lstrip("#")
    return np.array([int(text[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float64)


def cell_colours(
    mean_abs: np.ndarray, balance: np.ndarray, scale: float, positive: str, negative: str, mixed: str, background: str
) -> np.ndarray:
    """RGBA (uint8) per cell: the sign's hue (blue w > 0, orange w < 0, grey for a mix) laid over
    the background with the strength of |w| against `scale`, as the Dense weights are drawn.
    NaN cells (gaps) are transparent."""
    gaps = np.isnan(mean_abs)
    # float32 throughout: a big kernel has millions of cells, coloured between events
    strength = np.asarray(mean_abs, dtype=np.float32) * np.float32(1.0 / max(scale, 1e-12))
    strength[gaps] = 0.0
    np.clip(strength, 0.0, 1.0, out=strength)
    alpha = np.power(strength, np.float32(0.75), out=strength)
    alpha *= np.float32(0.85)
    alpha += np.float32(0.1)
    sign = np.where(balance >= MIXED_BALANCE, 0, np.where(balance <= -MIXED_BALANCE, 1, 2)).astype(np.int8)
    alpha[sign == 2] *= np.float32(0.6)
    back = rgb(background).astype(np.float32)
    offsets = np.stack([rgb(positive), rgb(negative), rgb(mixed)]).astype(np.float32) - back
    colour = offsets[sign]
    colour *= alpha[..., None]
    colour += back
    out = np.empty((*mean_abs.shape, 4), dtype=np.uint8)
    np.clip(np.round(colour, out=colour), 0, 255, out=colour)
    out[..., :3] = colour
    out[..., 3] = np.where(gaps, 0, 255)
    return out


def mosaic_rgba(tiles: KernelTiles, mosaic: Mosaic, colours: dict[str, str]) -> np.ndarray:
    """The whole mosaic as one RGBA image (rows, cols, 4), gaps transparent."""
    return arrange(tile_rgba(tiles, colours), mosaic)


def tile_rgba(tiles: KernelTiles, colours: dict[str, str], start: int = 0, stop: int | None = None) -> np.ndarray:
    """Every tile's cells as RGBA (tiles, rows, cols, 4), whatever the mosaic they are laid out in;
    tiles `start` to `stop` alone when given."""
    layout = tiles.layout
    part = slice(start, stop)
    planes_abs = to_plane(tiles.mean_abs(part), layout.window)
    planes_bal = to_plane(tiles.balance(part), layout.window)
    return cell_colours(planes_abs, planes_bal, tiles.scale, **colours)


def arrange(per_tile: np.ndarray, mosaic: Mosaic) -> np.ndarray:
    """(tiles, rows, cols, 4) images laid out as the mosaic says, gaps transparent (one copy)."""
    ph, pw = mosaic.plane
    g = mosaic.gap
    slots = mosaic.rows * mosaic.cols
    padded = np.zeros((slots, ph + g, pw + g, 4), dtype=np.uint8)
    padded[: per_tile.shape[0], :ph, :pw] = per_tile
    # tile t sits in column t // rows, row t % rows
    grid = padded.reshape(mosaic.cols, mosaic.rows, ph + g, pw + g, 4).transpose(1, 2, 0, 3, 4)
    rows, cols = mosaic.cells
    return np.ascontiguousarray(grid.reshape(mosaic.rows * (ph + g), mosaic.cols * (pw + g), 4)[:rows, :cols])


def downsample(rgba: np.ndarray, factor: int) -> np.ndarray:
    """The image with each `factor` × `factor` block of pixels averaged into one (transparent
    pixels weigh nothing in the colour): how a mosaic whose cells are smaller than a pixel looks."""
    if factor <= 1:
        return rgba
    rows, cols = rgba.shape[:2]
    r, c = -(-rows // factor) * factor, -(-cols // factor) * factor
    padded = np.zeros((r, c, 4), dtype=np.float64)
    padded[:rows, :cols] = rgba
    alpha = padded[..., 3:4] / 255.0
    blocks = (padded[..., :3] * alpha).reshape(r // factor, factor, c // factor, factor, 3).sum(axis=(1, 3))
    weight = alpha.reshape(r // factor, factor, c // factor, factor, 1).sum(axis=(1, 3))
    out = np.zeros((r // factor, c // factor, 4), dtype=np.uint8)
    out[..., :3] = np.clip(np.round(blocks / np.maximum(weight, 1e-12)), 0, 255)
    out[..., 3] = np.clip(np.round(weight[..., 0] / (factor * factor) * 255), 0, 255)
    return out


def pending_rgba(layout: TileLayout, mosaic: Mosaic, fill: str) -> np.ndarray:
    """The mosaic's cells in one colour while the weights are pending."""
    colour = np.concatenate([rgb(fill), [255]]).astype(np.uint8)
    cells = ~np.isnan(to_plane(np.zeros((1, *layout.window)), layout.window)[0])
    one = np.where(cells[..., None], colour, np.zeros(4, dtype=np.uint8))
    return arrange(np.broadcast_to(one, (layout.tiles, *one.shape)), mosaic)


def channel_grid(channels: int) -> tuple[int, int]:
    """Rows and columns of the sub-cells that show a cell's input channels one by one."""
    cols = math.ceil(math.sqrt(channels))
    return -(-channels // cols), cols


def channel_rgba(tiles: KernelTiles, tile: int, colours: dict[str, str]) -> np.ndarray:
    """One tile with every cell split into its input channels (rows, cols, 4): each sub-cell one
    weight, coloured against the layer's scale of single weights."""
    layout = tiles.layout
    g_rows, g_cols = channel_grid(layout.channels)
    values = np.moveaxis(tiles.per_channel[..., tile], -1, 0)  # (channels, *window)
    flat = values.reshape(layout.channels, -1)
    padded = np.full((g_rows * g_cols, flat.shape[1]), np.nan)
    padded[: layout.channels] = flat
    # (g_rows, g_cols, *window) -> planes of cells, each cell a g_rows × g_cols block
    planes = to_plane(padded.reshape(g_rows * g_cols, *layout.window), layout.window)  # (g, ph, pw)
    ph, pw = planes.shape[1:]
    grid = planes.reshape(g_rows, g_cols, ph, pw).transpose(2, 0, 3, 1).reshape(ph * g_rows, pw * g_cols)
    image = cell_colours(np.abs(grid), np.sign(np.nan_to_num(grid)), tiles.scale, **colours)
    # sub-cells past the last channel cover the aggregate drawn beneath with the background
    image[np.isnan(grid)] = np.concatenate([rgb(colours["background"]), [255]]).astype(np.uint8)
    return image


def channel_at(channels: int, sub_row: int, sub_col: int) -> int | None:
    """The input channel of sub-cell (sub_row, sub_col) of a cell (see `channel_rgba`)."""
    _rows, cols = channel_grid(channels)
    channel = sub_row * cols + sub_col
    return channel if 0 <= channel < channels else None
