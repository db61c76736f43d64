"""Qt objects without widgets: the document, the model service and the training service."""
