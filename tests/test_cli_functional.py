"""The command line on functional `.keras` files written by Keras: validate, export (bit-equal
weights, plain Keras loads it), code (runs as is and rebuilds the same summary), train and
`code --train` with several inputs and outputs (synthetic data; CSV data refused in one line)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.keras_io.functional_models import MODELS, assert_bit_equal, layer_arrays, save, summary_text

pytestmark = [pytest.mark.cli, pytest.mark.engine]

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}

keras = pytest.importorskip("keras")


def nnstudio(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True, env=ENV, timeout=timeout, cwd=ROOT
    )


def one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nnstudio: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("name", list(MODELS))
def test_validate_export_and_code_of_keras_written_graphs(tmp_path: Path, name: str) -> None:
    original = MODELS[name]()
    path = save(original, tmp_path / f"{name}.keras")

    checked = nnstudio("validate", str(path))
    assert checked.returncode == 0, checked.stderr
    assert f"is a sound Functional model '{original.name}'" in checked.stdout

    out = tmp_path / "exported.keras"
    exported = nnstudio("export", str(path), "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    model = keras.saving.load_model(out)
    assert_bit_equal(layer_arrays(model), layer_arrays(original))
    assert summary_text(model) == summary_text(original)

    script = tmp_path / "rebuild.py"
    written = nnstudio("code", str(path), "-o", str(script))
    assert written.returncode == 0, written.stderr
    namespace: dict[str, object] = {"__name__": "__main__"}
    exec(compile(script.read_text(), str(script), "exec"), namespace)  # noqa: S102 - nnstudio's own output
    assert summary_text(namespace["model"]) == summary_text(original)


def test_train_and_training_script_with_two_inputs(tmp_path: Path) -> None:
    path = save(MODELS["two_inputs"](), tmp_path / "two.keras")
    table = tmp_path / "table.csv"
    table.write_text("a,b,c\n1,2,3\n4,5,6\n")

    refused = nnstudio("train", str(path), "--data", str(table), "--epochs", "1", "-o", str(tmp_path / "t.keras"))
    one_line_error(refused, "CSV data is for models with one input and one output", "2 input(s) and 1 output(s)")

    trained_path = tmp_path / "trained.keras"
    trained = nnstudio("train", str(path), "--data", "synthetic", "--epochs", "2", "-o", str(trained_path))
    assert trained.returncode == 0, trained.stderr
    epochs = [line for line in trained.stdout.splitlines() if line.startswith("epoch ")]
    assert [line.split(" ")[1] for line in epochs] == ["1/2", "2/2"] and all(" loss=" in line for line in epochs)
    assert [i.shape for i in keras.saving.load_model(trained_path).inputs] == [(None, 8), (None, 4)]

    script = tmp_path / "train_two.py"
    assert nnstudio("code", str(path), "--train", "-o", str(script)).returncode == 0
    run = [sys.executable, str(script), "--strategy", "default", "--epochs", "1", "--samples", "64"]
    done = subprocess.run(
        [*run, "-o", str(tmp_path / "s.keras")], capture_output=True, text=True, env=ENV, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "epoch 1/1 loss=" in done.stdout and (tmp_path / "s.keras").is_file()
    csv = subprocess.run(
        [*run, "--data", str(table), "-o", str(tmp_path / "c.keras")],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
        cwd=tmp_path,
    )
    assert csv.returncode != 0 and "CSV data is for models with one input and one output" in csv.stderr


@pytest.mark.parametrize("name", list(MODELS))
def test_summary_of_keras_written_graphs_is_what_keras_prints(tmp_path: Path, name: str) -> None:
    """`nnstudio summary` of each must-show model (Keras wrote the file) prints Keras's own table:
    the rows in Keras's order, Connected to, totals; `--json` carries the same connections."""
    original = MODELS[name]()
    path = save(original, tmp_path / f"{name}.keras")
    lines: list[str] = []
    original.summary(print_fn=lines.append, line_length=76)  # nnstudio prints for an 80-column pipe
    printed = nnstudio("summary", str(path))
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.rstrip("\n") == "\n".join(lines).rstrip("\n")

    as_json = nnstudio("summary", str(path), "--json")
    assert as_json.returncode == 0, as_json.stderr
    rows = {row["name"]: row for row in json.loads(as_json.stdout)["layers"]}
    for layer in original.layers:
        inbound = [
            f"{tensor._keras_history.operation.name}[{tensor._keras_history.node_index}][{tensor._keras_history.tensor_index}]"
            for node in layer._inbound_nodes
            for tensor in node.input_tensors
        ]
        assert [f"{n}[{node}][{tensor}]" for n, node, tensor in rows[layer.name]["connected_to"]] == inbound
    assert sum(row["params"] for row in rows.values()) == original.count_params()
