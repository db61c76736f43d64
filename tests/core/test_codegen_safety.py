"""The code generators are safe by construction: names, strings and numbers from a file are data.

Hypothesis feeds every generator (`python_script`, `training_script` and the `literal` they share)
hostile names, strings and numbers; the generated text is parsed with `ast`, and it must have
exactly the generator's own structure: the same statements and functions, calls only to the
callees the generator writes, and every value from the spec a plain literal that evaluates back to
that value. No text from a file can end its string, its docstring or its line.
"""

from __future__ import annotations

import ast
import dataclasses
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnstudio.core.catalog import ACTIVATIONS, INITIALIZERS, METRICS
from nnstudio.core.codegen import literal, python_script
from nnstudio.core.codegen_train import training_script
from nnstudio.core.file_values import name_problem
from nnstudio.core.spec import CompileSpec, LayerSpec, ModelSpec, TensorRef, lesson_spec
from nnstudio.core.text_safety import file_stem

INJECTION = '"""; __import__("os").system("touch PWNED"); """'
NASTY = [
    INJECTION,
    "'''; import os; '''",
    '"',
    "\\",
    "\\N{",
    "\\x",
    "x\\",
    "line\nbreak",
    "cr\rlf",
    "\x00\x1b]52;c;cHduZWQ=\x07\x1b[2J",
    "\u2028\u2029\x85",
    "\u202eevil\u202c",
    "\ud800",
    "%(prog)s %d %",
    "{name} {{}}",
    "# comment",
    "é✓𝔘",
    "",
]
HOSTILE_TEXT = st.sampled_from(NASTY) | st.text(max_size=40) | st.lists(st.sampled_from(NASTY), max_size=4).map("".join)
NUMBERS = st.integers(-(2**80), 2**80) | st.floats(allow_nan=True, allow_infinity=True)
VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | HOSTILE_TEXT, lambda inner: st.lists(inner, max_size=3), max_leaves=6
)


