"""Layer types, one module each, grouped in family packages as Keras groups them.

`registry` finds them; everything else in nnstudio reads the registry (see README, "Adding a
layer type").
"""

from nnstudio.core.layers.base import (
    Family,
    LayerError,
    LayerType,
    Marker,
    Params,
    Sample,
    Shape,
    Variable,
    format_shape,
)
from nnstudio.core.layers.naming import to_snake_case
from nnstudio.core.layers.params import REQUIRED, Param, ParamKind
from nnstudio.core.layers.registry import all_types, by_config_class, layer_type, layer_types, types_by_family

__all__ = [
    "REQUIRED",
    "Family",
    "LayerError",
    "LayerType",
    "Marker",
    "Param",
    "ParamKind",
    "Params",
    "Sample",
    "Shape",
    "Variable",
    "all_types",
    "by_config_class",
    "format_shape",
    "layer_type",
    "layer_types",
    "to_snake_case",
    "types_by_family",
]
