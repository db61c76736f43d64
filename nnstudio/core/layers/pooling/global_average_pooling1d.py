"""GlobalAveragePooling1D: the mean of each channel over all steps (`keras.layers.GlobalAveragePooling1D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.pooling._pooling import AVERAGE, global_pooling_type

LAYER = global_pooling_type(
    "GlobalAveragePooling1D",
    1,
    AVERAGE,
    "Averages each channel over all steps: one value per channel.",
    order=10,
    samples=(
        Sample({}, ((8, 3),)),
        Sample({"keepdims": True}, ((None, 3),)),
        Sample({"data_format": "channels_first"}, ((3, 8),)),
        Sample({}, ((8, 3, 3),), refused_at=""),
    ),
)