def fast(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- what a generated literal may be -----------------------------------------------------------


def is_literal(node: ast.AST) -> bool:
    """A constant, a negative number, a tuple or dict of literals, or `float("inf"|"-inf"|"nan")`."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return isinstance(node.operand, ast.Constant) and type(node.operand.value) in (int, float)
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(is_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and is_literal(k) for k in node.keys) and all(is_literal(v) for v in node.values)
    if isinstance(node, ast.Call):
        return (
            ast.unparse(node.func) == "float"
            and not node.keywords
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in ("inf", "-inf", "nan")
        )
    return False


def evaluate(node: ast.AST) -> Any:
    assert is_literal(node), ast.unparse(node)
    return eval(compile(ast.Expression(node), "<literal>", "eval"), {"__builtins__": {"float": float}})  # noqa: S307


def same(a: Any, b: Any) -> bool:
    """Equal as the generator means it: lists come back as tuples, NaN equals NaN, types kept."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def skeleton(node: ast.AST) -> str:
    """`ast.dump` with every constant replaced by its type: the code's shape, without its data."""

    class Blank(ast.NodeTransformer):
        def visit_Constant(self, constant: ast.Constant) -> ast.AST:
            return ast.Constant(type(constant.value).__name__)

    return ast.dump(Blank().visit(ast.parse(ast.unparse(node))))


def calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


INITIALIZER_CLASSES = {f"keras.initializers.{cls}" for cls in INITIALIZERS.values()}


def is_configured_initializer(node: ast.AST) -> bool:
    """`keras.initializers.<a class of nnstudio's table>(setting=literal, ...)`: a configured
    initializer (a seed, a scale) as the generated code writes one, keywords and literals only."""
    return (
        isinstance(node, ast.Call)
        and ast.unparse(node.func) in INITIALIZER_CLASSES
        and not node.args
        and all(kw.arg is not None and kw.arg.isidentifier() and is_literal(kw.value) for kw in node.keywords)
    )


def setting_value(node: ast.AST) -> Any:
    """A setting as the spec holds it: a literal's value, or a configured initializer's class and settings."""
    if is_configured_initializer(node):
        assert isinstance(node, ast.Call)
        config = {kw.arg: evaluate(kw.value) for kw in node.keywords}
        return {"class_name": ast.unparse(node.func).rpartition(".")[2], "config": config}
    return evaluate(node)


def keras_calls_take_only_literals(tree: ast.AST, spec: ModelSpec) -> None:
    """Every call to a keras constructor names a class the spec uses and passes literals only (or,
    as a setting's value, a configured initializer of literals)."""
    classes = {f"keras.layers.{layer.class_name}" for layer in spec.layers} | {"keras.Input"}
    for call in calls(tree):
        if isinstance(call.func, ast.Call):
            continue  # a graph's `keras.layers.X(...)(inputs)`: the constructor is checked on its own
        callee = ast.unparse(call.func)
        if callee in INITIALIZER_CLASSES:
            assert is_configured_initializer(call), ast.unparse(call)
            continue
        if callee.startswith("keras.") and callee not in ("keras.Sequential", "keras.Model"):
            module, _, name = callee.rpartition(".")
            assert callee in classes or module in ("keras.optimizers", "keras.losses"), callee
            assert name.isidentifier()
            assert all(is_literal(a) for a in call.args), ast.unparse(call)
            assert all(
                kw.arg is not None and (is_literal(kw.value) or is_configured_initializer(kw.value))
                for kw in call.keywords
            ), ast.unparse(call)


def layer_list(call: ast.Call) -> list[ast.Call]:
    assert ast.unparse(call.func) == "keras.Sequential" and len(call.args) == 1
    assert isinstance(call.args[0], ast.List)
    return call.args[0].elts  # type: ignore[return-value]


def check_layers_and_names(sequential: ast.Call, spec: ModelSpec) -> None:
    """The layer calls are exactly the spec's layers, and each `name=` is the spec's name back."""
    elements = layer_list(sequential)
    assert len(elements) == len(spec.layers)
    for call, layer in zip(elements, spec.layers, strict=True):
        assert isinstance(call, ast.Call)
        expected = "keras.Input" if layer.class_name == "Input" else f"keras.layers.{layer.class_name}"
        assert ast.unparse(call.func) == expected
        names = [kw.value for kw in call.keywords if kw.arg == "name"]
        assert len(names) == 1 and evaluate(names[0]) == layer.name
        for kw in call.keywords:
            if kw.arg != "name":
                assert same(setting_value(kw.value), layer.get(kw.arg)), kw.arg
    model_names = [kw.value for kw in sequential.keywords if kw.arg == "name"]
    assert len(model_names) == 1 and evaluate(model_names[0]) == spec.name


# -- python_script ------------------------------------------------------------------------------

MODEL_SCRIPT_CALLS = {"keras.Sequential", "keras.Input", "model.compile", "model.summary"}


def check_model_script(source: str, spec: ModelSpec) -> None:
    tree = ast.parse(source)
    kinds = [type(node).__name__ for node in tree.body]
    assert kinds == ["Expr", "Import", "Assign", "Expr", "Expr"], kinds
    docstring = tree.body[0]
    assert isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant)
    assert ast.unparse(tree.body[1]) == "import keras"
    assign = tree.body[2]
    assert isinstance(assign, ast.Assign) and ast.unparse(assign.targets[0]) == "model"
    assert isinstance(assign.value, ast.Call)
    check_layers_and_names(assign.value, spec)
    assert ast.unparse(tree.body[3].value.func) == "model.compile"  # type: ignore[attr-defined]
    assert ast.unparse(tree.body[4]) == "model.summary()"
    for call in calls(tree):
        callee = ast.unparse(call.func)
        assert callee in MODEL_SCRIPT_CALLS | INITIALIZER_CLASSES | {"float"} or callee.startswith(
            ("keras.layers.", "keras.optimizers.", "keras.losses.")
        ), callee
    keras_calls_take_only_literals(tree, spec)
    compile_call = tree.body[3].value  # type: ignore[attr-defined]
    metrics = [kw.value for kw in compile_call.keywords if kw.arg == "metrics"]
    written = [evaluate(m) for m in metrics[0].elts] if metrics else []  # type: ignore[attr-defined]
    assert written == list(spec.compile.metrics)


