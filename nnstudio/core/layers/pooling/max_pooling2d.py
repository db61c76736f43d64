"""MaxPooling2D: the largest value of each window of an image (`keras.layers.MaxPooling2D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.pooling._pooling import MAX, pooling_type

LAYER = pooling_type(
    "MaxPooling2D",
    2,
    MAX,
    "Keeps the largest value of each window of rows and columns: the maps shrink, channels stay.",
    order=2,
    samples=(
        Sample({}, ((8, 8, 3),)),
        Sample({"pool_size": [3, 3], "strides": [2, 2]}, ((9, 8, 2),)),
        Sample({"pool_size": [2, 3], "padding": "same"}, ((5, 7, 1),)),
        Sample({"pool_size": 2, "strides": [1, 2]}, ((5, 5, 2),)),
        Sample({"data_format": "channels_first"}, ((3, 6, 7),)),
        Sample({"pool_size": [7, 7], "padding": "same"}, ((5, 5, 2),)),
        Sample({}, ((None, None, 3),)),
        Sample({"pool_size": [7, 7]}, ((5, 5, 2),), refused_at="pool_size"),
        Sample({"pool_size": [2, 2, 2]}, ((5, 5, 2),), refused_at="pool_size"),
        Sample({"padding": "causal"}, ((5, 5, 2),), refused_at="padding"),
        Sample({}, ((8, 8, 3, 3),), refused_at=""),
    ),
)
