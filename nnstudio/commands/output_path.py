"""Checks on the `-o` target of a command before anything is written there.

nnstudio writes its outputs atomically (a temporary file renamed over the target). A rename
replaces whatever the name pointed at: a device node, a FIFO or a symbolic link would become a
regular file, and the input itself would be lost. So the target must be new or a regular file,
carry the suffix of what is written, sit in an existing folder, and not be an input.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from nnstudio.cli import CommandError

_KINDS = {
    stat.S_ISLNK: "a symbolic link",
    stat.S_ISDIR: "a folder",
    stat.S_ISFIFO: "a named pipe (FIFO)",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISSOCK: "a socket",
}


def check_output(output: str, suffix: str, inputs: tuple[str, ...] = ()) -> Path:
    """`output` as a Path if nnstudio may write it; CommandError (one line, naming it) otherwise."""
    path = Path(output)
    if path.suffix != suffix:
        raise CommandError(f"the output file must end in {suffix}", output)
    if not path.parent.is_dir():
        raise CommandError("the output folder does not exist", str(path.parent))
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise CommandError(f"cannot use the output file: {exc.strerror or exc}", output) from None
    for test, kind in _KINDS.items():
        if test(mode):
            raise CommandError(f"the output is {kind}, not a regular file; nnstudio will not replace it", output)
    if not stat.S_ISREG(mode):
        raise CommandError("the output is not a regular file; nnstudio will not replace it", output)
    for source in inputs:
        try:
            same = os.path.samefile(source, path)
        except OSError:
            same = False
        if same:
            raise CommandError("the output is the input file; choose another name so nothing is lost", output)
    return path
