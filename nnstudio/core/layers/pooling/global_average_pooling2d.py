"""GlobalAveragePooling2D: the mean of each channel over a whole image (`keras.layers.GlobalAveragePooling2D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.pooling._pooling import AVERAGE, global_pooling_type

LAYER = global_pooling_type(
    "GlobalAveragePooling2D",
    2,
    AVERAGE,
    "Averages each feature map: one value per channel (the usual end of a convolutional stack).",
    order=11,
    samples=(
        Sample({}, ((6, 6, 4),)),
        Sample({"keepdims": True}, ((6, 5, 4),)),
        Sample({"data_format": "channels_first"}, ((4, 6, 6),)),
        Sample({"data_format": "channels_first", "keepdims": True}, ((2, None, 3),)),
        Sample({}, ((None, None, 3),)),
        Sample({}, ((6, 4),), refused_at=""),
    ),
)
