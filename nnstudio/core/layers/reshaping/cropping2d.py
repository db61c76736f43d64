"""Cropping2D: cuts rows and columns off the edges of an image (`keras.layers.Cropping2D`)."""

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.reshaping._cropping import cropping

LAYER = cropping(
    2,
    [[0, 0], [0, 0]],
    order=132,
    samples=(
        Sample({}, ((4, 5, 3),)),
        Sample({"cropping": [[1, 2], [0, 1]]}, ((28, 28, 1),)),
        Sample({"cropping": [[1, 1], [2, 2]]}, ((None, 6, 2),)),
        Sample({"cropping": [[1, 0], [1, 1]], "data_format": "channels_first"}, ((3, 4, 5),)),
        Sample({"cropping": [[2, 2], [0, 0]]}, ((4, 5, 3),), refused_at="cropping"),
        Sample({"cropping": [[0, 0], [0, 0]]}, ((4, 5),), refused_at=""),
    ),
)
