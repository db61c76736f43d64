"""AveragePooling1D: the mean of each window along one axis (`keras.layers.AveragePooling1D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.pooling._pooling import AVERAGE, pooling_type

LAYER = pooling_type(
    "AveragePooling1D",
    1,
    AVERAGE,
    "Averages each window along the steps: the sequence shrinks, channels stay.",
    order=4,
    samples=(
        Sample({}, ((8, 3),)),
        Sample({"pool_size": [3], "strides": [1], "padding": "same"}, ((5, 2),)),
        Sample({"pool_size": 4, "strides": 2}, ((9, 1),)),
        Sample({"data_format": "channels_first"}, ((3, 6),)),
        Sample({}, ((None, 2),)),
        Sample({"pool_size": [4]}, ((3, 2),), refused_at="pool_size"),
        Sample({}, ((8, 3, 3),), refused_at=""),
    ),
)
