"""Feature maps and kernel tiles in plain numpy (ui/canvas/feature_maps.py), and how the canvas lays
out convolution and pooling layers (layout.py, conv_drawer.py)."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core import kernel_tiles
from nnstudio.core.shapes import infer_all
from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import analyze
from nnstudio.ui.canvas import feature_maps as F
from nnstudio.ui.canvas import layout as L
from nnstudio.ui.canvas.conv_drawer import geometry
from nnstudio.ui.canvas.theme import LIGHT_THEME

COLOURS = {"positive": "#0000ff", "negative": "#ff0000", "mixed": "#808080", "background": "#ffffff"}


def stack(*layers: tuple[str, dict], shape=(12, 12, 2)) -> ModelSpec:
    spec = ModelSpec()
    spec = spec.inserted(0, spec.new_layer("Input", shape=list(shape)))
    for class_name, params in layers:
        spec = spec.inserted(len(spec.layers), spec.new_layer(class_name, **params))
    return spec


def weights_for(spec: ModelSpec, seed: int = 0) -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    out, shape = {}, tuple(spec.layers[0].get("shape"))
    for layer in spec.layers[1:]:
        outputs, variables = infer_all(layer, [shape])
        if variables:
            out[layer.name] = [rng.normal(size=v.shape).astype(np.float32) for v in variables]
        shape = outputs[0]
    return out


@pytest.mark.parametrize(
    ("drawing", "shapes", "tiles", "window", "channels"),
    [
        ("conv", {"kernel": (3, 2, 4, 8), "bias": (8,)}, 8, (3, 2), 4),
        ("conv_transpose", {"kernel": (3, 3, 5, 2), "bias": (5,)}, 5, (3, 3), 2),
        ("depthwise_conv", {"kernel": (3, 3, 4, 2), "bias": (8,)}, 8, (3, 3), 1),
        ("separable_conv", {"depthwise_kernel": (3, 3, 4, 2), "pointwise_kernel": (1, 1, 8, 6)}, 6, (3, 3), 4),
        ("conv", {"kernel": (5, 3, 2)}, 2, (5,), 3),
        ("conv", {"kernel": (2, 3, 3, 2, 4)}, 4, (2, 3, 3), 2),
    ],
)
def test_every_variant_reads_into_the_tiles_its_shapes_announce(drawing, shapes, tiles, window, channels):
    reader = F.READERS[drawing]
    layout = reader.layout(shapes)
    assert (layout.tiles, layout.window, layout.channels) == (tiles, window, channels)
    rng = np.random.default_rng(1)
    named = {name: rng.normal(size=shape).astype(np.float32) for name, shape in shapes.items()}
    read = reader.tiles(named)
    assert read.layout == layout
    assert read.per_channel.shape == (*window, channels, tiles)
    assert read.signed.shape == read.absolute.shape == (tiles, *window)
    whole = np.asarray(read.per_channel)
    np.testing.assert_allclose(read.signed, np.moveaxis(whole.sum(axis=-2), -1, 0), rtol=1e-5)
    np.testing.assert_allclose(read.absolute, np.moveaxis(np.abs(whole).sum(axis=-2), -1, 0), rtol=1e-5)
    assert (read.bias is None) == ("bias" not in named)


def test_the_tiles_take_the_sums_made_for_these_very_arrays_and_only_when_they_fit():
    """Sums the engine made for a kernel are drawn as they are; sums of another shape are not."""
    rng = np.random.default_rng(8)
    depthwise = rng.normal(size=(3, 3, 4, 1)).astype(np.float32)
    pointwise = rng.normal(size=(1, 1, 4, 6)).astype(np.float32)
    named = {"depthwise_kernel": depthwise, "pointwise_kernel": pointwise}
    made = kernel_tiles.tile_sums("separable_conv", [depthwise, pointwise])
    kernel_tiles.remember(depthwise, made)
    read = F.READERS["separable_conv"].tiles(named)
    assert read.signed is made.signed and read.absolute is made.absolute
    kernel = rng.normal(size=(3, 3, 4, 6)).astype(np.float32)
    kernel_tiles.remember(kernel, kernel_tiles.tile_sums("conv", [kernel[..., :5]]))  # five tiles, not six
    read = F.READERS["conv"].tiles({"kernel": kernel})
    assert read.signed.shape == (6, 3, 3)
    np.testing.assert_allclose(read.signed, np.moveaxis(kernel.sum(axis=-2), -1, 0), rtol=1e-5, atol=1e-6)


def test_a_depthwise_tile_is_one_channel_and_a_separable_one_is_what_it_amounts_to():
    depthwise = np.arange(2 * 2 * 3 * 2, dtype=np.float32).reshape(2, 2, 3, 2)
    read = F.READERS["depthwise_conv"].tiles({"kernel": depthwise})
    # output channel c·m + j comes from input channel c through its j-th kernel
    assert np.array_equal(read.per_channel[..., 0, 3], depthwise[..., 1, 1])
    pointwise = np.random.default_rng(2).normal(size=(1, 1, 6, 4)).astype(np.float32)
    read = F.READERS["separable_conv"].tiles({"depthwise_kernel": depthwise, "pointwise_kernel": pointwise})
    expected = sum(depthwise[..., 2, j] * pointwise[0, 0, 2 * 2 + j, 3] for j in range(2))
    np.testing.assert_allclose(read.per_channel[..., 2, 3], expected, rtol=1e-5)


def test_a_separable_kernel_is_made_one_filter_at_a_time(monkeypatch):
    """Xception-sized separable layers (3x3, 728 -> 728) are nine times their weights when whole:
    the tiles sum the product a few filters at a time and hold the two kernels, not the product."""
    rng = np.random.default_rng(3)
    depthwise = rng.normal(size=(3, 3, 10, 2)).astype(np.float32)
    pointwise = rng.normal(size=(1, 1, 20, 7)).astype(np.float32)
    named = {"depthwise_kernel": depthwise, "pointwise_kernel": pointwise}
    monkeypatch.setattr(kernel_tiles, "SEPARABLE_CHUNK", 3 * 3 * 10 * 2)  # two filters a chunk: four chunks
    read = F.READERS["separable_conv"].tiles(named)
    assert not isinstance(read.per_channel, np.ndarray)
    whole = np.einsum("kcm,cmf->kcf", depthwise.reshape(9, 10, 2), pointwise.reshape(10, 2, 7)).reshape(3, 3, 10, 7)
    np.testing.assert_allclose(np.asarray(read.per_channel), whole, rtol=1e-5)
    np.testing.assert_allclose(read.signed, np.moveaxis(whole.sum(axis=-2), -1, 0), rtol=1e-5)
    np.testing.assert_allclose(read.absolute, np.moveaxis(np.abs(whole).sum(axis=-2), -1, 0), rtol=1e-5)
    np.testing.assert_allclose(read.per_channel[..., 6], whole[..., 6], rtol=1e-5)
    assert read.per_channel[(2, 1, 4, np.int64(5))] == pytest.approx(whole[2, 1, 4, 5], rel=1e-5)
    image = F.channel_rgba(
        read, 6, {"positive": "#1f6fb4", "negative": "#e07b00", "mixed": "#888888", "background": "#ffffff"}
    )
    assert image.shape[-1] == 4
    single = {"depthwise_kernel": depthwise[..., :1], "pointwise_kernel": pointwise[:, :, ::2]}  # multiplier 1
    read = F.READERS["separable_conv"].tiles(single)
    whole = np.asarray(read.per_channel)
    np.testing.assert_allclose(read.signed, np.moveaxis(whole.sum(axis=-2), -1, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(read.absolute, np.moveaxis(np.abs(whole).sum(axis=-2), -1, 0), rtol=1e-5)


@pytest.mark.parametrize("tiles", [1, 7, 32, 512])
@pytest.mark.parametrize("window", [(3, 3), (5,), (2, 3, 3)])
def test_the_mosaic_fits_its_box_and_finds_every_cell_back(tiles, window):
    layout = F.TileLayout(tiles, window, 3)
    mosaic = F.choose_mosaic(layout, 120.0, 700.0)
    rows, cols = mosaic.cells
    assert cols * mosaic.cell_px <= 120.0 + 1e-6 and rows * mosaic.cell_px <= 700.0 + 1e-6
    assert mosaic.cols * mosaic.rows >= tiles
    plane = layout.plane
    for tile in {0, tiles // 2, tiles - 1}:
        r, c = mosaic.tile_at(tile)
        assert mosaic.cell_at(r + plane[0] - 0.5, c + 0.5, tiles) == (tile, plane[0] - 1, 0)
    assert F.plane_index(window, plane[0] - 1, plane[1] - 1) == tuple(d - 1 for d in window)  # the last tap
    assert mosaic.cell_at(plane[0] + 0.5, 0.5, tiles) is None  # the gap below the first tile


def test_cells_take_the_sign_s_hue_with_the_strength_of_w_and_gaps_stay_clear():
    mean_abs = np.array([[1.0, 1.0, 0.0, np.nan, 1.0]])
    balance = np.array([[1.0, -1.0, 0.0, 0.0, 0.05]])
    rgba = F.cell_colours(mean_abs, balance, 1.0, **COLOURS)
    assert tuple(rgba[0, 0]) == (13, 13, 255, 255)  # strong w > 0: nearly the blue
    assert tuple(rgba[0, 1]) == (255, 13, 13, 255)  # strong w < 0: nearly the red
    assert tuple(rgba[0, 2]) == (247, 247, 247, 255)  # |w| = 0: the faintest grey over the background
    assert rgba[0, 3, 3] == 0  # a gap
    assert rgba[0, 4, 0] == rgba[0, 4, 1] == rgba[0, 4, 2]  # a mix of signs: grey


def test_downsampling_averages_blocks_and_ignores_clear_pixels():
    image = np.zeros((2, 4, 4), dtype=np.uint8)
    image[0, 0] = (200, 0, 0, 255)
    image[1, 1] = (0, 0, 200, 255)
    image[:, 2:] = (10, 20, 30, 255)
    small = F.downsample(image, 2)
    assert small.shape == (1, 2, 4)
    assert tuple(small[0, 0]) == (100, 0, 100, 128)
    assert tuple(small[0, 1]) == (10, 20, 30, 255)


def test_a_cell_zoomed_in_shows_each_input_channel():
    kernel = np.zeros((1, 1, 5, 1), dtype=np.float32)
    kernel[0, 0, :, 0] = [1, -1, 0.5, -0.5, 1]
    tiles = F.READERS["conv"].tiles({"kernel": kernel})
    image = F.channel_rgba(tiles, 0, COLOURS)
    assert image.shape == (2, 3, 4)  # five channels in a 2 x 3 grid, the sixth sub-cell empty
    assert F.channel_at(5, 0, 1) == 1 and F.channel_at(5, 1, 2) is None
    assert image[0, 0, 2] > image[0, 0, 0] and image[0, 1, 0] > image[0, 1, 2]  # blue, then red
    assert tuple(image[1, 2]) == (255, 255, 255, 255)  # covers the aggregate beneath


def test_convolution_and_pooling_columns_are_feature_maps_and_their_input_too():
    spec = stack(("Conv2D", {"filters": 4}), ("MaxPooling2D", {}), ("Flatten", {}), ("Dense", {"units": 3}))
    columns, links = L.build_columns(analyze(spec), spec)
    assert [(c.kind, c.neurons) for c in columns] == [
        ("input", False),
        ("conv", False),
        ("pool", False),
        ("regroup", True),
        ("dense", True),
    ]
    assert columns[1].weight_shapes == ((3, 3, 2, 4), (4,)) and columns[1].drawing == "conv"
    assert [lk.kind for lk in links] == ["identity", "dense"]  # pool -> flatten (same count), flatten -> dense
    assert L.aggregation_work(columns, links) == 3 * 3 * 2 * 4 + 100 * 3
    weights = weights_for(spec)
    L.apply_weights(columns, links, weights)
    tiles = columns[1].figure
    assert isinstance(tiles, F.KernelTiles) and np.array_equal(tiles.per_channel, weights["conv2d"][0])
    lod = L.compute_lod(columns, links, L.scene_bounds(columns), (1200.0, 800.0))
    assert set(lod.columns) == {3, 4}  # neurons only where neurons are drawn


def test_tiles_of_the_same_arrays_are_kept_across_weights_and_new_arrays_are_summed_afresh():
    """After an edit the canvas attaches the model's weights again: a convolution whose arrays are
    the very same keeps its tiles (a NASNetLarge's take 150 ms to sum), one given new arrays gets
    new tiles, and the cache holds only the arrays attached last."""
    spec = stack(
        ("Conv2D", {"filters": 4}), ("SeparableConv2D", {"filters": 3}), ("Flatten", {}), ("Dense", {"units": 2})
    )
    columns, links = L.build_columns(analyze(spec), spec)
    weights = weights_for(spec)
    cache: dict = {}
    L.apply_weights(columns, links, weights, cache)
    first = [c.figure for c in columns if c.kind == "conv"]
    assert len(first) == 2 and all(isinstance(t, F.KernelTiles) for t in first)
    edited = dict(weights, dense=[np.ones_like(a) for a in weights["dense"]])
    L.apply_weights(columns, links, edited, cache)
    assert all(a is b for a, b in zip([c.figure for c in columns if c.kind == "conv"], first, strict=True))
    retrained = dict(edited, conv2d=[a * 2 for a in weights["conv2d"]])
    L.apply_weights(columns, links, retrained, cache)
    conv, separable = (c.figure for c in columns if c.kind == "conv")
    assert conv is not first[0] and separable is first[1]
    np.testing.assert_allclose(conv.signed, first[0].signed * 2, rtol=1e-6)
    kept = [entry[0] for key, entry in cache.items() if key[0] == L.TILES_KEY]
    assert len(kept) == 2 and not any(a is weights["conv2d"][0] for arrays in kept for a in arrays)


def test_a_stage_on_feature_maps_is_drawn_as_feature_maps_with_its_values_per_channel():
    spec = stack(("Conv2D", {"filters": 4}), ("BatchNormalization", {}), ("Flatten", {}), ("Dropout", {}))
    columns, links = L.build_columns(analyze(spec), spec)
    assert [(c.kind, c.neurons) for c in columns] == [
        ("input", False),
        ("conv", False),
        ("stage", False),
        ("regroup", True),
        ("stage", True),  # a stage on a flat vector keeps its markers
    ]
    weights = weights_for(spec)
    L.apply_weights(columns, links, weights)
    gamma = weights["batch_normalization"][0]
    assert np.array_equal(columns[2].stage_values["gamma"], gamma)
    from nnstudio.ui.canvas.conv_drawer import FeatureMapItem

    item = FeatureMapItem()
    item.set_columns(columns, spec, pending=False)
    blocks, _mosaics = geometry(columns, spec, 200.0, 3.0)
    block = next(b for b in blocks if b.column == 2)
    text = item.describe((block.x0 + block.x1) / 2, block.y1 - 1e-9, 200.0, 3.0)
    assert "10×10×4: 4 feature maps of 10×10" in text and f"channel 0: gamma {gamma[0]:+.4f}" in text


def test_a_dense_input_keeps_its_neurons():
    spec = stack(("Dense", {"units": 4}), shape=(6,))
    columns, _links = L.build_columns(analyze(spec), spec)
    assert [c.neurons for c in columns] == [True, True]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_blocks_and_mosaics_are_laid_out_in_order_and_tiles_stay_square(data_format):
    shape = (16, 16, 3) if data_format == "channels_last" else (3, 16, 16)
    spec = stack(
        ("Conv2D", {"filters": 8, "data_format": data_format}),
        ("MaxPooling2D", {"data_format": data_format}),
        ("Conv2D", {"filters": 16, "data_format": data_format}),
        shape=shape,
    )
    columns, _links = L.build_columns(analyze(spec), spec)
    ppx, ppy = 300.0, 0.8  # axes scaled very differently, as the canvas's view is
    blocks, mosaics = geometry(columns, spec, ppx, ppy)
    assert [b.shape.text() for b in blocks] == ["16×16×3", "14×14×8", "7×7×8", "5×5×16"]
    assert [b.x0 < b.x1 for b in blocks] == [True] * 4
    assert all(a.x1 + a.dx <= b.x0 for a, b in zip(blocks, blocks[1:], strict=False))
    assert [m.column for m in mosaics] == [1, 3]
    for tiles in mosaics:
        assert tiles.cell_w * ppx == pytest.approx(tiles.cell_h * ppy)  # square on screen
        block_before = blocks[[b.column for b in blocks].index(tiles.column - 1)]
        block_after = blocks[[b.column for b in blocks].index(tiles.column)]
        assert block_before.x1 + block_before.dx < tiles.x0 and tiles.x0 + tiles.width < block_after.x0
        assert tiles.height <= columns[tiles.column].height


def test_theme_colours_are_hex_for_the_tiles():
    assert F.rgb(LIGHT_THEME.positive).tolist() == [31, 111, 180]
