"""`nnstudio examples [NAME] [-o PATH]`: list the example models shipped with nnstudio, or copy one.

Without NAME each example's name and the path of its shipped file are printed (open it with
`nnstudio PATH`); with NAME and `-o` the example is copied to PATH (a folder or a file name).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from nnstudio.cli import CommandError, command
from nnstudio.core.resources import examples


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "List the example models shipped with nnstudio, or copy one."
    parser.add_argument("name", nargs="?", help="an example's name (e.g. lesson)")
    parser.add_argument("-o", "--output", metavar="PATH", help="copy the example here (a folder or a .nnstudio file)")


@command("examples", _configure)
def run(args: argparse.Namespace) -> int:
    shipped = {path.stem: path for path in examples()}
    if args.name is None:
        for name, path in shipped.items():
            print(f"{name}\t{path}")
        return 0
    found = shipped.get(args.name)
    if found is None:
        raise CommandError(f"no example called {args.name!r} (examples: {', '.join(shipped)})", "examples")
    path = found
    if args.output is None:
        print(path)
        return 0
    target = Path(args.output)
    if target.is_dir():
        target = target / path.name
    try:
        shutil.copyfile(path, target)
    except OSError as exc:
        raise CommandError(f"cannot write {target}: {exc.strerror or exc}", str(target)) from None
    print(target)
    return 0
