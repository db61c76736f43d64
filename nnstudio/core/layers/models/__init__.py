"""Models used as layers of a model (keras/src/models): a Sequential inside a functional model."""

from nnstudio.core.layers.base import Family

FAMILY = Family("models", "Models inside a model", 130)
