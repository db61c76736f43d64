"""core.codegen.python_script: readable scripts with only non-default arguments, whose Keras summary
is the analytic one."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

from nnstudio.core.codegen import python_script
from nnstudio.core.spec import CompileSpec, lesson_spec
from nnstudio.core.summary import analyze, summary_text
from tests.keras_io.models import ALL, every_layer, make

pytestmark = pytest.mark.engine

LESSON_SCRIPT = '''\
"""Rebuilds the Keras model "sequential"; written by nnstudio."""

import keras

model = keras.Sequential(
    [
        keras.Input(shape=(20,), name="input_layer"),
        keras.layers.Dense(64, activation="relu", name="dense"),
        keras.layers.Dense(10, name="dense_1"),
    ],
    name="sequential",
)
model.compile(
    loss="mean_squared_error",
    optimizer="adam",
)
model.summary()
'''


def test_lesson_script_text():
    assert python_script(lesson_spec()) == LESSON_SCRIPT


def test_only_non_default_arguments():
    script = python_script(every_layer())
    assert 'keras.Input(shape=(4, 6), name="features")' in script
    assert (
        'keras.layers.Dense(8, activation="tanh", use_bias=False, kernel_initializer="he_normal", name="hidden")'
        in script
    )
    assert 'keras.layers.Activation("sigmoid", name="act")' in script
    assert 'keras.layers.Dropout(0.25, name="drop")' in script
    assert 'keras.layers.BatchNormalization(center=False, momentum=0.9, epsilon=0.01, name="bn")' in script
    assert 'keras.layers.LayerNormalization(scale=False, epsilon=1e-05, name="ln")' in script
    assert 'keras.layers.Flatten(name="flat")' in script
    assert 'keras.layers.Reshape((4, -1), name="reshape")' in script
    assert 'keras.layers.Dense(3, activation="softmax", bias_initializer="ones", name="out")' in script
    assert "optimizer=keras.optimizers.SGD(learning_rate=0.05)," in script
    assert 'metrics=["accuracy", "auc"],' in script


def test_default_learning_rate_written_as_name():
    spec = lesson_spec().with_compile(CompileSpec("mean_squared_error", "sgd", 0.01))
    assert 'optimizer="sgd",' in python_script(spec)


@pytest.mark.parametrize(
    "hostile",
    ['we"ird', '"""', 'x"""\nimport os\nos.system("echo pwned")\n"""', "back\\", "line\nbreak", "tab\t\x00é✓", "'"],
)
def test_names_from_files_cannot_break_out_of_their_strings(hostile):
    spec = make(hostile, [("Input", "in.put-1", {"shape": [3]}), ("Dense", hostile, {"units": 2})])
    tree = ast.parse(python_script(spec))
    names = [kw.value.value for node in ast.walk(tree) if isinstance(node, ast.keyword) and kw_is_name(kw := node)]
    assert sorted(names) == sorted(["in.put-1", hostile, hostile])
    calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert calls == {"keras.Sequential", "keras.Input", "keras.layers.Dense", "model.compile", "model.summary"}


def kw_is_name(keyword: ast.keyword) -> bool:
    return keyword.arg == "name" and isinstance(keyword.value, ast.Constant)


RUNNER = textwrap.dedent(
    """
    import io, runpy, sys, contextlib
    for path in sys.argv[1:]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            runpy.run_path(path, run_name="__main__")
        sys.stdout.write(out.getvalue() + "\\0")
    """
)


@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="Keras is not installed")
def test_scripts_run_and_print_the_analytic_summary(tmp_path):
    """Every hand-picked model's script, run by Python with Keras, prints summary_text exactly.

    The lesson's script runs alone in plain `python script.py`; the others share one process
    (each script still builds from scratch) to keep the test fast.
    """
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "80"}
    specs = {name: factory() for name, factory in ALL.items()}
    paths = {}
    for name, spec in specs.items():
        paths[name] = tmp_path / f"{name}.py"
        paths[name].write_text(python_script(spec), encoding="utf-8")
    lesson = subprocess.run(
        [sys.executable, str(paths["lesson"])], capture_output=True, text=True, env=env, timeout=300, check=True
    )
    assert lesson.stdout == summary_text(analyze(specs["lesson"])) + "\n"
    others = [name for name in specs if name != "lesson"]
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, *(str(paths[n]) for n in others)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    printed = result.stdout.split("\0")[:-1]
    assert len(printed) == len(others)
    for name, text in zip(others, printed, strict=True):
        assert text == summary_text(analyze(specs[name])) + "\n", name
