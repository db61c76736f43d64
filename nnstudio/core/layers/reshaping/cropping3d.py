"""Cropping3D: cuts values off the edges of a volume (`keras.layers.Cropping3D`)."""

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.reshaping._cropping import cropping

LAYER = cropping(
    3,
    [[1, 1], [1, 1], [1, 1]],
    order=133,
    samples=(
        Sample({}, ((4, 4, 4, 3),)),
        Sample({"cropping": [[0, 1], [1, 0], [0, 0]]}, ((3, None, 2, 1),)),
        Sample({"cropping": [[1, 1], [0, 0], [1, 0]], "data_format": "channels_first"}, ((2, 3, 4, 5),)),
        Sample({}, ((2, 4, 4, 3),), refused_at="cropping"),
        Sample({}, ((4, 4, 3),), refused_at=""),
    ),
)
