"""Regularisation layers (keras/src/layers/regularization)."""

from nnstudio.core.layers.base import Family

FAMILY = Family("regularization", "Regularisation", 65)
