"""AveragePooling3D: the mean of each window of a volume (`keras.layers.AveragePooling3D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.pooling._pooling import AVERAGE, pooling_type

LAYER = pooling_type(
    "AveragePooling3D",
    3,
    AVERAGE,
    "Averages each window of a volume: depth, rows and columns shrink.",
    order=6,
    samples=(
        Sample({}, ((4, 4, 4, 2),)),
        Sample({"pool_size": [2, 1, 2], "padding": "same", "strides": 1}, ((3, 3, 3, 1),)),
        Sample({"data_format": "channels_first"}, ((2, 4, 6, 4),)),
        Sample({"pool_size": [2, 2, 5]}, ((4, 4, 4, 2),), refused_at="pool_size"),
        Sample({}, ((4, 4, 4),), refused_at=""),
    ),
)
