"""UpSampling3D: enlarges a volume by repeating values (`keras.layers.UpSampling3D`)."""

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.reshaping._up_sampling import up_sampling

LAYER = up_sampling(
    3,
    order=143,
    samples=(
        Sample({}, ((2, 3, 4, 1),)),
        Sample({"size": [1, 2, 3]}, ((2, None, 2, 2),)),
        Sample({"size": [2, 1, 1], "data_format": "channels_first"}, ((2, 3, 4, 5),)),
        Sample({"size": [2, 2, -1]}, ((2, 3, 4, 1),), refused_at="size"),
        Sample({}, ((2, 3, 4),), refused_at=""),
    ),
)
