"""The command line's Keras work on files from elsewhere, run in the engine process under its memory limit.

`export` and `train` hand a `.keras` file to the engine (the same child process and memory limit
the window uses), so no file can make nnstudio take more memory than that limit, and a crash or
an allocation failure in native code ends the child, not the command, which reports it in one line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from nnstudio.cli import CommandError
from nnstudio.core.text_safety import one_line
from nnstudio.engine.client import EngineClient, EngineDied, EngineFailure
from nnstudio.engine.process import DEFAULT_LOAD_MEMORY_LIMIT


@contextlib.contextmanager
def engine() -> Iterator[EngineClient]:
    """A started engine process, shut down when the block ends."""
    client = EngineClient()
    client.start()
    try:
        yield client
    finally:
        client.close()


def call(client: EngineClient, op: str, args: dict[str, Any], where: str, output: str = "", weights: Any = None) -> Any:
    """Run `op` in the engine under DEFAULT_LOAD_MEMORY_LIMIT; CommandError (one line) if it fails.

    `where` names the model's file in errors, `output` the file being written (write errors).
    """
    args = {**args, "memory_limit_bytes": DEFAULT_LOAD_MEMORY_LIMIT}
    try:
        return client.call(op, args, timeout=None, weights=weights)
    except EngineFailure as exc:
        error = exc.error
        if error.exception_type == "ArchiveError":  # the message names its file and part already
            raise CommandError(one_line(error.message), "") from None
        if error.exception_type == "MemoryError":
            raise CommandError(f"the model needs more memory than the limit of {_limit()}", where) from None
        if error.exception_type in ("OSError", "PermissionError", "FileNotFoundError", "IsADirectoryError"):
            raise CommandError(f"cannot write the file: {one_line(error.message)}", output or where) from None
        raise CommandError(f"Keras refused the model: {one_line(error.message)}", where) from None
    except EngineDied:
        raise CommandError(
            f"the Keras engine stopped while working on the file (out of memory under its {_limit()} limit?)", where
        ) from None


def _limit() -> str:
    from nnstudio.core.summary import readable_bytes

    return readable_bytes(DEFAULT_LOAD_MEMORY_LIMIT)
