"""keras.applications models (and keras.io examples' models) written by Keras itself
(`weights=None`, `model.save`), on demand.

One child process imports Keras once and writes each requested architecture's `.keras` file and
Keras's own `model.summary()` text (76 columns, as `nnstudio summary` prints in a pipe), so that no
model stays in the test process and TensorFlow starts once per session. With `random_weights`
every weight is drawn from a normal distribution first (Keras's initial zeros and ones would make
a bit-equality check of biases and batch statistics say little).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Every architecture in Keras 3.15's keras.applications (`test_the_corpus_is_every_application`
# checks the installed Keras against this list).
APPLICATIONS = (
    "ConvNeXtBase",
    "ConvNeXtLarge",
    "ConvNeXtSmall",
    "ConvNeXtTiny",
    "ConvNeXtXLarge",
    "DenseNet121",
    "DenseNet169",
    "DenseNet201",
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "EfficientNetV2B0",
    "EfficientNetV2B1",
    "EfficientNetV2B2",
    "EfficientNetV2B3",
    "EfficientNetV2L",
    "EfficientNetV2M",
    "EfficientNetV2S",
    "InceptionResNetV2",
    "InceptionV3",
    "MobileNet",
    "MobileNetV2",
    "MobileNetV3Large",
    "MobileNetV3Small",
    "NASNetLarge",
    "NASNetMobile",
    "ResNet101",
    "ResNet101V2",
    "ResNet152",
    "ResNet152V2",
    "ResNet50",
    "ResNet50V2",
    "VGG16",
    "VGG19",
    "Xception",
)

WRITER = """
import json, sys
import numpy as np
import keras

for line in sys.stdin:
    request = json.loads(line)
    if request["name"] == "*":
        names = [n for n in dir(keras.applications) if n[:1].isupper() and callable(getattr(keras.applications, n))]
        print(json.dumps({"names": names}), flush=True)
        continue
    if request.get("example"):
        from tests.keras_io import keras_io_examples
        model = getattr(keras_io_examples, request["name"])()
    else:
        model = getattr(keras.applications, request["name"])(weights=None)
    if request["random_weights"]:
        rng = np.random.default_rng(len(request["name"]))
        for layer in model.layers:
            layer.set_weights([rng.standard_normal(w.shape).astype(w.dtype) for w in layer.get_weights()])
    model.save(request["path"])
    lines = []
    model.summary(print_fn=lines.append, line_length=76)
    listed = model.layers if isinstance(model, keras.Sequential) else model._operations  # what summary() lists
    rows = [[op.name, type(op).__name__] for op in listed]
    print(json.dumps({"path": request["path"], "text": "\\n".join(lines).rstrip("\\n"),
                      "params": model.count_params(), "rows": rows}), flush=True)
    del model
    keras.backend.clear_session()
"""


class KerasApplications:
    """The child process that writes keras.applications models; `written(name)` gives (and keeps)
    the file's path, Keras's summary text, parameter count and summary rows (name, class)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.cache: dict[str, dict[str, Any]] = {}
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "80"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", WRITER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
            env=env,
        )

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"the Keras writer ended (exit {self.process.wait()}) on {request}")
            if line.startswith("{"):
                return json.loads(line)

    def installed(self) -> list[str]:
        """The architectures the installed Keras's keras.applications offers."""
        return self._ask({"name": "*"})["names"]

    def written(self, name: str, random_weights: bool = False, example: bool = False) -> dict[str, Any]:
        """`{"path", "text", "params", "rows"}` of application `name` (with `example`: the model of
        `keras_io_examples.<name>()`), written once per session."""
        if name not in self.cache or not Path(self.cache[name]["path"]).exists():
            path = self.folder / f"{name}.keras"
            request = {"name": name, "path": str(path), "random_weights": random_weights, "example": example}
            self.cache[name] = self._ask(request)
        return self.cache[name]

    def discard(self, name: str) -> None:
        """Delete the file of `name` (the large ones are not kept for the whole session)."""
        if name in self.cache:
            Path(self.cache.pop(name)["path"]).unlink(missing_ok=True)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
