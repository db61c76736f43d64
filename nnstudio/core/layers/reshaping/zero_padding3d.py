"""ZeroPadding3D: zeros around a volume (`keras.layers.ZeroPadding3D`)."""

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.reshaping._padding import zero_padding

LAYER = zero_padding(
    3,
    order=123,
    samples=(
        Sample({}, ((2, 3, 4, 1),)),
        Sample({"padding": [[0, 1], [2, 0], [1, 1]]}, ((None, 3, 4, 2),)),
        Sample({"padding": [[1, 1], [0, 0], [2, 2]], "data_format": "channels_first"}, ((2, 3, 4, 5),)),
        Sample({}, ((4, 5, 3),), refused_at=""),
    ),
)
