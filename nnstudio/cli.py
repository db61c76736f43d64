"""The `nnstudio` command line: the window (`nnstudio [FILE]`) and headless subcommands.

Subcommands import only what they need: `summary` and `validate` never import Keras, and the
window's start-up path never imports it either (the engine process does).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence


class CommandError(Exception):
    """Bad input: printed as `nnstudio: error: <what> (<where>)`, exit 1."""

    def __init__(self, what: str, where: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.where = where


def _window_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnstudio",
        description="Build Keras neural networks by hand and eye.",
        epilog="headless commands: " + ", ".join(COMMAND_MODULES) + " (nnstudio COMMAND --help)",
    )
    parser.add_argument("file", nargs="?", help="a .nnstudio project or .keras model to open")
    parser.add_argument("--screenshot", metavar="PNG", help="render the window offscreen, save PNG and exit")
    return parser


def _run_window(args: argparse.Namespace) -> int:
    # The engine first, before Qt is imported: it imports Keras while the window is being built.
    from nnstudio.engine.boot import new_prefix, spawn

    prefix = new_prefix()
    engine = (*spawn(prefix, preload_keras=True), prefix)
    from nnstudio.app import run_app

    return run_app(args.file, screenshot=args.screenshot, engine=engine)


COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def command(name: str, configure: Callable[[argparse.ArgumentParser], None]):
    """Register a subcommand: `configure` adds its arguments, the decorated function runs it."""

    def register(run: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = (configure, run)
        return run

    return register


# Which module of nnstudio.commands registers each subcommand: only the one asked for is
# imported, so opening the window loads none of them.
COMMAND_MODULES: dict[str, str] = {
    "summary": "inspect",
    "validate": "inspect",
    "export": "build",
    "code": "build",
    "train": "train",
    "examples": "examples",
}


def _load_command(name: str) -> None:
    importlib.import_module(f"nnstudio.commands.{COMMAND_MODULES[name]}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `nnstudio` script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMAND_MODULES:
        _load_command(argv[0])
        parser = argparse.ArgumentParser(prog="nnstudio")
        sub = parser.add_subparsers(dest="command", required=True)
        configure, _run = COMMANDS[argv[0]]
        configure(sub.add_parser(argv[0]))
        args = parser.parse_args(argv)
        run = COMMANDS[args.command][1]
    else:
        args = _window_parser().parse_args(argv)
        run = _run_window
    try:
        return run(args)
    except CommandError as exc:
        where = f" ({exc.where})" if exc.where else ""
        print(f"nnstudio: error: {exc.what}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("nnstudio: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback for the person at the terminal
        print(f"nnstudio: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
