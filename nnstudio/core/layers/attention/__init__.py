"""Attention layers (keras/src/layers/attention)."""

from nnstudio.core.layers.base import Family

FAMILY = Family("attention", "Attention", 40)
