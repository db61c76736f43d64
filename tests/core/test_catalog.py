"""The layer registry and the catalog are complete and self-consistent (pure Python; the Keras
cross-checks live in tests/keras_io/test_catalog_keras.py and test_layer_types_keras.py)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from nnstudio.core.catalog import ACTIVATIONS, INITIALIZERS, LAYER_TYPES, LOSSES, METRICS, OPTIMIZERS, layer_type
from nnstudio.core.layers import LayerError, all_types, by_config_class, to_snake_case, types_by_family
from nnstudio.core.layers.registry import RegistryError, discover
from nnstudio.core.validation import check_value

ISSUE_ACTIVATIONS = [
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
    "linear",
    "elu",
    "selu",
    "softplus",
    "softsign",
    "swish",
    "silu",
    "gelu",
    "exponential",
    "hard_sigmoid",
    "leaky_relu",
    "relu6",
    "mish",
    "log_softmax",
]
FIRST_EIGHT = [
    "Input",
    "Dense",
    "Activation",
    "Dropout",
    "BatchNormalization",
    "LayerNormalization",
    "Flatten",
    "Reshape",
]


def test_the_first_eight_types_keep_their_parameters_and_order():
    names = list(LAYER_TYPES)
    assert set(FIRST_EIGHT) <= set(names)
    assert sorted(FIRST_EIGHT, key=names.index) == FIRST_EIGHT  # the palette order they always had
    params = {name: [p.name for p in LAYER_TYPES[name].params] for name in FIRST_EIGHT}
    assert params["Dense"] == ["units", "activation", "use_bias", "kernel_initializer", "bias_initializer"]
    assert params["BatchNormalization"] == ["center", "scale", "momentum", "epsilon", "axis"]
    assert params["LayerNormalization"] == ["center", "scale", "epsilon"]
    assert params["Input"] == ["shape", "dtype"] and params["Reshape"] == ["target_shape"] and params["Flatten"] == []


def test_catalog_is_a_view_of_the_registry():
    assert list(LAYER_TYPES.values()) == list(all_types())
    assert [t for types in types_by_family().values() for t in types] == list(all_types())
    with pytest.raises(TypeError):
        LAYER_TYPES["Conv2D"] = LAYER_TYPES["Dense"]  # type: ignore[index]
    assert by_config_class("InputLayer") is layer_type("Input")


def test_a_config_class_is_read_with_its_module():
    """`keras.layers.Add` and the operation node `keras.src.ops.numpy.Add` (of `x + y`) share a class name."""
    assert by_config_class("Add") is layer_type("Add") is by_config_class("Add", "keras.layers")
    assert by_config_class("Add", "keras.src.ops.numpy") is layer_type("ops.Add")
    assert by_config_class("LayerScale", "keras.src.applications.convnext") is layer_type("LayerScale")
    with pytest.raises(KeyError):
        by_config_class("Dense", "keras.src.ops.numpy")


def test_families_follow_keras_s_packages():
    families = {t.class_name: t.family for t in all_types()}
    assert families["Input"] == families["Dense"] == "core"
    assert families["Activation"] == "activations" and families["Dropout"] == "regularization"
    assert families["BatchNormalization"] == families["LayerNormalization"] == "normalization"
    assert families["Flatten"] == families["Reshape"] == "reshaping"
    ready = {f.name for f in types_by_family()}
    assert {"convolutional", "pooling", "recurrent", "merging", "attention", "preprocessing"} <= ready


def test_issue_activations_present_and_unique():
    assert set(ISSUE_ACTIVATIONS) <= set(ACTIVATIONS)
    assert len(set(ACTIVATIONS)) == len(ACTIVATIONS)


@pytest.mark.parametrize(
    ("class_name", "snake"),
    [
        ("Conv2D", "conv2d"),
        ("LSTM", "lstm"),
        ("GRU", "gru"),
        ("BatchNormalization", "batch_normalization"),
        ("Conv1DTranspose", "conv1d_transpose"),
        ("InputLayer", "input_layer"),
        ("MeanSquaredError", "mean_squared_error"),
        ("KLDivergence", "kl_divergence"),
        ("AUC", "auc"),
        ("SimpleRNN", "simple_rnn"),
    ],
)
def test_one_snake_case_rule_as_keras_s(class_name, snake):
    assert to_snake_case(class_name) == snake


@pytest.mark.parametrize("kind", list(all_types()), ids=lambda t: t.class_name)
def test_every_type_is_described_and_its_defaults_valid(kind):
    assert kind.help and "\n" not in kind.help
    assert kind.name_stem == to_snake_case(kind.config_class)
    assert kind.constructor.startswith("keras.")
    if kind.keras_module not in (
        "keras.layers",
        "keras",
    ):  # Keras's own classes outside keras.layers (applications, ops)
        assert (
            kind.keras_module.startswith("keras.src.")
            and kind.constructor == f"{kind.keras_module}.{kind.config_class}"
        )
    if kind.keras_module == "keras":  # a model used as a layer
        assert kind.constructor == f"keras.{kind.config_class}"
    assert kind.samples, f"{kind.class_name} declares no sample cases for the Keras comparison"
    keys = [p.key for p in kind.params]
    assert len(set(keys)) == len(keys)
    for param in kind.params:
        assert param.help and "\n" not in param.help
        assert check_value(param, param.default) is None, (kind.class_name, param.name)
        assert param.kind.editor, f"{type(param.kind).__name__} names no editor"


@pytest.mark.parametrize(
    ("kind", "sample"),
    [(t, s) for t in all_types() for s in t.samples],
    ids=lambda v: getattr(v, "class_name", "") or str(dict(getattr(v, "params", {}))),
)
def test_sample_cases_are_accepted_or_refused_where_they_say(kind, sample):
    """The pure-Python half of the Keras comparison: nnstudio accepts each sample (with integer
    parameter counts) or refuses it at the field the sample names."""
    settings = {**kind.defaults(), **sample.params}
    problems = [field for p in kind.params for field, _message in p.problems(settings.get(p.name, p.default))]
    problems += [field or "" for field, _message in kind.validate(kind.values(settings))] if not problems else []
    if not problems:
        try:
            outputs, variables = kind.infer(settings, list(sample.inputs))
        except LayerError as exc:
            problems.append(exc.field or "")
    if sample.refused_at is None:
        assert problems == []
        assert all(isinstance(d, int) or d is None for shape in outputs for d in shape)
        assert all(v.size >= 0 and all(isinstance(d, int) for d in v.shape) for v in variables)
    else:
        assert sample.refused_at in problems


def test_defaults_are_fresh_copies():
    a = layer_type("Input").defaults()
    a["shape"].append(3)
    assert layer_type("Input").defaults()["shape"] == [20]


def test_initializer_class_names_are_camel_case_of_the_snake_names():
    for snake, camel in INITIALIZERS.items():
        assert "".join(part.capitalize() for part in snake.split("_")) == camel


def test_compile_choices():
    assert "mean_squared_error" in LOSSES and "adam" in OPTIMIZERS and "accuracy" in METRICS
    assert all(rate > 0 for rate in OPTIMIZERS.values())
    assert len(set(LOSSES)) == len(LOSSES) and len(set(METRICS)) == len(METRICS)


# -- discovery ---------------------------------------------------------------------------------

_FAMILY = 'from nnstudio.core.layers.base import Family\nFAMILY = Family("{name}", "{title}", {order})\n'
_TYPE = """
from nnstudio.core.layers.base import LayerType, Sample, same_shape
LAYER = LayerType("{cls}", "A test type.", same_shape, samples=(Sample(),))
"""


def _package(root: Path, name: str, families: dict[str, dict[str, str]]) -> str:
    """A throwaway layers package under `root`: {family: {module: source}}."""
    base = root / name
    base.mkdir()
    (base / "__init__.py").write_text("")
    for order, (family, modules) in enumerate(families.items()):
        (base / family).mkdir()
        (base / family / "__init__.py").write_text(_FAMILY.format(name=family, title=family.title(), order=order))
        for module, source in modules.items():
            (base / family / f"{module}.py").write_text(textwrap.dedent(source))
    return name


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("sandbox_layers")]:
        del sys.modules[name]


def test_a_new_module_is_found_without_registering_it_and_helpers_are_skipped(sandbox):
    name = _package(
        sandbox,
        "sandbox_layers_a",
        {
            "first": {"alpha": _TYPE.format(cls="Alpha"), "_shared": "VALUE = 1\n"},
            "second": {"gamma": _TYPE.format(cls="Gamma"), "beta": _TYPE.format(cls="Beta")},
        },
    )
    found = discover(name)
    assert [(f.name, [t.class_name for t in types]) for f, types in found] == [
        ("first", ["Alpha"]),
        ("second", ["Beta", "Gamma"]),
    ]
    assert found[1][1][0].family == "second"


@pytest.mark.parametrize(
    ("families", "message"),
    [
        ({"first": {"alpha": "X = 1\n"}}, "must define LAYER"),
        ({"first": {"alpha": _TYPE.format(cls="Alpha"), "other": _TYPE.format(cls="Alpha")}}, "declared by both"),
    ],
)
def test_broken_modules_are_refused_loudly(sandbox, families, message):
    name = _package(sandbox, f"sandbox_layers_{abs(hash(message)) % 1000}", families)
    with pytest.raises(RegistryError, match=message):
        discover(name)


def test_problems_between_parameters_are_reported_once_each_value_is_sound(monkeypatch):
    from nnstudio.core import validation
    from nnstudio.core.layers import LayerType, Param
    from nnstudio.core.layers.base import same_shape
    from nnstudio.core.layers.params import PositiveInt
    from nnstudio.core.spec import LayerSpec

    def validate(params):
        if params["strides"] > 1 and params["dilation_rate"] > 1:
            return [("strides", "strides > 1 not compatible with dilation_rate > 1. Received: strides=2")]
        return []

    fake = LayerType(
        "Fake",
        "A test type.",
        same_shape,
        params=(Param("strides", PositiveInt(9), 1, "s"), Param("dilation_rate", PositiveInt(9), 1, "d")),
        validate=validate,
    )
    monkeypatch.setattr(validation, "layer_types", lambda: {"Fake": fake})
    issues = validation.check_layer(1, LayerSpec("Fake", "fake", {"strides": 2, "dilation_rate": 2}))
    assert [(i.field, i.message) for i in issues] == [
        ("strides", "fake: strides > 1 not compatible with dilation_rate > 1. Received: strides=2")
    ]
    issues = validation.check_layer(1, LayerSpec("Fake", "fake", {"strides": 0, "dilation_rate": 2}))
    assert [i.field for i in issues] == ["strides"] and "positive integer" in issues[0].message


def test_an_unknown_class_gets_the_closest_known_names_not_the_whole_catalog():
    from nnstudio.core.layers.registry import known_classes_hint

    assert known_classes_hint("Conv2d").startswith("did you mean Conv2D or ")
    assert known_classes_hint("maxpooling2d").startswith("did you mean MaxPooling2D")
    assert known_classes_hint("Input", config=True) == "did you mean InputLayer?"
    far = known_classes_hint("Lambda")
    assert far.startswith(f"nnstudio knows {len(all_types())} layer types") and len(far) < 120
