"""Cropping1D: cuts steps off both ends of a sequence (`keras.layers.Cropping1D`)."""

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.reshaping._cropping import cropping

LAYER = cropping(
    1,
    [1, 1],
    order=131,
    samples=(
        Sample({}, ((5, 3),)),
        Sample({"cropping": [0, 2]}, ((None, 4),)),
        Sample({"cropping": [2, 1]}, ((4, 2),)),
        Sample({"cropping": [1, 1]}, ((2, 3),), refused_at="cropping"),
        Sample({}, ((5,),), refused_at=""),
        Sample({"cropping": [-1, 1]}, ((5, 3),), refused_at="cropping"),
    ),
)
