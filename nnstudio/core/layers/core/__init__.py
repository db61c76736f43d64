"""Core layers: the Input, Dense and their kind (keras/src/layers/core)."""

from nnstudio.core.layers.base import Family

FAMILY = Family("core", "Core", 0)
