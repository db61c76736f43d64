"""ZeroPadding2D: a frame of zeros around an image (`keras.layers.ZeroPadding2D`)."""

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.reshaping._padding import zero_padding

LAYER = zero_padding(
    2,
    order=122,
    samples=(
        Sample({}, ((28, 28, 1),)),
        Sample({"padding": [[0, 2], [3, 1]]}, ((4, None, 3),)),
        Sample({"padding": [[2, 2], [0, 0]], "data_format": "channels_first"}, ((3, 4, 5),)),
        Sample({}, ((4, 5),), refused_at=""),
        Sample({"padding": [[1, 1], [1, -2]]}, ((4, 5, 3),), refused_at="padding"),
    ),
)
