"""Preprocessing layers (keras/src/layers/preprocessing)."""

from nnstudio.core.layers.base import Family

FAMILY = Family("preprocessing", "Preprocessing", 90)
