"""Convolution layers (keras/src/layers/convolutional)."""

from nnstudio.core.layers.base import Family

FAMILY = Family("convolutional", "Convolution", 10)
