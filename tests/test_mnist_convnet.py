"""Keras's own example convnet (keras.io/examples/vision/mnist_convnet), written by Keras, through
the command line: validate, summary --json row by row against Keras, train on synthetic data
shaped for its input, export with bit-equal weights, and the generated code; and the shipped
`resources/examples/mnist_convnet.nnstudio`, which is the same model.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.engine, pytest.mark.cli]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "resources" / "examples" / "mnist_convnet.nnstudio"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}

# keras.io/examples/vision/mnist_convnet, as written there (tests/keras_io/keras_io_examples.py)
WRITE_CONVNET = (
    "import sys\nfrom tests.keras_io.keras_io_examples import mnist_convnet\nmnist_convnet().save(sys.argv[1])\n"
)

# Keras's own account of a saved model: layer rows, totals and every weight array
DESCRIBE = textwrap.dedent(
    """
    import json, sys, numpy as np, keras
    model = keras.saving.load_model(sys.argv[1])
    rows = [{"name": l.name, "type": type(l).__name__, "output_shape": list(l.output.shape),
             "params": l.count_params()} for l in model.layers]
    np.savez(sys.argv[2], *[np.asarray(w) for w in model.get_weights()])
    print(json.dumps({"name": model.name, "layers": rows, "total_params": model.count_params(),
                      "loss": model.loss, "input": list(model.input_shape)}))
    """
)


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*args], capture_output=True, text=True, env=ENV, cwd=ROOT, timeout=timeout)


def nnstudio(*args) -> subprocess.CompletedProcess:
    return run(sys.executable, "-m", "nnstudio", *map(str, args))


def describe(path: Path, weights: Path) -> dict:
    out = run(sys.executable, "-c", DESCRIBE, str(path), str(weights))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def arrays(path: Path) -> list[np.ndarray]:
    with np.load(path) as found:
        return [found[f"arr_{i}"] for i in range(len(found.files))]


@pytest.fixture(scope="module")
def convnet(tmp_path_factory) -> tuple[Path, dict, list[np.ndarray]]:
    """The convnet file Keras wrote, Keras's description of it and its weights."""
    folder = tmp_path_factory.mktemp("mnist_convnet")
    path = folder / "mnist_convnet.keras"
    out = run(sys.executable, "-c", WRITE_CONVNET, str(path))
    assert out.returncode == 0, out.stderr
    return path, describe(path, folder / "weights.npz"), arrays(folder / "weights.npz")


def test_validate_and_summary_json_equal_keras_row_by_row(convnet):
    path, keras_says, _weights = convnet
    checked = nnstudio("validate", path)
    assert checked.returncode == 0 and checked.stdout.startswith("ok:"), checked.stderr
    out = nnstudio("summary", path, "--json")
    assert out.returncode == 0, out.stderr
    ours = json.loads(out.stdout)
    assert ours["name"] == keras_says["name"]
    assert [{k: row[k] for k in ("name", "type", "output_shape", "params")} for row in ours["layers"]] == keras_says[
        "layers"
    ]
    assert ours["total_params"] == keras_says["total_params"] == 34_826
    assert ours["trainable_params"] == 34_826 and ours["non_trainable_params"] == 0
    assert [row["output_shape"] for row in ours["layers"]][:5] == [
        [None, 26, 26, 32],
        [None, 13, 13, 32],
        [None, 11, 11, 64],
        [None, 5, 5, 64],
        [None, 1600],
    ]


def test_the_shipped_example_is_the_same_model(convnet):
    path, _keras_says, _weights = convnet
    ours = json.loads(nnstudio("summary", EXAMPLE, "--json").stdout)
    theirs = json.loads(nnstudio("summary", path, "--json").stdout)
    assert ours["layers"] == theirs["layers"] and ours["total_params"] == theirs["total_params"]
    assert ours["name"] == "mnist_convnet"


