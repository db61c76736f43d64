"""Activation: applies an activation function to every value (`keras.layers.Activation`)."""

from __future__ import annotations

from nnstudio.core.layers.base import LayerType, Marker, Params, Sample, Shape, same_shape
from nnstudio.core.layers.params import ActivationName, Param


def brief(params: Params) -> list[str]:
    return [str(params["activation"])]


def caption(params: Params, shape: Shape) -> str:
    return f"Activation · {params['activation']}"


LAYER = LayerType(
    "Activation",
    "Applies an activation function to every value.",
    same_shape,
    params=(Param("activation", ActivationName(), "relu", "The function to apply.", positional=True),),
    drawing="stage",
    marker=Marker("t2", "#f6d776"),
    brief=brief,
    caption=caption,
    samples=(Sample({"activation": "tanh"}, ((5,),)), Sample({"activation": "softmax"}, ((None, 3),))),
)
