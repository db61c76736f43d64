"""GlobalMaxPooling3D: the largest value of each channel over a whole volume (`keras.layers.GlobalMaxPooling3D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.pooling._pooling import MAX, global_pooling_type

LAYER = global_pooling_type(
    "GlobalMaxPooling3D",
    3,
    MAX,
    "Keeps the largest value of each channel over a volume: one value per channel.",
    order=9,
    samples=(
        Sample({}, ((3, 4, 4, 2),)),
        Sample({"keepdims": True}, ((3, 4, 4, 2),)),
        Sample({"data_format": "channels_first", "keepdims": True}, ((2, 3, 4, 4),)),
        Sample({}, ((3, 4, 2),), refused_at=""),
    ),
)
