"""ZeroPadding1D: zeros before and after a sequence (`keras.layers.ZeroPadding1D`)."""

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.reshaping._padding import zero_padding

LAYER = zero_padding(
    1,
    order=121,
    samples=(
        Sample({}, ((5, 3),)),
        Sample({"padding": [2, 0]}, ((None, 4),)),
        Sample({"padding": [0, 3], "data_format": "channels_first"}, ((2, 6),)),
        Sample({}, ((5,),), refused_at=""),
        Sample({"padding": [1, -1]}, ((5, 3),), refused_at="padding"),
    ),
)
