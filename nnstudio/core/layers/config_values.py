"""Checks for values in a `.keras` file's layer configs, and the keys every layer writes.

A layer type lists the config keys Keras writes for it beyond its parameters (`extra_config`),
each with the check its value must pass: Keras's default, or a value that does not change the
model. The checks are plain predicates over JSON values; nothing in a config is ever run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from nnstudio.core.file_values import is_finite_number
from nnstudio.core.layers.names import (
    INITIALIZER_AXES,
    INITIALIZER_SETTINGS,
    INITIALIZERS,
    VARIANCE_SCALING_DISTRIBUTIONS,
    VARIANCE_SCALING_MODES,
)

ConfigCheck = Callable[[Any], bool]

_OBJECT_KEYS = {"module", "class_name", "config", "registered_name", "shared_object_id"}
_FLOAT32_POLICY_CLASSES = {"DTypePolicy", "FloatDTypePolicy"}
_INITIALIZER_NAMES = {keras_class: snake for snake, keras_class in INITIALIZERS.items()}
# A Constant initializer whose value one of them gives (Keras's `get("constant")` cannot make one by name)
_CONSTANT_NAMES = {0.0: "zeros", 1.0: "ones"}


def is_plain(value: Any) -> bool:
    """A JSON scalar, or a short list of scalars."""
    if isinstance(value, list):
        return len(value) <= 64 and all(v is None or isinstance(v, (int, float, str, bool)) for v in value)
    return value is None or isinstance(value, (int, float, str, bool))


def is_null(value: Any) -> bool:
    return value is None


def is_false(value: Any) -> bool:
    return value is False


def is_true(value: Any) -> bool:
    return value is True


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_seed(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and is_finite_number(value))


def is_last_axis(value: Any) -> bool:
    return value == -1 or value == [-1]


def is_channels_last(value: Any) -> bool:
    return value in ("channels_last", None)


def is_float32(value: Any) -> bool:
    """`"float32"` or Keras's serialized float32 dtype policy."""
    if value == "float32":
        return True
    return (
        isinstance(value, dict)
        and value.get("module") == "keras"
        and value.get("class_name") in _FLOAT32_POLICY_CLASSES
        and value.get("config") == {"name": "float32"}
        and set(value) <= _OBJECT_KEYS
    )


def is_initializer(value: Any) -> bool:
    return initializer_name(value) is not None


def initializer_name(value: Any) -> str | None:
    """The snake-case name of a serialized Keras initializer, or None if it is not one."""
    if isinstance(value, str):
        return value if value in INITIALIZERS else None
    if not isinstance(value, dict) or value.get("module") != "keras.initializers":
        return None
    if not set(value) <= _OBJECT_KEYS:
        return None
    config = value.get("config", {})
    if not isinstance(config, dict) or not all(is_plain(v) for v in config.values()):
        return None
    if value.get("class_name") == "Constant":  # EfficientNetV2's bias: Constant(0.0) fills as zeros does
        constant = config.get("value")
        if not isinstance(constant, (int, float)) or isinstance(constant, bool) or set(config) != {"value"}:
            return None
        return _CONSTANT_NAMES.get(float(constant))
    return _INITIALIZER_NAMES.get(value.get("class_name"))  # type: ignore[arg-type]


def initializer_value(value: Any) -> str | dict[str, Any] | None:
    """A serialized Keras initializer as the spec holds it: its snake-case name when its settings
    are Keras's defaults, else `{"class_name", "config"}` with the settings that differ; None when
    it is no initializer nnstudio knows, or has settings nnstudio cannot hold."""
    name = initializer_name(value)
    if name is None or isinstance(value, str) or value.get("class_name") == "Constant":
        return name
    config = value.get("config", {})
    configured = {"class_name": value["class_name"], "config": config}
    if initializer_problem(configured) is not None:
        return None
    return held_initializer(configured)


