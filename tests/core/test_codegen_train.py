"""The training script's text: the model is built by the same lines as `nnstudio code` writes, and
the script is clean Python by the project's own ruff settings (a person reads and edits it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nnstudio.core.codegen import model_lines, python_script
from nnstudio.core.codegen_train import training_script
from nnstudio.core.spec import CompileSpec, LayerSpec, ModelSpec, lesson_spec

ROOT = Path(__file__).resolve().parents[2]


def classifier() -> ModelSpec:
    layers = (
        LayerSpec("Input", "features", {"shape": [4]}),
        LayerSpec("Dense", "hidden", {"units": 16, "activation": "relu"}),
        LayerSpec("BatchNormalization", "norm", {}),
        LayerSpec("Dropout", "drop", {"rate": 0.1}),
        LayerSpec("Dense", "species", {"units": 3, "activation": "softmax"}),
    )
    compile_spec = CompileSpec("sparse_categorical_crossentropy", "sgd", 0.05, ("accuracy",), {"momentum": 0.9})
    return ModelSpec(name="iris", layers=layers, compile=compile_spec)


@pytest.mark.parametrize("spec", [lesson_spec(), classifier()], ids=["lesson", "classifier"])
def test_both_scripts_build_the_model_with_the_same_lines(spec):
    lines = model_lines(spec)
    assert "\n".join(lines) in python_script(spec)
    assert "\n".join(f"    {line}" for line in lines) + "\n    return model\n" in training_script(spec)


@pytest.mark.parametrize("spec", [lesson_spec(), classifier()], ids=["lesson", "classifier"])
def test_training_script_is_ruff_clean(tmp_path, spec):
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    script = tmp_path / "train_model.py"
    script.write_text(training_script(spec, script.name))
    config = str(ROOT / "pyproject.toml")
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run([ruff, *command, "--config", config, str(script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_targets_follow_the_loss():
    assert 'TARGETS = "regression"' in training_script(lesson_spec())
    assert 'TARGETS = "sparse"' in training_script(classifier())
    binary = lesson_spec().with_compile(CompileSpec("binary_crossentropy", "adam"))
    assert 'TARGETS = "classes"' in training_script(binary)
