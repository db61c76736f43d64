"""GlobalMaxPooling1D: the largest value of each channel over all steps (`keras.layers.GlobalMaxPooling1D`)."""

from __future__ import annotations

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.pooling._pooling import MAX, global_pooling_type

LAYER = global_pooling_type(
    "GlobalMaxPooling1D",
    1,
    MAX,
    "Keeps the largest value of each channel over all steps: one value per channel.",
    order=7,
    samples=(
        Sample({}, ((8, 3),)),
        Sample({"keepdims": True}, ((8, 3),)),
        Sample({"data_format": "channels_first"}, ((3, 8),)),
        Sample({"data_format": "channels_first", "keepdims": True}, ((3, None),)),
        Sample({}, ((None, 5),)),
        Sample({}, ((8,),), refused_at=""),
        Sample({}, ((8, 8, 3),), refused_at=""),
    ),
)
