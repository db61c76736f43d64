"""Write a spec (and optionally its weights) as a `.keras` file, atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from nnstudio.core.spec import ModelSpec
from nnstudio.keras_io.build import Weights, build_model


def export_keras(spec: ModelSpec, path: str | Path, weights: Weights | None = None) -> None:
    """Build `spec` with Keras and save it to `path` (which must end in `.keras`).

    Keras writes a temporary file in the same folder, which then replaces `path` in one rename:
    `path` is always absent, the old file or the complete new one, never a partial file.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"a Keras model file must end in .keras. Received: {path.name}")
    model = build_model(spec, weights)
    # Build the optimizer's (zero) state too: plain Keras then loads the file without warning
    # that the saved optimizer has fewer variables than the one it compiles.
    model.optimizer.build(model.trainable_variables)
    save_model_atomically(model, path)


def save_model_atomically(model: object, path: Path) -> None:
    """`keras.saving.save_model` into a sibling temporary file, flushed to disk, then renamed."""
    import keras

    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.keras", dir=path.parent)
    os.close(fd)
    temp = Path(name)
    try:
        keras.saving.save_model(model, temp, overwrite=True)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask, read without changing it (Linux); 0o022 where it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022
