"""Import Keras without TensorFlow's start-up lines on standard error.

TensorFlow's C++ runtime writes lines such as `I0000 ... port.cc:153] oneDNN custom operations
are on` and `WARNING: All log messages before absl::InitializeLog() is called are written to
STDERR` straight to file descriptor 2 while it loads, whatever `TF_CPP_MIN_LOG_LEVEL` says. A
command-line tool whose errors are one line each cannot let them through, so the import runs
with descriptor 2 pointed at /dev/null. Python exceptions are unaffected: they are raised as usual.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from types import ModuleType


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null while the block runs (native libraries' output too)."""
    with contextlib.suppress(AttributeError, ValueError, OSError):
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 at all
        yield
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
        finally:
            os.close(devnull)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_keras() -> ModuleType:
    """`import keras` (which loads TensorFlow) once, quietly; the module."""
    module = sys.modules.get("keras")
    if module is not None:
        return module
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with native_stderr_silenced():
        import keras  # loads its backend, TensorFlow, inside the block
    return keras
