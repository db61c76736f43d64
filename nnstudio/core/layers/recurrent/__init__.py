"""Recurrent layers (keras/src/layers/rnn)."""

from nnstudio.core.layers.base import Family

FAMILY = Family("recurrent", "Recurrent", 30)