@st.composite
def hostile_specs(draw: Any) -> ModelSpec:
    """Specs whose every name, string and number is drawn from hostile values."""
    text = HOSTILE_TEXT
    layers = [
        LayerSpec("Input", draw(text), {"shape": draw(st.lists(NUMBERS, min_size=1, max_size=3))}),
        LayerSpec(
            "Dense",
            draw(text),
            {
                "units": draw(NUMBERS),
                "activation": draw(text | st.sampled_from(ACTIVATIONS)),
                "use_bias": draw(VALUES),
                "kernel_initializer": draw(text | st.sampled_from(list(INITIALIZERS))),
                "bias_initializer": draw(text),
            },
        ),
        LayerSpec("Activation", draw(text), {"activation": draw(text)}),
        LayerSpec("Dropout", draw(text), {"rate": draw(NUMBERS)}),
        LayerSpec("BatchNormalization", draw(text), {"momentum": draw(NUMBERS), "epsilon": draw(VALUES)}),
        LayerSpec("Reshape", draw(text), {"target_shape": draw(st.lists(VALUES, max_size=3))}),
    ]
    option_keys = st.sampled_from(["momentum", "nesterov", "clipnorm", "weight_decay"])
    compile_spec = CompileSpec(
        loss=draw(st.sampled_from(["categorical_crossentropy", "mean_squared_error"])),
        optimizer=draw(st.sampled_from(["sgd", "adam"])),
        learning_rate=draw(st.none() | NUMBERS),
        metrics=tuple(draw(st.lists(text | st.sampled_from(METRICS), max_size=3))),
        optimizer_options=draw(st.dictionaries(option_keys, VALUES, max_size=3)),
        loss_options=draw(
            st.dictionaries(st.sampled_from(["from_logits", "axis", "label_smoothing"]), VALUES, max_size=2)
        ),
    )
    return ModelSpec(name=draw(text), layers=tuple(layers), compile=compile_spec)


@fast(150)
@given(hostile_specs())
def test_model_script_keeps_every_value_as_data(spec: ModelSpec) -> None:
    check_model_script(python_script(spec), spec)


@pytest.mark.parametrize("name", NASTY)
def test_model_script_with_each_nasty_name(name: str) -> None:
    spec = ModelSpec(
        name=name, layers=tuple(LayerSpec(la.class_name, name or "x", la.params) for la in lesson_spec().layers)
    )
    source = python_script(spec)
    check_model_script(source, spec)
    source.encode("utf-8")  # a lone surrogate is escaped, so the script can be written
    assert all(line.isprintable() for line in source.splitlines())


# -- python_script for a graph ---------------------------------------------------------------------


def is_tensor_expression(node: ast.AST, defined: set[str]) -> bool:
    """A variable the script assigned, `variable[int]`, or a list of those: nothing else reaches a call."""
    if isinstance(node, ast.Name):
        return node.id in defined
    if isinstance(node, ast.Subscript):
        return (
            isinstance(node.value, ast.Name)
            and node.value.id in defined
            and isinstance(node.slice, ast.Constant)
            and type(node.slice.value) is int
        )
    if isinstance(node, ast.List):
        return all(is_tensor_expression(e, defined) for e in node.elts)
    return False


def constructor_name(call: ast.Call, spec: ModelSpec) -> str:
    """The `name=` of a layer constructor call, which must name a class the spec uses."""
    callee = ast.unparse(call.func)
    assert callee in {"keras.Input"} | {f"keras.layers.{layer.class_name}" for layer in spec.layers}, callee
    names = [kw.value for kw in call.keywords if kw.arg == "name"]
    assert len(names) == 1
    return evaluate(names[0])


