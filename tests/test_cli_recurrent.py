"""Keras's recurrent example models through the command line, as a person runs it: `validate`,
`train` on made-up token ids and sequences, `export`, and the generated tf.distribute script."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.keras_io.recurrent_examples import EXAMPLES

pytestmark = pytest.mark.cli
ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT)}
# Keras writes the example in a process of its own (fresh automatic names, as a person's script would)
WRITE = "import sys; from pathlib import Path; from tests.keras_io.recurrent_examples import save_keras_model; save_keras_model(sys.argv[1], Path(sys.argv[2]))"
# the token ids in the training data nnstudio makes for a model
TOKENS = "import sys, json; from nnstudio.core.project import load_project; from nnstudio.core.datasets import for_spec; x = for_spec(load_project(sys.argv[1])[0], samples=64).x; print(json.dumps([str(x.dtype), int(x.min()), int(x.max())]))"


def run(*args, cwd=None, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, env=ENV, cwd=cwd or ROOT, timeout=timeout
    )


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_a_keras_written_example_validates_trains_and_exports(tmp_path, name):
    written = run("-c", WRITE, name, tmp_path)
    assert written.returncode == 0, written.stderr[-2000:]
    path = tmp_path / f"{name}.keras"
    assert run("-m", "nnstudio", "validate", path).returncode == 0
    trained = tmp_path / "trained.keras"
    result = run(
        "-m", "nnstudio", "train", path, "--data", "synthetic", "--samples", "96", "--epochs", "2", "-o", trained
    )
    assert result.returncode == 0, result.stderr[-2000:]
    epochs = [line for line in result.stdout.splitlines() if line.startswith("epoch ")]
    assert len(epochs) == 2 and all(re.search(r" loss=[0-9.]+", line) for line in epochs)
    exported = tmp_path / "exported.keras"
    assert run("-m", "nnstudio", "export", trained, "-o", exported).returncode == 0
    assert run("-m", "nnstudio", "validate", exported).returncode == 0
    summary = run("-m", "nnstudio", "summary", exported, "--json")
    assert json.loads(summary.stdout)["name"] == name


def test_made_up_training_data_for_the_imdb_model_is_token_ids_below_its_vocabulary():
    result = run("-c", TOKENS, EXAMPLES["imdb_bidirectional_lstm"])
    dtype, low, high = json.loads(result.stdout)
    assert dtype == "int32" and low == 0 and 19_000 < high < 20_000


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_the_generated_distribute_script_trains_the_example(tmp_path, name):
    script = tmp_path / "train_model.py"
    assert run("-m", "nnstudio", "code", "--train", EXAMPLES[name], "-o", script).returncode == 0
    out = tmp_path / "out.keras"
    result = run(script, "--strategy", "default", "--samples", "64", "--epochs", "1", "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "val_loss" in result.stdout and out.is_file()
    assert run("-m", "nnstudio", "validate", out).returncode == 0
