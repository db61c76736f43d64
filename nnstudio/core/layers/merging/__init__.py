"""Layers that merge several inputs (keras/src/layers/merging)."""

from nnstudio.core.layers.base import Family

FAMILY = Family("merging", "Merging", 50)