def check_functional_script(source: str, spec: ModelSpec) -> None:
    """The graph script: assignments that make layers (literals only) and call them on variables the
    script made, then `model = keras.Model(...)`, `model.compile(...)`, `model.summary()`."""
    tree = ast.parse(source)
    body = tree.body
    assert isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    assert ast.unparse(body[1]) == "import keras"
    assert [ast.unparse(node) for node in body[-1:]] == ["model.summary()"]
    assert ast.unparse(body[-2].value.func) == "model.compile"  # type: ignore[attr-defined]
    defined: set[str] = set()
    made: list[str] = []
    for node in body[2:-3]:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1
        target = node.targets[0]
        assert isinstance(target, ast.Name) and target.id.isidentifier() and target.id not in defined
        value = node.value
        assert isinstance(value, ast.Call)
        if isinstance(value.func, ast.Call):  # keras.layers.X(...)(inputs)
            made.append(constructor_name(value.func, spec))
            assert all(is_tensor_expression(a, defined) for a in value.args) and not value.keywords
        elif isinstance(value.func, ast.Name):  # a shared layer called again
            assert value.func.id in defined and not value.keywords
            assert all(is_tensor_expression(a, defined) for a in value.args)
        else:  # an Input, or a shared layer made before its calls
            made.append(constructor_name(value, spec))
        defined.add(target.id)
    assert sorted(made) == sorted(layer.name for layer in spec.layers)
    model = body[-3]
    assert isinstance(model, ast.Assign) and ast.unparse(model.targets[0]) == "model"
    assert isinstance(model.value, ast.Call) and ast.unparse(model.value.func) == "keras.Model"
    keywords = {kw.arg: kw.value for kw in model.value.keywords}
    assert set(keywords) == {"inputs", "outputs", "name"} and not model.value.args
    assert is_tensor_expression(keywords["inputs"], defined) and is_tensor_expression(keywords["outputs"], defined)
    assert evaluate(keywords["name"]) == spec.name
    keras_calls_take_only_literals(tree, spec)


@st.composite
def hostile_graphs(draw: Any) -> ModelSpec:
    """Sound graphs (two Inputs, a shared Dense, Concatenate, Add, MultiHeadAttention) whose every name
    and the values that do not change a shape are drawn from hostile values."""
    names = draw(st.lists(HOSTILE_TEXT, min_size=7, max_size=7))
    width = draw(st.integers(1, 6))
    text = st.sampled_from(ACTIVATIONS) | HOSTILE_TEXT
    layers = (
        LayerSpec("Input", names[0], {"shape": [3, width]}),
        LayerSpec("Input", names[1], {"shape": [3, width]}),
        LayerSpec("Dense", names[2], {"units": width, "activation": draw(text)}),
        LayerSpec("Add", names[3]),
        LayerSpec("Concatenate", names[4], {"axis": -1}),
        LayerSpec("MultiHeadAttention", names[5], {"num_heads": 2, "key_dim": 2, "dropout": draw(NUMBERS)}),
        LayerSpec("Dense", names[6], {"units": 2, "kernel_initializer": draw(text)}),
    )
    spec = ModelSpec(name=draw(HOSTILE_TEXT), layers=layers)
    a, b, shared, add, concat, attention, out = spec.ids()
    wired = (
        layers[0],
        layers[1],
        dataclasses.replace(layers[2], inbound=((TensorRef(a),), (TensorRef(b),))),
        dataclasses.replace(layers[3], inbound=((TensorRef(shared, 0), TensorRef(shared, 1)),)),
        dataclasses.replace(layers[4], inbound=((TensorRef(add), TensorRef(a)),)),
        dataclasses.replace(layers[5], inbound=((TensorRef(add), TensorRef(concat), TensorRef(b)),)),
        dataclasses.replace(layers[6], inbound=((TensorRef(attention),),)),
    )
    wired = tuple(dataclasses.replace(layer, id=i) for layer, i in zip(wired, spec.ids(), strict=True))
    return ModelSpec(
        name=spec.name,
        layers=wired,
        inputs=(TensorRef(a), TensorRef(b)),
        outputs=(TensorRef(out), TensorRef(shared, 1)),
    )


@fast(60)
@given(hostile_graphs())
def test_graph_script_keeps_every_value_as_data(spec: ModelSpec) -> None:
    source = python_script(spec)
    check_functional_script(source, spec)
    source.encode("utf-8")
    assert all(line.isprintable() for line in source.splitlines())


@pytest.mark.parametrize("name", [*NASTY, "keras", "model", "print", "class", "x_call0"])
def test_graph_script_with_each_nasty_name(name: str) -> None:
    layers = tuple(LayerSpec(la.class_name, name, la.params) for la in lesson_spec().layers)
    chain = ModelSpec(name=name, layers=layers).as_graph()
    check_functional_script(python_script(chain), chain)


# -- training_script ----------------------------------------------------------------------------

