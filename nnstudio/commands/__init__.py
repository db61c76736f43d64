"""Headless subcommands of `nnstudio`; importing this package registers them with the CLI.

Each module registers its commands with `nnstudio.cli.command` and imports heavy libraries
(Keras, h5py) only inside the functions that need them.
"""

import importlib

for _module in ("inspect", "build", "train"):
    try:
        importlib.import_module(f"{__name__}.{_module}")
    except ModuleNotFoundError as exc:  # a command module not written yet
        if exc.name != f"{__name__}.{_module}":
            raise
