"""The analytic summary: shapes, parameter counts, Keras's byte formatting and table layout.

Pure Python; tests/keras_io/test_build.py compares the same summaries with Keras itself.
"""

from __future__ import annotations

import pytest

from nnstudio.core.shapes import format_shape
from nnstudio.core.spec import LayerSpec, ModelSpec, lesson_spec
from nnstudio.core.summary import analyze, count_with_size, readable_bytes, summary_json, summary_text, wrap_text

LESSON_TEXT = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 64)             │         1,344 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 10)             │           650 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 1,994 (7.79 KB)
 Trainable params: 1,994 (7.79 KB)
 Non-trainable params: 0 (0.00 B)"""


def spec_of(*layers: tuple[str, dict], name: str = "m") -> ModelSpec:
    spec = ModelSpec(name=name)
    for class_name, params in layers:
        spec = spec.inserted(len(spec.layers), spec.new_layer(class_name, **params))
    return spec


def test_lesson_text_is_keras_s():
    assert summary_text(analyze(lesson_spec())) == LESSON_TEXT


def test_lesson_json():
    assert summary_json(analyze(lesson_spec())) == {
        "name": "sequential",
        "layers": [
            {"name": "dense", "type": "Dense", "output_shape": [None, 64], "params": 1344},
            {"name": "dense_1", "type": "Dense", "output_shape": [None, 10], "params": 650},
        ],
        "total_params": 1994,
        "trainable_params": 1994,
        "non_trainable_params": 0,
        "total_bytes": 7976,
    }


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0.00 B"),
        (512, "512.00 B"),
        (1023, "1023.00 B"),
        (1024, "1.00 KB"),
        (7976, "7.79 KB"),
        (1024**2, "1.00 MB"),
        (400_000_000, "381.47 MB"),
        (4 * 10_002_200_000, "37.26 GB"),
        (5 * 1024**4, "5.00 TB"),
        (3 * 1024**5, "3.00 PB"),
        (2048 * 1024**5, "2.00 PB"),  # sic: Keras divides once more past PB
    ],
)
def test_readable_bytes(size, text):
    assert readable_bytes(size) == text


def test_count_with_size():
    assert count_with_size(1994) == "1,994 (7.79 KB)"
    assert count_with_size(0) == "0 (0.00 B)"


def test_format_shape():
    assert format_shape((64,)) == "(None, 64)"
    assert format_shape((2, 3, 4)) == "(None, 2, 3, 4)"
    assert format_shape(None) == "?"


def test_rows_exclude_the_input_and_keep_spec_positions():
    summary = analyze(lesson_spec())
    assert [(r.index, r.name, r.class_name) for r in summary.rows] == [(1, "dense", "Dense"), (2, "dense_1", "Dense")]
    assert summary.input_shape == (20,)
    assert summary.ok


@pytest.mark.parametrize(
    ("layers", "shapes", "counts"),
    [
        # Dense acts on the last axis of a rank-3 input
        ([("Input", {"shape": [2, 3, 4]}), ("Dense", {"units": 5})], [(2, 3, 5)], [(25, 0)]),
        ([("Input", {"shape": [4]}), ("Dense", {"units": 3, "use_bias": False})], [(3,)], [(12, 0)]),
        # BatchNormalization: gamma/beta trainable, moving mean/variance not
        ([("Input", {"shape": [6]}), ("BatchNormalization", {})], [(6,)], [(12, 12)]),
        ([("Input", {"shape": [6]}), ("BatchNormalization", {"center": False, "scale": False})], [(6,)], [(0, 12)]),
        ([("Input", {"shape": [3, 6]}), ("LayerNormalization", {"scale": False})], [(3, 6)], [(6, 0)]),
        (
            [("Input", {"shape": [2, 3, 4]}), ("Flatten", {}), ("Reshape", {"target_shape": [-1, 6]})],
            [(24,), (4, 6)],
            [(0, 0), (0, 0)],
        ),
        (
            [("Input", {"shape": [8]}), ("Dropout", {"rate": 0.1}), ("Activation", {"activation": "tanh"})],
            [(8,), (8,)],
            [(0, 0), (0, 0)],
        ),
    ],
)
def test_shapes_and_counts(layers, shapes, counts):
    summary = analyze(spec_of(*layers))
    assert summary.ok, summary.issues
    assert [r.output_shape for r in summary.rows] == shapes
    assert [(r.trainable, r.non_trainable) for r in summary.rows] == counts


def test_totals():
    summary = analyze(spec_of(("Input", {"shape": [10]}), ("Dense", {"units": 4}), ("BatchNormalization", {})))
    assert (summary.trainable_params, summary.non_trainable_params, summary.total_params) == (52, 8, 60)
    assert summary_json(summary)["total_bytes"] == 240


def test_a_broken_layer_stops_inference_downstream():
    spec = spec_of(
        ("Input", {"shape": [10]}),
        ("Reshape", {"target_shape": [3, 3]}),
        ("Dense", {"units": 4}),
    )
    summary = analyze(spec)
    assert [r.output_shape for r in summary.rows] == [None, None]
    assert summary.rows[0].error.startswith("reshape: target_shape must hold the input's 10 elements")
    assert summary.issues_for(1)[0].field == "target_shape"
    assert "│ reshape (Reshape)               │ ?" in summary_text(summary)
    assert summary_json(summary)["layers"][0]["output_shape"] is None


def test_input_only_model():
    summary = analyze(spec_of(("Input", {"shape": [3]})))
    assert summary.ok and summary.rows == () and summary.total_params == 0
    lines = summary_text(summary).splitlines()
    assert lines[4].startswith("└") and lines[-1] == " Non-trainable params: 0 (0.00 B)"


def test_empty_model_has_one_issue():
    summary = analyze(ModelSpec())
    assert [i.message for i in summary.issues] == ["model: the model has no layers; add an Input first"]


def test_layers_after_a_second_input_are_still_inferred():
    spec = lesson_spec().inserted(3, LayerSpec("Input", "input_layer_1", {"shape": [3]}))
    summary = analyze(spec)
    assert [r.name for r in summary.rows] == ["dense", "dense_1"]
    assert [r.output_shape for r in summary.rows] == [(64,), (10,)]


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        ("dense (Dense)", 31, ["dense (Dense)"]),
        ("a_really_long_layer_name_that_goes_on_and_on (Dense)", 31, ["a_really_long_layer_name_that_…", "(Dense)"]),
        ("abcdefghijklmnopqrstuvwxyz_abc (Dense)", 31, ["abcdefghijklmnopqrstuvwxyz_abc", "(Dense)"]),
        ("(None, 100000, 100000, 2)", 22, ["(None, 100000, 100000,", "2)"]),
        ("", 10, [""]),
    ],
)
def test_wrap_text_like_rich_cells(text, width, lines):
    assert wrap_text(text, width) == lines


def test_wrap_text_folds_console_lines():
    assert wrap_text('Model: "' + "x" * 10 + '"', 8, fold=True) == ["Model: ", '"xxxxxxx', 'xxx"']
