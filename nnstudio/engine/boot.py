"""Spawning the engine process, with nothing heavy imported in the parent.

`spawn(prefix, preload_keras)` starts the child (multiprocessing, spawn) and returns it with the
parent's end of its pipe. Only the standard library is imported here, so the application can start
its engine (which begins importing Keras at once) before it imports numpy or builds its window;
`EngineClient` adopts the result. The child's entry point imports the engine itself.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import secrets
import sys
import threading
import types
from collections.abc import Iterator
from typing import Any

SHM_DIR = "/dev/shm"  # where Linux lists POSIX shared memory
PREFIX = "nns_"
DEFAULT_LOAD_MEMORY_LIMIT = 4 << 30  # bytes of address space loading a file from elsewhere may add  # shared-memory blocks of nnstudio's engines are named <PREFIX><random>_<n>
_MAIN_LOCK = threading.Lock()


def new_prefix() -> str:
    """A fresh prefix for one sender's blocks (short: macOS caps names at 31 characters)."""
    return f"{PREFIX}{secrets.token_hex(4)}_"


def blocks_left(prefix: str) -> bool:
    """Whether shared-memory blocks whose names start with `prefix` may exist (Linux lists them; elsewhere: assume so)."""
    if not os.path.isdir(SHM_DIR):
        return True
    return any(name.startswith(prefix) for name in os.listdir(SHM_DIR))


def child_main(conn: Any, prefix: str, preload_keras: bool) -> None:
    """The engine process's entry point."""
    from nnstudio.engine.process import engine_main

    engine_main(conn, prefix, preload_keras)


def spawn(prefix: str, preload_keras: bool) -> tuple[Any, Any]:
    """Start an engine process; (the process, the parent's end of its duplex pipe)."""
    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe(duplex=True)
    process = context.Process(
        target=child_main, args=(child_end, prefix, preload_keras), name="nnstudio-engine", daemon=True
    )
    try:
        with _without_main_module():
            process.start()
    finally:
        child_end.close()
    return process, parent_end


@contextlib.contextmanager
def _without_main_module() -> Iterator[None]:
    """Spawn without re-running the parent's `__main__` in the child.

    multiprocessing's spawn re-imports the main script (or module) in the child so that pickled
    objects from it resolve. The engine needs nothing from it, and re-importing it would slow the
    engine's start (the GUI's imports) or fail (`python -c`, stdin, frozen apps). While the child
    is launched, `__main__` is replaced by an empty module; only the preparation data read in
    `process.start()` sees it.
    """
    with _MAIN_LOCK:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main
