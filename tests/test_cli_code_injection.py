"""A model name that carries code, end to end: `nnstudio code [--train]` writes scripts that run nothing of it.

The name `\"\"\"; __import__("os").system("touch PWNED"); \"\"\"` is a printable model name that
`validate` accepts in a `.keras` file and a `.nnstudio` project. Before the generators were safe
by construction, `python train.py --help` ran it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnstudio.core.project import dumps_project
from nnstudio.core.spec import ModelSpec, lesson_spec
from tests.core.test_keras_archive_corpus import lesson_config, lesson_weights, weights_bytes, write_keras

PAYLOAD = '"""; __import__("os").system("touch PWNED"); """'
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, env=ENV, cwd=cwd, timeout=300
    )


def hostile_files(folder: Path) -> list[Path]:
    project = folder / "named.nnstudio"
    spec = ModelSpec(name=PAYLOAD, layers=lesson_spec().layers, compile=lesson_spec().compile)
    project.write_text(dumps_project(spec), encoding="utf-8")
    config = lesson_config()
    config["config"]["name"] = PAYLOAD
    archive = write_keras(folder / "named.keras", config, weights_bytes(lesson_weights()))
    return [project, archive]


@pytest.mark.cli
@pytest.mark.engine
def test_generated_scripts_never_run_the_model_name(tmp_path: Path) -> None:
    for source in hostile_files(tmp_path):
        work = tmp_path / source.suffix[1:]
        work.mkdir()
        assert run("-m", "nnstudio", "validate", source, cwd=work).returncode == 0
        train_script, model_script = work / "train.py", work / "model.py"
        made = run("-m", "nnstudio", "code", "--train", source, "-o", train_script, cwd=work)
        assert made.returncode == 0, made.stderr
        made = run("-m", "nnstudio", "code", source, "-o", model_script, cwd=work)
        assert made.returncode == 0, made.stderr
        helped = run(train_script, "--help", cwd=work)
        assert helped.returncode == 0, helped.stderr[-2000:]
        assert "Trains the Keras model" in helped.stdout
        built = run(model_script, cwd=work)
        assert built.returncode == 0, built.stderr[-2000:]
        assert json.dumps(PAYLOAD)[1:-1] in built.stdout or PAYLOAD in built.stdout  # Keras prints the name
        assert not list(tmp_path.rglob("PWNED"))