BENIGN_TRAIN = ast.parse(training_script(lesson_spec()))


def check_training_script(source: str, spec: ModelSpec) -> None:
    tree = ast.parse(source)
    assert skeleton_of_body(tree) == skeleton_of_body(BENIGN_TRAIN)
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert set(functions) == set(BENIGN_SKELETONS)
    for name, node in functions.items():
        if name != "build_model":  # nothing from the file but the default output's name (a constant)
            assert skeleton(node) == BENIGN_SKELETONS[name], name
    build = functions["build_model"]
    kinds = [type(node).__name__ for node in build.body]
    assert kinds == ["Expr", "Assign", "Expr", "Return"]
    check_layers_and_names(build.body[1].value, spec)  # type: ignore[attr-defined]
    keras_calls_take_only_literals(tree, spec)
    constants = {
        ast.unparse(node.targets[0]): node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    for key in ("INPUT_SHAPES", "INPUT_DTYPES", "OUTPUT_SHAPES", "TARGETS"):
        assert is_literal(constants[key])
    main = functions["main"]
    defaults = [
        kw.value
        for call in calls(main)
        for kw in call.keywords
        if kw.arg == "default" and "-o" in [getattr(a, "value", None) for a in call.args]
    ]
    assert len(defaults) == 1 and evaluate(defaults[0]) == f"{file_stem(spec.name)}_trained.keras"
    assert "/" not in evaluate(defaults[0]) and "\\" not in evaluate(defaults[0])
    assert not any(isinstance(node, (ast.Global, ast.Nonlocal, ast.Lambda)) for node in ast.walk(tree))


BENIGN_SKELETONS = {node.name: skeleton(node) for node in BENIGN_TRAIN.body if isinstance(node, ast.FunctionDef)}


def skeleton_of_body(tree: ast.Module) -> list[str]:
    """The module's top-level statements by kind and target, its functions by name."""
    shape = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            shape.append(f"def {node.name}")
        elif isinstance(node, ast.Assign):
            shape.append(f"{ast.unparse(node.targets[0])} =")
        elif isinstance(node, ast.Expr):
            shape.append("docstring" if isinstance(node.value, ast.Constant) else ast.unparse(node))
        else:
            shape.append(ast.unparse(node).splitlines()[0])
    return shape


@st.composite
def trainable_hostile_specs(draw: Any) -> ModelSpec:
    """Specs that are sound (a training script is written only for those), with hostile names and numbers."""
    layer_name = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,20}", fullmatch=True)
    names = draw(st.lists(layer_name, min_size=5, max_size=5, unique=True))
    layers = (
        LayerSpec("Input", names[0], {"shape": [draw(st.integers(1, 50))]}),
        LayerSpec(
            "Dense", names[1], {"units": draw(st.integers(1, 64)), "activation": draw(st.sampled_from(ACTIVATIONS))}
        ),
        LayerSpec("Dropout", names[2], {"rate": draw(st.floats(0.0, 0.999))}),
        LayerSpec(
            "BatchNormalization", names[3], {"momentum": draw(st.floats(0, 1)), "epsilon": draw(st.floats(0, 1))}
        ),
        LayerSpec("Dense", names[4], {"units": draw(st.integers(1, 8))}),
    )
    compile_spec = CompileSpec(
        loss=draw(
            st.sampled_from(["categorical_crossentropy", "mean_squared_error", "sparse_categorical_crossentropy"])
        ),
        optimizer="sgd",
        learning_rate=draw(st.none() | st.floats(1e-300, 1e300)),
        metrics=tuple(draw(st.lists(st.sampled_from(METRICS), max_size=3, unique=True))),
        optimizer_options={
            "momentum": draw(st.floats(0.0, 1.0)),
            "clipnorm": draw(st.floats(1e-300, 1e300)),
        },
    )
    # the model name is any that validation lets through: a printable text without "/" (INJECTION is one)
    return ModelSpec(
        name=draw(HOSTILE_TEXT.filter(lambda n: name_problem(n) is None)), layers=layers, compile=compile_spec
    )


@fast(40)  # each script is a few hundred lines, parsed and compared function by function
@given(trainable_hostile_specs(), HOSTILE_TEXT)
def test_training_script_keeps_every_value_as_data(spec: ModelSpec, script_name: str) -> None:
    source = training_script(spec, script_name)
    check_training_script(source, spec)
    source.encode("utf-8")


