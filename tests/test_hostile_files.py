"""Hostile files: `nnstudio validate` and `nnstudio export` refuse each, in one line, running nothing.

The corpus is generated here, nothing is downloaded: code-carrying configs, zip and HDF5 tricks,
absurd sizes and broken project files. Each refused file must give exit status 1, one line
`nnstudio: error: ...` with no traceback, leave the payload's marker file absent, write no
output, stay under 300 MB, and never import Keras or TensorFlow. A Keras-written file
still passes.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import pytest

from tests.core.test_keras_archive_corpus import lambda_entry, layer_entry, model_config, weights_bytes, write_keras
from tests.peak_memory import launcher_command, launcher_env, read_peak_bytes

MEMORY_LIMIT_KB = 300 * 1024

# The `base` model is written by Keras in a child process; every case runs the command line.
pytestmark = [pytest.mark.engine, pytest.mark.cli]


@dataclass
class Base:
    """A Keras-written lesson model, taken apart for mutation."""

    path: Path
    config: dict[str, Any]
    weights: bytes

    def config_copy(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.config))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    """The lesson's model, built and saved by Keras itself (in a child process, to keep this one light)."""
    folder = tmp_path_factory.mktemp("keras_base")
    path = folder / "lesson.keras"
    script = (
        "import keras, sys\n"
        "m = keras.Sequential([keras.Input((20,)), keras.layers.Dense(64, activation='relu'), keras.layers.Dense(10)])\n"
        "m.compile(loss='mean_squared_error', optimizer='adam')\n"
        "m.save(sys.argv[1])\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, capture_output=True, timeout=300, env=env)
    with zipfile.ZipFile(path) as archive:
        return Base(path, json.loads(archive.read("config.json")), archive.read("model.weights.h5"))


# -- the corpus: each builder writes one hostile file into `folder`; `marker` must stay absent ---

Builder = Callable[[Base, Path, Path], Path]


def _mutated(
    base: Base, folder: Path, name: str, edit: Callable[[dict[str, Any]], None], weights: bytes | None = None
) -> Path:
    config = base.config_copy()
    edit(config)
    return write_keras(folder / f"{name}.keras", config, base.weights if weights is None else weights)


def lambda_code(base: Base, folder: Path, marker: Path) -> Path:
    return _mutated(base, folder, "lambda", lambda c: c["config"]["layers"].insert(2, lambda_entry(marker)))


def os_system(base: Base, folder: Path, marker: Path) -> Path:
    def edit(config: dict[str, Any]) -> None:
        config["config"]["layers"][1]["config"]["activation"] = {
            "module": "os",
            "class_name": "function",
            "config": "system",
            "registered_name": "system",
        }
        config["config"]["layers"].insert(
            2, {"module": "os", "class_name": "system", "config": {"name": "x", "command": f"touch {marker}"}}
        )

    return _mutated(base, folder, "os_system", edit)


def unsafe_deserialization(base: Base, folder: Path, marker: Path) -> Path:
    def edit(config: dict[str, Any]) -> None:
        config["config"]["layers"][1]["config"]["activation"] = {
            "module": "keras.config",
            "class_name": "function",
            "config": "enable_unsafe_deserialization",
            "registered_name": "function",
        }
        config["config"]["layers"].insert(2, lambda_entry(marker))

    return _mutated(base, folder, "unsafe", edit)


def tfsm_layer(base: Base, folder: Path, marker: Path) -> Path:
    entry = {
        "module": "keras.layers",
        "class_name": "TFSMLayer",
        "config": {"name": "tfsm", "filepath": str(folder), "call_endpoint": "serve", "trainable": False},
        "registered_name": None,
    }
    return _mutated(base, folder, "tfsm", lambda c: c["config"]["layers"].insert(2, entry))


def zip_bomb(base: Base, folder: Path, marker: Path) -> Path:
    path = folder / "bomb.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", json.dumps(base.config))
        with archive.open("model.weights.h5", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(256):
                member.write(block)
    return path


def path_traversal(base: Base, folder: Path, marker: Path) -> Path:
    extra = {f"../../../{marker.name}": b"escaped", "assets/../../x": b"x"}
    return write_keras(folder / "traversal.keras", base.config, base.weights, extra)


def absolute_member(base: Base, folder: Path, marker: Path) -> Path:
    return write_keras(folder / "absolute.keras", base.config, base.weights, {str(marker): b"escaped"})


def hdf5_renamed(base: Base, folder: Path, marker: Path) -> Path:
    path = folder / "renamed.keras"
    path.write_bytes(base.weights)
    return path


def truncated(base: Base, folder: Path, marker: Path) -> Path:
    data = base.path.read_bytes()
    path = folder / "truncated.keras"
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def random_bytes(base: Base, folder: Path, marker: Path) -> Path:
    path = folder / "random.keras"
    path.write_bytes(random.Random(6).randbytes(64 * 1024))
    return path


def huge_dense(base: Base, folder: Path, marker: Path) -> Path:
    config = model_config([1_000_000], [layer_entry("Dense", "huge", units=1_000_000)])
    return write_keras(folder / "huge.keras", config, weights_bytes({"dense": [(1, 1), (1,)]}))


def weights_mismatch(base: Base, folder: Path, marker: Path) -> Path:
    wrong = weights_bytes({"dense": [(20, 64), (64,)], "dense_1": [(64, 12), (12,)]})
    return _mutated(base, folder, "mismatch", lambda c: None, wrong)


def hdf5_external_link(base: Base, folder: Path, marker: Path) -> Path:
    h5_path = folder / "linked.h5"
    h5_path.write_bytes(base.weights)
    with h5py.File(h5_path, "a") as h5:
        del h5["layers/dense/vars/0"]
        h5["layers/dense/vars/0"] = h5py.ExternalLink("/etc/passwd", "/")
    return _mutated(base, folder, "external_link", lambda c: None, h5_path.read_bytes())


def negative_units(base: Base, folder: Path, marker: Path) -> Path:
    return _mutated(base, folder, "negative", lambda c: c["config"]["layers"][2]["config"].update(units=-5))


def non_numeric_units(base: Base, folder: Path, marker: Path) -> Path:
    edit = lambda c: c["config"]["layers"][2]["config"].update(units="__import__('os').system('x')")  # noqa: E731
    return _mutated(base, folder, "non_numeric", edit)


def missing_config(base: Base, folder: Path, marker: Path) -> Path:
    return write_keras(folder / "no_config.keras", None, base.weights)


def project_non_json(base: Base, folder: Path, marker: Path) -> Path:
    path = folder / "non_json.nnstudio"
    path.write_text('{"format": "nnstudio", "version": 1, layers: [}')
    return path


def project_deeply_nested(base: Base, folder: Path, marker: Path) -> Path:
    path = folder / "nested.nnstudio"
    path.write_text('{"format": "nnstudio", "version": 1, "editor": ' + "[" * 200_000 + "]" * 200_000 + "}")
    return path


def project_empty(base: Base, folder: Path, marker: Path) -> Path:
    path = folder / "empty.nnstudio"
    path.write_bytes(b"")
    return path


def project_binary(base: Base, folder: Path, marker: Path) -> Path:
    path = folder / "binary.nnstudio"
    path.write_bytes(b"\x00\xff\xfe" + random.Random(7).randbytes(4096))
    return path


CORPUS: dict[str, tuple[Builder, str]] = {  # name: (builder, a fragment the message must hold)
    "lambda_code": (lambda_code, "Lambda layers carry Python code"),
    "os_system": (os_system, "module 'os'"),
    "enable_unsafe_deserialization": (unsafe_deserialization, "function objects"),
    "tfsm_layer": (tfsm_layer, "TFSMLayer"),
    "zip_bomb": (zip_bomb, "zip bomb"),
    "path_traversal": (path_traversal, "'..'"),
    "absolute_member": (absolute_member, "absolute path"),
    "hdf5_renamed": (hdf5_renamed, "HDF5 file"),
    "truncated": (truncated, "truncated"),
    "random_bytes": (random_bytes, "not a zip archive"),
    "huge_dense": (huge_dense, "over the budget"),
    "weights_mismatch": (weights_mismatch, "dense_1: weight 0 has shape (64, 12)"),
    "hdf5_external_link": (hdf5_external_link, "external link"),
    "negative_units": (negative_units, "dense_1: units must be a positive integer. Received: units=-5"),
    "non_numeric_units": (non_numeric_units, "dense_1: units must be a positive integer"),
    "missing_config": (missing_config, "no config.json"),
    "project_non_json": (project_non_json, "not valid JSON"),
    "project_deeply_nested": (project_deeply_nested, "nested deeper"),
    "project_empty": (project_empty, "empty"),
    "project_binary": (project_binary, "not a text file"),
}


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr_lines: list[str]  # without -X importtime's lines
    imported: set[str]
    seconds: float
    peak_kb: int


def run_cli(args: list[str], cwd: Path) -> Run:
    """Run `python -X importtime -m nnstudio ARGS`, measuring its time and peak memory."""
    with tempfile.TemporaryDirectory() as folder:
        peak_file = Path(folder) / "peak"
        env = launcher_env(peak_file, TF_CPP_MIN_LOG_LEVEL="3")
        start = time.monotonic()
        result = subprocess.run(
            launcher_command(["-m", "nnstudio", *args], "-X", "importtime"),
            capture_output=True,
            cwd=cwd,
            env=env,
            timeout=120,
        )
        seconds = time.monotonic() - start
        peak_kb = read_peak_bytes(peak_file) // 1024
    stderr = result.stderr.decode("utf-8", "replace").splitlines()
    imported = {line.split("|")[-1].strip() for line in stderr if line.startswith("import time:")}
    lines = [line for line in stderr if not line.startswith("import time:")]
    return Run(result.returncode, result.stdout.decode("utf-8", "replace"), lines, imported, seconds, peak_kb)


def assert_refused(run: Run, fragment: str) -> None:
    assert run.returncode == 1, (run.returncode, run.stderr_lines[-5:])
    assert len(run.stderr_lines) == 1, run.stderr_lines[-10:]
    line = run.stderr_lines[0]
    assert line.startswith("nnstudio: error: ") and line.endswith(")"), line
    assert fragment in line, line
    assert "Traceback" not in line
    assert not {m for m in run.imported if m.split(".")[0] in ("keras", "tensorflow")}
    assert run.peak_kb < MEMORY_LIMIT_KB, f"peak memory {run.peak_kb / 1024:.0f} MB"


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_validate_refuses_hostile_file(case: str, base: Base, tmp_path: Path) -> None:
    builder, fragment = CORPUS[case]
    marker = tmp_path / "payload-ran"
    path = builder(base, tmp_path, marker)
    before = set(tmp_path.iterdir())
    run = run_cli(["validate", str(path)], tmp_path)
    assert_refused(run, fragment)
    assert run.stdout == ""
    assert not marker.exists()
    assert set(tmp_path.iterdir()) == before  # validate writes nothing


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_export_refuses_hostile_file_before_keras(case: str, base: Base, tmp_path: Path) -> None:
    builder, fragment = CORPUS[case]
    marker = tmp_path / "payload-ran"
    path = builder(base, tmp_path, marker)
    before = set(tmp_path.iterdir())
    out = tmp_path / "out.keras"
    run = run_cli(["export", str(path), "-o", str(out)], tmp_path)
    assert_refused(run, fragment)
    assert not marker.exists()
    assert not out.exists()
    assert set(tmp_path.iterdir()) == before  # no partial or temporary file left behind


def test_keras_written_file_passes_validate(base: Base, tmp_path: Path) -> None:
    run = run_cli(["validate", str(base.path)], tmp_path)
    assert run.returncode == 0, run.stderr_lines[-5:]
    assert run.stdout.startswith("ok: lesson.keras") and run.stdout.count("\n") == 1
    assert "1,994 (7.79 KB)" in run.stdout
    assert run.stderr_lines == []
    assert not {m for m in run.imported if m.split(".")[0] in ("keras", "tensorflow")}


def test_lambda_payload_is_live_code(base: Base, tmp_path: Path) -> None:
    """The corpus is no straw man: Keras itself, with safe_mode off, runs the Lambda payload."""
    marker = tmp_path / "payload-ran"
    path = lambda_code(base, tmp_path, marker)
    script = "import keras, sys\nkeras.saving.load_model(sys.argv[1], safe_mode=False)\n"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, capture_output=True, timeout=300, env=env)
    assert marker.read_text() == "ran"
