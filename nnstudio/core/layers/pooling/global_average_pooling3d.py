"""GlobalAveragePooling3D: the mean of each channel over a whole volume (`keras.layers.GlobalAveragePooling3D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.pooling._pooling import AVERAGE, global_pooling_type

LAYER = global_pooling_type(
    "GlobalAveragePooling3D",
    3,
    AVERAGE,
    "Averages each channel over a volume: one value per channel.",
    order=12,
    samples=(
        Sample({}, ((3, 4, 4, 2),)),
        Sample({"keepdims": True}, ((3, 4, 4, 2),)),
        Sample({"data_format": "channels_first"}, ((2, 3, 4, 4),)),
        Sample({}, ((4, 4, 2),), refused_at=""),
    ),
)
