"""nnstudio: build Keras neural networks by hand and eye."""

import sys

__version__ = "0.1.0"


def _pin_bool_singletons() -> None:
    """Work around PySide6 6.12's `SignalInstance.emit()`, which returns True without a new reference.

    On CPython < 3.12 (no immortal objects) every Python-side `signal.emit(...)` then lowers True's
    reference count by one, and after a few hundred emits the interpreter aborts with
    "Fatal Python error: bool_dealloc". Giving True and False a huge reference count once keeps
    them alive for good (they never die anyway). Harmless where PySide is fixed; not needed on 3.12+.
    None has the same problem, faster: every call of a void method (`label.setText(...)`,
    `widget.hide()`, `QObject.parent()` returning None) takes one reference from None, so a GUI
    aborts with "Fatal Python error: none_dealloc" after some tens of thousands of calls.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    import ctypes

    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40


_pin_bool_singletons()
