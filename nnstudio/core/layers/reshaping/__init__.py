"""Layers that change a tensor's shape (keras/src/layers/reshaping)."""

from nnstudio.core.layers.base import Family

FAMILY = Family("reshaping", "Reshaping", 80)
