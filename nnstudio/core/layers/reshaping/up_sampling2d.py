"""UpSampling2D: enlarges an image by repeating (or interpolating) values (`keras.layers.UpSampling2D`)."""

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.reshaping._up_sampling import up_sampling

LAYER = up_sampling(
    2,
    order=142,
    samples=(
        Sample({}, ((4, 5, 3),)),
        Sample({"size": [1, 3], "interpolation": "bilinear"}, ((None, 4, 2),)),
        Sample({"size": [2, 3], "data_format": "channels_first", "interpolation": "bicubic"}, ((3, 4, 5),)),
        Sample({"size": [3, 3], "interpolation": "area"}, ((2, 2, 1),)),
        Sample({"size": [0, 2]}, ((4, 5, 3),), refused_at="size"),
        Sample({}, ((4, 5),), refused_at=""),
    ),
)
