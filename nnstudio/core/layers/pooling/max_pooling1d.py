"""MaxPooling1D: the largest value of each window along one axis (`keras.layers.MaxPooling1D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.pooling._pooling import MAX, pooling_type

LAYER = pooling_type(
    "MaxPooling1D",
    1,
    MAX,
    "Keeps the largest value of each window along the steps: the sequence shrinks, channels stay.",
    order=1,
    samples=(
        Sample({}, ((8, 3),)),
        Sample({"pool_size": 3, "strides": 1}, ((7, 2),)),
        Sample({"pool_size": [2], "padding": "same"}, ((7, 2),)),
        Sample({"pool_size": [3], "strides": [2], "data_format": "channels_first"}, ((2, 9),)),
        Sample({}, ((None, 4),)),
        Sample({}, ((6, None),)),
        Sample({"pool_size": [9]}, ((8, 3),), refused_at="pool_size"),
        Sample({"pool_size": [0]}, ((8, 3),), refused_at="pool_size"),
        Sample({"strides": [0]}, ((8, 3),), refused_at="strides"),
        Sample({}, ((8,),), refused_at=""),
    ),
)
