"""Headless subcommands of `nnstudio`, one module per family (see `nnstudio.cli.COMMAND_MODULES`).

Each module registers its commands with `nnstudio.cli.command` and imports heavy libraries
(Keras, h5py) only inside the functions that need them.
"""
