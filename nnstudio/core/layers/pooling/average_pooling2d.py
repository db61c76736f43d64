"""AveragePooling2D: the mean of each window of an image (`keras.layers.AveragePooling2D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.pooling._pooling import AVERAGE, pooling_type

LAYER = pooling_type(
    "AveragePooling2D",
    2,
    AVERAGE,
    "Averages each window of rows and columns: the maps shrink, channels stay.",
    order=5,
    samples=(
        Sample({}, ((8, 8, 3),)),
        Sample({"pool_size": [3, 3], "strides": [1, 1], "padding": "same"}, ((5, 6, 2),)),
        Sample({"pool_size": [2, 4], "strides": 2}, ((8, 9, 1),)),
        Sample({"data_format": "channels_first", "padding": "same"}, ((2, 5, 5),)),
        Sample({}, ((None, 6, 2),)),
        Sample({"pool_size": [3, 3]}, ((2, 6, 2),), refused_at="pool_size"),
        Sample({"strides": [0, 1]}, ((6, 6, 2),), refused_at="strides"),
        Sample({}, ((8, 8),), refused_at=""),
    ),
)
