"""Everything that calls Keras: build, compile, export, import, weights, training.

Keras is imported lazily inside functions, so importing this package stays cheap.
"""
