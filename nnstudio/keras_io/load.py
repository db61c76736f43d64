"""Load a `.keras` file: check it without running anything, then let Keras read its weights."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from nnstudio.core.spec import ModelSpec
from nnstudio.keras_io.build import Weights, layer_weights


def load_keras(path: str | Path) -> tuple[ModelSpec, Weights]:
    """The spec and the weights (by layer name) of the `.keras` file at `path`.

    The archive's config and weights are checked by the core reader first (no Keras, nothing
    executed; ArchiveError on a refused file); only then does Keras load it, in safe mode and
    without compiling. The spec keeps the file's layer names and compile settings.
    """
    from nnstudio.core.keras_archive import read_keras_config
    from nnstudio.core.weights_check import check_keras_weights

    path = Path(path)
    spec = read_keras_config(path)
    check_keras_weights(path, spec)

    import keras

    if path.suffix == ".keras":
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
    else:  # Keras goes by the name: give it a copy called .keras
        with tempfile.TemporaryDirectory(prefix="nnstudio-load-") as folder:
            copy = Path(folder) / "model.keras"
            shutil.copyfile(path, copy)
            model = keras.saving.load_model(copy, safe_mode=True, compile=False)
    weights = layer_weights(model)
    names = [layer.name for layer in spec.layers[1:]]
    if list(weights) != names:
        raise ValueError(f"Keras read layers {list(weights)} but the file's config lists {names}")
    return spec, weights