def held_initializer(value: Mapping[str, Any]) -> str | dict[str, Any]:
    """A sound configured initializer as the spec holds it (see `initializer_value`)."""
    class_name = value["class_name"]
    defaults = INITIALIZER_SETTINGS[class_name]
    changed = {
        key: setting
        for key, setting in value["config"].items()
        if key in defaults and not same_settings({key: setting}, {key: defaults[key]})
    }
    if not changed:
        return _INITIALIZER_NAMES[class_name]
    return {"class_name": class_name, "config": changed}


def initializer_problem(value: Any) -> str | None:
    """Why `value` is not a configured initializer `{"class_name", "config"}` nnstudio can hold (a
    sentence without the parameter's name), or None."""
    if not isinstance(value, dict) or set(value) != {"class_name", "config"}:
        return "an initializer is a name or {class_name, config}"
    class_name, config = value["class_name"], value["config"]
    if class_name not in INITIALIZER_SETTINGS:
        return f"nnstudio knows no initializer {str(class_name)[:40]!r}"
    if not isinstance(config, dict):
        return f"{class_name}'s config must be an object"
    defaults = INITIALIZER_SETTINGS[class_name]
    for key, setting in config.items():
        if key in INITIALIZER_AXES:
            if setting is not None:
                return f"{class_name}'s {key} must be None"
        elif key not in defaults:
            return f"{class_name} has no setting {str(key)[:40]!r}"
        elif key == "seed":
            if not is_seed(setting):
                return f"{class_name}'s seed must be None or an integer. Received: seed={setting!r}"[:200]
        elif key == "mode":
            if setting not in VARIANCE_SCALING_MODES:
                return f"Invalid `mode` argument: {str(setting)[:40]}. Expected one of {VARIANCE_SCALING_MODES}"
        elif key == "distribution":
            if setting not in VARIANCE_SCALING_DISTRIBUTIONS:
                return (
                    f"Invalid `distribution` argument: {str(setting)[:40]}. "
                    f"Expected one of {VARIANCE_SCALING_DISTRIBUTIONS}"
                )
        elif not (is_number(setting) and is_finite_number(setting)):
            return f"{class_name}'s {key} must be a finite number. Received: {key}={str(setting)[:40]}"
    if class_name == "VarianceScaling" and config.get("scale", 1.0) <= 0:
        return f"Argument `scale` must be positive float. Received: scale={config['scale']}"
    return None


def object_name(value: Any, module: str, table: Mapping[str, tuple[str, dict[str, Any]]]) -> str | None:
    """The name in `table` of a serialized Keras object from `module` (a regularizer or constraint)
    whose settings are the ones that name gives; None when it is anything else."""
    if not isinstance(value, dict) or value.get("module") != module or not set(value) <= _OBJECT_KEYS:
        return None
    config = value.get("config", {})
    if not isinstance(config, dict):
        return None
    for name, (keras_class, settings) in table.items():
        if value.get("class_name") == keras_class and same_settings(config, settings):
            return name
    return None


def same_settings(found: Mapping[str, Any], expected: Mapping[str, Any]) -> bool:
    """Equal settings, numbers compared at float32 precision (Keras writes 0.01 as 0.00999999977...)."""
    if set(found) != set(expected):
        return False
    for key, value in expected.items():
        other = found[key]
        if is_number(value) and is_number(other):
            if not math.isclose(float(value), float(other), rel_tol=1e-6):
                return False
        elif value != other or type(value) is not type(other):
            return False
    return True


# The keys Keras writes for every layer, with the value nnstudio accepts; a type's parameters and
# extra keys come first (an Input's `dtype` is a parameter, not a layer dtype policy).
COMMON_CONFIG: dict[str, ConfigCheck] = {"trainable": is_true, "dtype": is_float32}

# What a refused value of a common or extra key is called, by the end of its key.
UNSUPPORTED_ENDINGS = ("regularizer", "constraint")