@pytest.mark.parametrize("name", NASTY)
def test_training_script_with_each_nasty_name(name: str) -> None:
    spec = ModelSpec(name=name if name_problem(name) is None else "model", layers=lesson_spec().layers)
    source = training_script(spec, name + ".py")  # the script's own name may be anything
    check_training_script(source, spec)
    docstring = ast.get_docstring(ast.parse(source), clean=False) or ""
    assert docstring.startswith("Trains the Keras model ") and "written by nnstudio" in docstring.splitlines()[0]


# -- literal --------------------------------------------------------------------------------------


@fast(300)
@given(VALUES | st.dictionaries(HOSTILE_TEXT, VALUES, max_size=3))
def test_literal_evaluates_to_the_value_and_nothing_else(value: Any) -> None:
    text = literal(value)
    tree = ast.parse(text, mode="eval")
    assert is_literal(tree.body)
    assert "\n" not in text and text.isprintable()
    back = evaluate(tree.body)
    if isinstance(value, dict):
        assert list(back) == list(value) and all(same(back[k], value[k]) for k in value)
    else:
        assert same(back, value)


@pytest.mark.parametrize("value", [object(), {1, 2}, b"bytes", 1j, len])
def test_literal_refuses_what_is_not_json_data(value: Any) -> None:
    with pytest.raises(TypeError):
        literal(value)


def test_default_output_of_the_training_script_stays_in_the_working_directory() -> None:
    spec = dataclasses.replace(lesson_spec(), name="..\\..\\Windows\\evil")
    tree = ast.parse(training_script(spec))
    texts = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert "_.._Windows_evil_trained.keras" in texts
    assert not any(t.endswith("_trained.keras") and ("/" in t or "\\" in t) for t in texts)


@pytest.mark.parametrize("value", [True, 3, [3, "x"], {"a": 1}])
def test_a_value_its_kind_refuses_is_written_as_data(value: Any) -> None:
    """An unsound model read from a file (Dropout's noise_shape `true`) still gets a script that
    only holds the value, never a crash (the reader keeps it; the analysis marks it)."""
    spec = ModelSpec(
        layers=(
            LayerSpec("Input", "x", {"shape": [20]}),
            LayerSpec("Dropout", "drop", {"rate": 0.5, "noise_shape": value}),
        )
    )
    source = python_script(spec)
    check_model_script(source, spec)
    assert f"noise_shape={literal(value)}" in source


def test_a_graph_with_a_configured_initializer_writes_it_as_a_keras_initializer_of_literals():
    """A file's initializer with a seed (fuzzing found one in the attention graph): the script writes
    `keras.initializers.GlorotUniform(seed=0)`, a class of nnstudio's table with literal settings."""
    import json

    from nnstudio.core.keras_archive import parse_keras_config
    from tests.core.test_keras_functional import DATA

    document = json.loads((DATA / "functional_mha_config.json").read_text())
    for layer in document["config"]["layers"]:
        if layer["class_name"] == "MultiHeadAttention":
            layer["config"]["kernel_initializer"] = {
                "module": "keras.initializers",
                "class_name": "GlorotUniform",
                "config": {"seed": 0},
                "registered_name": None,
            }
    spec = parse_keras_config(json.dumps(document).encode())
    source = python_script(spec)
    assert "kernel_initializer=keras.initializers.GlorotUniform(seed=0)" in source
    check_functional_script(source, spec)
    chain = lesson_spec()
    seeded = {"class_name": "HeNormal", "config": {"seed": 3}}
    chain = chain.with_layer(1, chain.layers[1].with_params(kernel_initializer=seeded))
    assert chain.layers[1].get("kernel_initializer") == seeded
    check_model_script(python_script(chain), chain)  # a Sequential script writes it alike
    sneaky = ast.parse("keras.layers.Dense(2, kernel_initializer=keras.initializers.GlorotUniform(seed=open('x')))")
    with pytest.raises(AssertionError):
        keras_calls_take_only_literals(sneaky, ModelSpec(layers=(LayerSpec("Dense", "d"),)))
