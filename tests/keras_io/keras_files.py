"""Helpers for tests that start from a model Keras made: save it, read it back with nnstudio's
reader (config and weights checked), and capture what Keras's `model.summary()` prints."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import Any

from nnstudio.core.keras_archive import read_keras_config
from nnstudio.core.spec import ModelSpec
from nnstudio.core.weights_check import check_keras_weights


def saved_and_read(model: Any, path: Path) -> ModelSpec:
    """Save `model` with Keras to `path` and read it back as nnstudio opens a file."""
    model.save(path)
    spec = read_keras_config(path)
    check_keras_weights(path, spec)
    return spec


def keras_printed_summary(model: Any, columns: int = 80) -> str:
    """What `model.summary()` prints on a terminal `columns` wide (a pipe counts as 80)."""
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(columns)
    try:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            model.summary()
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous
    return printed.getvalue().rstrip("\n")
