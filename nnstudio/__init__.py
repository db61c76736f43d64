"""nnstudio: build Keras neural networks by hand and eye."""

__version__ = "0.1.0"
