"""GlobalMaxPooling2D: the largest value of each channel over a whole image (`keras.layers.GlobalMaxPooling2D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.pooling._pooling import MAX, global_pooling_type

LAYER = global_pooling_type(
    "GlobalMaxPooling2D",
    2,
    MAX,
    "Keeps the largest value of each feature map: one value per channel.",
    order=8,
    samples=(
        Sample({}, ((6, 6, 4),)),
        Sample({"keepdims": True}, ((6, 5, 4),)),
        Sample({"data_format": "channels_first"}, ((4, 6, 6),)),
        Sample({"data_format": "channels_first", "keepdims": True}, ((2, 3, 3),)),
        Sample({}, ((None, None, 3),)),
        Sample({}, ((6, 4),), refused_at=""),
    ),
)
