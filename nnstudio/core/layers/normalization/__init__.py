"""Normalisation layers (keras/src/layers/normalization)."""

from nnstudio.core.layers.base import Family

FAMILY = Family("normalization", "Normalisation", 70)
