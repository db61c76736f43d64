"""The network canvas: every neuron and the real weights of the model, at any size."""

from nnstudio.ui.canvas.widget import NetworkCanvas

__all__ = ["NetworkCanvas"]
