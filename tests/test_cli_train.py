"""`nnstudio train` and `nnstudio code --train`, run as a person runs them (subprocesses)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.cli

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "resources" / "examples" / "lesson.nnstudio"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}


def nnstudio(*args, cwd=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "nnstudio", *map(str, args)],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=cwd,
        timeout=timeout,
    )


def test_train_prints_loss_per_epoch_and_writes_a_loadable_model(tmp_path):
    out = tmp_path / "trained.keras"
    result = nnstudio("train", LESSON, "--data", "synthetic", "--samples", "128", "--epochs", "3", "-o", out)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("epoch ")]
    assert len(lines) == 3
    for n, line in enumerate(lines, start=1):
        assert re.match(rf"epoch {n}/3 loss=[0-9.e-]+ val_loss=[0-9.e-]+$", line), line
    losses = [float(re.search(r" loss=([0-9.e-]+)", line).group(1)) for line in lines]
    assert losses[-1] < losses[0]
    assert out.is_file() and not list(tmp_path.glob(".*tmp*"))

    import keras
    import numpy as np

    model = keras.saving.load_model(out)
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert model(np.zeros((2, 20), dtype="float32")).shape == (2, 10)


def test_train_bad_csv_cell_is_one_line_naming_row_and_column(tmp_path):
    data = tmp_path / "bad.csv"
    rows = ["a,b,y"] + [f"{i},{i + 1},{i * 2}" for i in range(5)]
    rows[3] = "2,oops,4"
    data.write_text("\n".join(rows) + "\n")
    project = tmp_path / "small.nnstudio"
    content = json.loads(LESSON.read_text())
    content["layers"][0]["shape"] = [2]
    content["layers"][-1]["units"] = 1
    project.write_text(json.dumps(content))
    result = nnstudio("train", project, "--data", data, "--epochs", "1", "-o", tmp_path / "o.keras")
    assert result.returncode == 1
    assert result.stderr.strip() == f"nnstudio: error: row 4, column 'b' (2): expected a number, found 'oops' ({data})"
    assert "Traceback" not in result.stderr and not (tmp_path / "o.keras").exists()


def test_train_refuses_data_that_does_not_fit(tmp_path):
    result = nnstudio("train", LESSON, "--data", "iris", "--epochs", "1", "-o", tmp_path / "o.keras")
    assert result.returncode == 1
    assert "Input takes 20 features but 4 feature columns" in result.stderr


@pytest.mark.parametrize("strategy", ["default"])
def test_generated_distribute_script_runs(tmp_path, strategy):
    script = tmp_path / "train_lesson.py"
    result = nnstudio("code", "--train", LESSON, "-o", script)
    assert result.returncode == 0, result.stderr
    text = script.read_text()
    assert "tf.distribute.MirroredStrategy()" in text
    assert "tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)" in text
    out = tmp_path / "out.keras"
    run = subprocess.run(
        [sys.executable, str(script), "--strategy", strategy, "--samples", "64", "--epochs", "2", "-o", str(out)],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "replicas: 1" in run.stdout and "val_loss" in run.stdout
    assert out.is_file()
