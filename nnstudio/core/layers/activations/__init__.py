"""Activation layers (keras/src/layers/activations)."""

from nnstudio.core.layers.base import Family

FAMILY = Family("activations", "Activations", 60)
