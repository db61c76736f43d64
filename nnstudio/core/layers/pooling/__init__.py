"""Pooling layers (keras/src/layers/pooling)."""

from nnstudio.core.layers.base import Family

FAMILY = Family("pooling", "Pooling", 20)
