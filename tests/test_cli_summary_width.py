"""`nnstudio summary` sizes its table to the terminal as Keras's `model.summary()` does: the same
text at every width, for a Sequential model and for a functional one with a Connected to column."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.cli

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = (44, 60, 100, 120, 200)

# Keras writes the two models and prints each one's summary at every width (COLUMNS is read per call).
KERAS_PRINTS = """
import contextlib, io, json, os, sys
from tests.keras_io.keras_io_examples import mnist_convnet, toy_resnet
folder, widths = sys.argv[1], [int(w) for w in sys.argv[2].split(",")]
printed = {}
for name, model in (("mnist_convnet", mnist_convnet()), ("toy_resnet", toy_resnet())):
    model.save(f"{folder}/{name}.keras")
    for width in widths:
        os.environ["COLUMNS"] = str(width)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            model.summary()
        printed[f"{name}@{width}"] = out.getvalue()
print(json.dumps(printed))
"""


def test_summary_follows_the_terminal_width_as_keras_does(tmp_path: Path) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    keras = subprocess.run(
        [sys.executable, "-c", KERAS_PRINTS, str(tmp_path), ",".join(map(str, WIDTHS))],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert keras.returncode == 0, keras.stderr[-2000:]
    printed = json.loads(keras.stdout.strip().splitlines()[-1])
    widths_seen = set()
    for key, expected in printed.items():
        name, width = key.split("@")
        ours = subprocess.run(
            [sys.executable, "-m", "nnstudio", "summary", str(tmp_path / f"{name}.keras")],
            capture_output=True,
            text=True,
            env={**env, "COLUMNS": width},
            cwd=ROOT,
            timeout=120,
        )
        assert ours.returncode == 0, ours.stderr
        assert ours.stdout == expected, f"{key}:\n{ours.stdout}\n!=\n{expected}"
        widths_seen.add(max(len(line) for line in ours.stdout.splitlines()))
    assert len(widths_seen) >= 4, "the table's width follows the terminal"