def test_export_writes_the_file_s_weights_bit_for_bit(convnet, tmp_path):
    path, keras_says, weights = convnet
    out = tmp_path / "exported.keras"
    result = nnstudio("export", path, "-o", out)
    assert result.returncode == 0, result.stderr
    again = describe(out, tmp_path / "exported.npz")
    assert again["layers"] == keras_says["layers"] and again["loss"] == keras_says["loss"]
    exported = arrays(tmp_path / "exported.npz")
    assert [w.shape for w in exported] == [w.shape for w in weights]
    assert [w.shape for w in weights][:4] == [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,)]
    for ours, theirs in zip(exported, weights, strict=True):
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)


def test_train_on_synthetic_data_shaped_for_the_images(convnet, tmp_path):
    path, keras_says, weights = convnet
    out = tmp_path / "trained.keras"
    result = nnstudio("train", path, "--data", "synthetic", "--samples", "96", "--epochs", "2", "-o", out)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("epoch ")]
    assert len(lines) == 2 and all(re.search(r" loss=[0-9.e-]+", line) for line in lines)
    trained = describe(out, tmp_path / "trained.npz")
    assert trained["layers"] == keras_says["layers"] and trained["input"] == [None, 28, 28, 1]
    after = arrays(tmp_path / "trained.npz")
    assert not np.array_equal(after[0], weights[0]), "training moved the first kernel"


def test_generated_code_rebuilds_the_model_and_prints_keras_s_summary(convnet, tmp_path):
    path, _keras_says, _weights = convnet
    script = tmp_path / "convnet.py"
    assert nnstudio("code", path, "-o", script).returncode == 0
    source = script.read_text()
    assert 'keras.layers.Conv2D(32, (3, 3), activation="relu", name="conv2d")' in source
    assert 'keras.layers.MaxPooling2D(name="max_pooling2d")' in source
    printed = run(sys.executable, str(script))
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == nnstudio("summary", path).stdout


WRITE_VOLUME_NET = textwrap.dedent(
    """
    import sys, keras
    model = keras.Sequential([keras.Input((4, 6, 6, 2)), keras.layers.Conv3D(3, 2), keras.layers.MaxPooling3D(),
                              keras.layers.GlobalAveragePooling3D(), keras.layers.Dense(2)])
    model.save(sys.argv[1])
    """
)


def _with_kernel_shape(source: Path, target: Path, group: str, shape: tuple[int, ...]) -> Path:
    """A copy of a `.keras` file whose `group`'s kernel (variable 0) has another shape."""
    import zipfile

    import h5py

    with zipfile.ZipFile(source) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    h5_path = target.with_suffix(".h5")
    h5_path.write_bytes(parts["model.weights.h5"])
    with h5py.File(h5_path, "r+") as h5:
        variables = h5[f"layers/{group}/vars"]
        del variables["0"]
        variables.create_dataset("0", data=np.zeros(shape, dtype="float32"))
    parts["model.weights.h5"] = h5_path.read_bytes()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return target


@pytest.mark.parametrize(
    ("writer", "group", "name", "needed", "wrong"),
    [
        ("convnet", "conv2d_1", "conv2d_1", (3, 3, 32, 64), (3, 3, 32, 65)),
        ("volume", "conv3d", "conv3d", (2, 2, 2, 2, 3), (2, 2, 2, 3, 3)),
    ],
)
def test_validate_checks_4d_and_5d_kernels_against_the_config(convnet, tmp_path, writer, group, name, needed, wrong):
    if writer == "convnet":
        source = convnet[0]
    else:
        source = tmp_path / "volume.keras"
        out = run(sys.executable, "-c", WRITE_VOLUME_NET, str(source))
        assert out.returncode == 0, out.stderr
    assert nnstudio("validate", source).returncode == 0
    broken = _with_kernel_shape(source, tmp_path / "broken.keras", group, wrong)
    result = nnstudio("validate", broken)
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert f"{name}: weight 0 has shape {wrong}, the config needs {needed}" in result.stderr
