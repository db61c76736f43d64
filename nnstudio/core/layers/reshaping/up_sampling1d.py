"""UpSampling1D: repeats each step of a sequence (`keras.layers.UpSampling1D`)."""

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.reshaping._up_sampling import up_sampling

LAYER = up_sampling(
    1,
    order=141,
    samples=(
        Sample({}, ((5, 3),)),
        Sample({"size": 3}, ((None, 2),)),
        Sample({"size": 0}, ((5, 3),), refused_at="size"),
        Sample({}, ((5, 3, 2),), refused_at=""),
    ),
)
