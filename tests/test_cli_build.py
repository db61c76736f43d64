"""`nnstudio export` and `nnstudio code`, run as separate processes like a person would."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

pytestmark = pytest.mark.cli

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "resources" / "examples" / "lesson.nnstudio"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "80"}
HEAVY = ("keras", "tensorflow")

# Runs nnstudio's CLI in-process (several commands, one Python) and reports whether Keras got imported.
DRIVER = """
import json, sys
from nnstudio.cli import main
codes = [main(args) for args in json.loads(sys.argv[1])]
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"keras", "tensorflow"})
report = {"codes": codes, "heavy": heavy}
if len(sys.argv) > 2:  # then load that file with plain Keras and describe it
    import keras
    model = keras.saving.load_model(sys.argv[2])
    report["plain_keras"] = {
        "layers": [[l.name, type(l).__name__, l.get_config().get("activation")] for l in model.layers],
        "params": model.count_params(),
        "loss": model.get_compile_config()["loss"],
        "optimizer": type(model.optimizer).__name__,
        "learning_rate": float(model.optimizer.learning_rate.numpy()),
    }
print(json.dumps(report))
"""


def nnstudio(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True, env=ENV, timeout=timeout, cwd=ROOT
    )


def drive(*commands: list[str], load: Path | None = None) -> tuple[dict, subprocess.CompletedProcess]:
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(list(commands)), *([str(load)] if load else [])],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
        cwd=ROOT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1]), result


def h5_arrays(keras_file: Path) -> dict[str, np.ndarray]:
    """Every layer weight array stored in a .keras file, by its h5 path (read with h5py, no Keras)."""
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(keras_file) as archive, archive.open("model.weights.h5") as raw:
        data = raw.read()
    with h5py.File(io.BytesIO(data), "r") as h5:

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and name.startswith("layers/"):
                arrays[name] = obj[()]

        h5.visititems(visit)
    return arrays


def test_export_and_reexport_keep_weights_bit_equal(tmp_path):
    first, second = tmp_path / "lesson.keras", tmp_path / "again.keras"
    report, result = drive(
        ["export", str(LESSON), "-o", str(first)], ["export", str(first), "-o", str(second)], load=second
    )
    assert report["codes"] == [0, 0], result.stderr
    assert report["heavy"] == []  # Keras ran in the engine process, under its memory limit
    assert report["plain_keras"] == {
        "layers": [["dense", "Dense", "relu"], ["dense_1", "Dense", "linear"]],
        "params": 1994,
        "loss": "mean_squared_error",
        "optimizer": "Adam",
        "learning_rate": pytest.approx(0.001),
    }
    a, b = h5_arrays(first), h5_arrays(second)
    assert sorted(a) == sorted(b) and len(a) == 4  # two Dense layers, kernel and bias each
    for key in a:
        assert a[key].dtype == b[key].dtype and np.array_equal(a[key], b[key]), key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.keras", "lesson.keras"]  # no temp files left

    from nnstudio.core.keras_archive import read_keras_config

    spec = read_keras_config(second)
    assert [layer.name for layer in spec.layers] == ["input_layer", "dense", "dense_1"]
    # the exported file is a sound model for `validate`, and its code is the lesson's code
    assert nnstudio("validate", str(second)).returncode == 0
    assert nnstudio("code", str(second)).stdout == nnstudio("code", str(LESSON)).stdout


def test_code_script_prints_the_summary_of_nnstudio_summary(tmp_path):
    code = nnstudio("code", str(LESSON))
    assert code.returncode == 0 and code.stderr == ""
    assert code.stdout.startswith('"""') and "import keras\n" in code.stdout
    script = tmp_path / "lesson.py"
    assert nnstudio("code", str(LESSON), "-o", str(script)).returncode == 0
    assert script.read_text(encoding="utf-8") == code.stdout
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=ENV, timeout=300)
    assert run.returncode == 0, run.stderr
    summary = nnstudio("summary", str(LESSON))
    assert summary.returncode == 0
    assert run.stdout == summary.stdout


def _hostile_keras(path: Path) -> None:
    config = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [
                {
                    "module": "keras.layers",
                    "class_name": "InputLayer",
                    "config": {"batch_shape": [None, 4], "name": "in"},
                },
                {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "boom", "function": "os.system"}},
            ],
        },
    }
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", b"not really")


def test_refused_files_never_load_tensorflow(tmp_path):
    bad_project = tmp_path / "bad.nnstudio"
    document = json.loads(LESSON.read_text(encoding="utf-8"))
    document["layers"][2]["units"] = -5
    bad_project.write_text(json.dumps(document), encoding="utf-8")
    hostile = tmp_path / "hostile.keras"
    _hostile_keras(hostile)
    out = tmp_path / "out.keras"
    report, result = drive(
        ["export", str(bad_project), "-o", str(out)],
        ["export", str(hostile), "-o", str(out)],
        ["code", str(bad_project)],
        ["code", str(hostile)],
    )
    assert report == {"codes": [1, 1, 1, 1], "heavy": []}
    lines = result.stderr.splitlines()
    assert len(lines) == 4 and all(line.startswith("nnstudio: error: ") for line in lines)
    assert lines[0] == f"nnstudio: error: dense_1: units must be a positive integer. Received: units=-5 ({bad_project})"
    assert "Lambda" in lines[1] and str(hostile) in lines[1]
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["export", "LESSON"], 2, "-o"),
        (["export", "LESSON", "-o", "out.h5"], 1, "must end in .keras (out.h5)"),
        (["export", "LESSON", "-o", "no/such/dir/out.keras"], 1, "the output folder does not exist (no/such/dir)"),
        (["export", "missing.nnstudio", "-o", "out.keras"], 1, "(missing.nnstudio)"),
        (["code", "missing.nnstudio"], 1, "(missing.nnstudio)"),
        (["code", "LESSON", "-o", "no/such/dir/x.py"], 1, "the output folder does not exist (no/such/dir)"),
        (["code", "LESSON", "-o", "LESSON"], 1, "the output file must end in .py"),
        (["code", "LESSON", "-o", "x.txt"], 1, "the output file must end in .py (x.txt)"),
        (["code"], 2, "file"),
    ],
)
def test_errors_are_one_line(tmp_path, args, code, fragment):
    args = [str(LESSON) if a == "LESSON" else a for a in args]
    result = subprocess.run(
        [sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=60
    )
    assert result.returncode == code
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    if code == 1:
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("nnstudio: error: ")
    assert list(tmp_path.iterdir()) == []
