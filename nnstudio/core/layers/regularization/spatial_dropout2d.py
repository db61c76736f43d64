"""SpatialDropout2D: drops whole feature maps of an image (`keras.layers.SpatialDropout2D`)."""

from nnstudio.core.layers.base import Sample
from nnstudio.core.layers.regularization._spatial_dropout import spatial_dropout

LAYER = spatial_dropout(
    2,
    order=111,
    samples=(
        Sample({"rate": 0.5}, ((4, 5, 3),)),
        Sample({"rate": 0.2, "data_format": "channels_first"}, ((3, None, 5),)),
        Sample({"rate": 0.5}, ((4, 5),), refused_at=""),
        Sample({"rate": -0.1}, ((4, 5, 3),), refused_at="rate"),
    ),
)
