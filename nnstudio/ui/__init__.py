"""The widgets of the nnstudio window."""
