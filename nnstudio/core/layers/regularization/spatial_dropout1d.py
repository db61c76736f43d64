"""SpatialDropout1D: drops whole channels of a sequence (`keras.layers.SpatialDropout1D`)."""

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.regularization._spatial_dropout import spatial_dropout

LAYER = spatial_dropout(
    1,
    order=110,
    samples=(
        Sample({"rate": 0.5}, ((5, 3),)),
        Sample({"rate": 0.0}, ((None, 4),)),
        Sample({"rate": 0.5}, ((5,),), refused_at=""),
        Sample({"rate": 1.5}, ((5, 3),), refused_at="rate"),
    ),
)
