"""Layers that keras.applications models define for themselves (keras/src/applications/<model>.py):
Keras writes them into a config under their own module, not `keras.layers`."""

from nnstudio.core.layers.base import Family

FAMILY = Family("applications", "From keras.applications", 110)
