"""SpatialDropout3D: drops whole feature volumes (`keras.layers.SpatialDropout3D`)."""

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.regularization._spatial_dropout import spatial_dropout

LAYER = spatial_dropout(
    3,
    order=112,
    samples=(
        Sample({"rate": 0.5}, ((2, 3, 4, 2),)),
        Sample({"rate": 0.3, "data_format": "channels_first"}, ((2, 3, 4, 5),)),
        Sample({"rate": 0.5}, ((4, 5, 3),), refused_at=""),
    ),
)
