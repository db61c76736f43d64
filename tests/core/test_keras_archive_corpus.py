"""Builders for `.keras` files written without Keras, mirroring exactly what Keras 3.15 writes.

The config layout copies a Keras-written `config.json` (see INTERFACES facts); the property test
checks the reader against files that Keras itself writes. Hostile and fuzz tests mutate these.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import marshal
import zipfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from nnstudio.core.catalog import INITIALIZERS

_POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def initializer(snake: str) -> dict[str, Any]:
    """A serialized Keras initializer as Keras writes it."""
    config: dict[str, Any] = {}
    if snake.startswith(("glorot", "he_", "lecun")):
        config = {"seed": None, "input_axes": None, "output_axes": None}
    return {
        "module": "keras.initializers",
        "class_name": INITIALIZERS[snake],
        "config": config,
        "registered_name": None,
    }


def layer_entry(class_name: str, name: str, **params: Any) -> dict[str, Any]:
    """One entry of `config.layers` for a catalog class, with Keras's default extra keys."""
    config: dict[str, Any] = {"name": name, "trainable": True, "dtype": copy.deepcopy(_POLICY)}
    if class_name == "Dense":
        config |= {
            "units": params.get("units", 32),
            "activation": params.get("activation", "linear"),
            "use_bias": params.get("use_bias", True),
            "kernel_initializer": initializer(params.get("kernel_initializer", "glorot_uniform")),
            "bias_initializer": initializer(params.get("bias_initializer", "zeros")),
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
            "quantization_config": None,
        }
    elif class_name == "Activation":
        config["activation"] = params.get("activation", "relu")
    elif class_name == "Dropout":
        config |= {"rate": params.get("rate", 0.5), "seed": None, "noise_shape": None}
    elif class_name == "BatchNormalization":
        config |= {
            "axis": -1,
            "momentum": params.get("momentum", 0.99),
            "epsilon": params.get("epsilon", 0.001),
            "center": params.get("center", True),
            "scale": params.get("scale", True),
            "beta_initializer": initializer("zeros"),
            "gamma_initializer": initializer("ones"),
            "moving_mean_initializer": initializer("zeros"),
            "moving_variance_initializer": initializer("ones"),
            "beta_regularizer": None,
            "gamma_regularizer": None,
            "beta_constraint": None,
            "gamma_constraint": None,
            "synchronized": False,
            "renorm": False,
            "renorm_clipping": None,
            "renorm_momentum": 0.99,
        }
    elif class_name == "LayerNormalization":
        config |= {
            "axis": [-1],
            "epsilon": params.get("epsilon", 0.001),
            "center": params.get("center", True),
            "scale": params.get("scale", True),
            "rms_scaling": False,
            "beta_initializer": initializer("zeros"),
            "gamma_initializer": initializer("ones"),
            "beta_regularizer": None,
            "gamma_regularizer": None,
            "beta_constraint": None,
            "gamma_constraint": None,
        }
    elif class_name == "Flatten":
        config["data_format"] = "channels_last"
    elif class_name == "Reshape":
        config["target_shape"] = params.get("target_shape", [4, 5])
    else:
        config |= params
    return {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None}


def input_entry(shape: list[int], name: str = "input_layer") -> dict[str, Any]:
    return {
        "module": "keras.layers",
        "class_name": "InputLayer",
        "config": {
            "batch_shape": [None, *shape],
            "dtype": "float32",
            "sparse": False,
            "ragged": False,
            "name": name,
            "optional": False,
        },
        "registered_name": None,
    }


def model_config(
    input_shape: list[int], layers: list[dict[str, Any]], compile_config: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A whole `config.json` document for a Sequential model."""
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "trainable": True,
            "dtype": copy.deepcopy(_POLICY),
            "layers": [input_entry(input_shape), *layers],
            "build_input_shape": [None, *input_shape],
        },
        "registered_name": None,
        "build_config": {"input_shape": [None, *input_shape]},
        "compile_config": compile_config or {},
    }


def adam_compile(lr: float = 0.0010000000474974513, loss: Any = "mean_squared_error", metrics: Any = None) -> dict:
    return {
        "optimizer": {
            "module": "keras.optimizers",
            "class_name": "Adam",
            "config": {"name": "adam", "learning_rate": lr, "weight_decay": None, "use_ema": False},
            "registered_name": None,
        },
        "loss": loss,
        "loss_weights": None,
        "metrics": metrics,
        "weighted_metrics": None,
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }


def lesson_config() -> dict[str, Any]:
    """The lesson's model: Input 20, Dense 64 relu, Dense 10; MSE and Adam."""
    return model_config(
        [20],
        [layer_entry("Dense", "dense", units=64, activation="relu"), layer_entry("Dense", "dense_1", units=10)],
        adam_compile(),
    )


def lesson_weights() -> dict[str, list[tuple[int, ...]]]:
    return {"dense": [(20, 64), (64,)], "dense_1": [(64, 10), (10,)]}


def weights_bytes(groups: dict[str, list[tuple[int, ...]]], dtype: str = "float32", optimizer: bool = True) -> bytes:
    """A `model.weights.h5` laid out as Keras does, with the given dataset shapes per layer group."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        layers = h5.create_group("layers")
        for group, shapes in groups.items():
            variables = layers.create_group(group).create_group("vars")
            for i, shape in enumerate(shapes):
                variables.create_dataset(str(i), data=np.zeros(shape, dtype=dtype))
        if optimizer:
            variables = h5.create_group("optimizer").create_group("vars")
            variables.create_dataset("0", data=np.int64(0))
            variables.create_dataset("1", data=np.float32(0.001))
        h5.create_group("vars")
    return buffer.getvalue()


def write_keras(
    path: Path,
    config: dict[str, Any] | bytes | None,
    weights: bytes | None,
    extra: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_STORED,
) -> Path:
    """Zip a `.keras` file from its parts (None leaves a part out)."""
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1", "date_saved": "2026-01-01@00:00:00"}))
        if config is not None:
            archive.writestr("config.json", config if isinstance(config, bytes) else json.dumps(config))
        if weights is not None:
            archive.writestr("model.weights.h5", weights)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def write_lesson(path: Path) -> Path:
    """A sound `.keras` file of the lesson's model."""
    return write_keras(path, lesson_config(), weights_bytes(lesson_weights()))


def lambda_entry(marker: Path) -> dict[str, Any]:
    """A Lambda layer as Keras serializes one: its function's bytecode, marshalled and base64-encoded."""
    source = f"lambda x: (open({str(marker)!r}, 'w').write('ran'), x)[1]"
    function = eval(source)  # only to obtain a code object; it is never called here
    code = base64.b64encode(marshal.dumps(function.__code__)).decode("ascii")
    return {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {
            "name": "lambda",
            "trainable": True,
            "dtype": copy.deepcopy(_POLICY),
            "function": {"class_name": "__lambda__", "config": {"code": code, "defaults": None, "closure": None}},
            "arguments": {},
        },
        "registered_name": None,
    }


def test_lesson_builder_round_trips(tmp_path: Path) -> None:
    """The builders make a file the reader accepts (the sound baseline every mutation starts from)."""
    from nnstudio.core.keras_archive import read_keras_config
    from nnstudio.core.weights_check import check_keras_weights

    path = write_lesson(tmp_path / "lesson.keras")
    spec = read_keras_config(path)
    check_keras_weights(path, spec)
    assert [layer.name for layer in spec.layers] == ["input_layer", "dense", "dense_1"]
