"""MaxPooling3D: the largest value of each window of a volume (`keras.layers.MaxPooling3D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.pooling._pooling import MAX, pooling_type

LAYER = pooling_type(
    "MaxPooling3D",
    3,
    MAX,
    "Keeps the largest value of each window of a volume: depth, rows and columns shrink.",
    order=3,
    samples=(
        Sample({}, ((4, 4, 4, 2),)),
        Sample({"pool_size": [1, 2, 2], "strides": [1, 1, 2], "padding": "same"}, ((3, 5, 5, 1),)),
        Sample({"data_format": "channels_first", "pool_size": 3}, ((2, 6, 6, 6),)),
        Sample({}, ((None, 4, 4, 2),)),
        Sample({"pool_size": [5, 1, 1]}, ((4, 4, 4, 2),), refused_at="pool_size"),
        Sample({}, ((4, 4, 2),), refused_at=""),
    ),
)
