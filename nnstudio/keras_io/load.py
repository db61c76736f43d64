"""Load a `.keras` file: its checked config as a spec and its checked weights, without Keras parsing it."""

from __future__ import annotations

from pathlib import Path

from nnstudio.core.spec import ModelSpec
from nnstudio.keras_io.build import Weights


def load_keras(path: str | Path) -> tuple[ModelSpec, Weights]:
    """The spec and the weights (by layer name, in Keras's `get_weights()` order) of the `.keras` file at `path`.

    The archive's config and weights are checked by the core reader (no Keras, nothing executed;
    ArchiveError on a refused file), and the weights are then read from the checked HDF5 file.
    Keras never deserialises the file's config: whatever it holds beyond what nnstudio checked
    (build shapes, initializer settings, seeds) cannot make Keras allocate, compute or run
    anything. Models are built from the spec (`build_model`), whose parameter budget was checked,
    with the file's weights in place of their initializers.
    """
    from nnstudio.core.keras_archive import read_keras_config
    from nnstudio.core.weights_check import read_keras_weights

    path = Path(path)
    spec = read_keras_config(path)
    return spec, read_keras_weights(path, spec)
