"""The `nnstudio` command line: the window (`nnstudio [FILE]`) and headless subcommands.

Subcommands import only what they need: `summary` and `validate` never import Keras, and the
window's start-up path never imports it either (the engine process does).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
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
    parser.add_argument(
        "--size",
        metavar="WxH",
        type=_window_size,
        help="with --screenshot: the window's (and the picture's) size in pixels, e.g. 1280x720 (default 1400x900)",
    )
    parser.add_argument(
        "--expand",
        metavar="GROUP",
        action="append",
        default=[],
        help="open with this group of repeated blocks expanded and in view, by its name in the graph "
        "(e.g. conv2 of ResNet50; a model of 100 layers or more opens with every group collapsed); repeatable",
    )
    return parser


SIZE_RANGE = (640, 7680)  # the smallest and largest width or height --size accepts


def _window_size(text: str) -> tuple[int, int]:
    """`1280x720` -> (1280, 720); anything else is a usage error."""
    parts = text.lower().replace("×", "x").split("x")
    lo, hi = SIZE_RANGE
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT in pixels, e.g. 1280x720, not {text!r}")
    width, height = (int(p) for p in parts)
    if not (lo <= width <= hi and lo // 2 <= height <= hi):
        raise argparse.ArgumentTypeError(f"{text!r}: width must be {lo}-{hi} and height {lo // 2}-{hi} pixels")
    return width, height


def _run_window(args: argparse.Namespace) -> int:
    if args.size is not None and not args.screenshot:
        _window_parser().error("--size goes with --screenshot")
    # The engine first, before Qt is imported: it imports Keras while the window is being built.
    from nnstudio.engine.boot import new_prefix, spawn

    prefix = new_prefix()
    engine = (*spawn(prefix, preload_keras=True), prefix)
    from nnstudio.app import run_app

    return run_app(args.file, screenshot=args.screenshot, engine=engine, size=args.size, expand=args.expand)


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


# The commands that read a model, which its parameter budget applies to (`--max-params`).
BUDGETED_COMMANDS = ("summary", "validate", "export", "code", "train")
_SCALES = {"k": 10**3, "m": 10**6, "g": 10**9}


def _load_command(name: str) -> None:
    importlib.import_module(f"nnstudio.commands.{COMMAND_MODULES[name]}")


def parameter_count(text: str) -> int:
    """`--max-params` as typed: `350000000`, `350_000_000` or `350M` (k, M, G: thousands, millions, billions)."""
    from nnstudio.core.validation import budget_problem

    cleaned = text.strip().replace(",", "")
    scale = _SCALES.get(cleaned[-1:].lower(), 1)
    number = cleaned[:-1] if scale > 1 else cleaned
    try:
        count = int(float(number) * scale) if scale > 1 else int(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a parameter count (e.g. 400000000 or 400M)") from None
    problem = budget_problem(count)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return count


def _add_budget_option(parser: argparse.ArgumentParser) -> None:
    from nnstudio.core.validation import DEFAULT_PARAM_BUDGET

    parser.add_argument(
        "--max-params",
        type=parameter_count,
        metavar="N",
        help=f"the most parameters a model may have (default {DEFAULT_PARAM_BUDGET:,}; e.g. 400M for ConvNeXtXLarge)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `nnstudio` script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):  # a character the terminal cannot encode is escaped, not fatal
        if isinstance(stream, io.TextIOWrapper):
            with contextlib.suppress(ValueError):
                stream.reconfigure(errors="backslashreplace")
    if argv and argv[0] in COMMAND_MODULES:
        _load_command(argv[0])
        parser = argparse.ArgumentParser(prog="nnstudio")
        sub = parser.add_subparsers(dest="command", required=True)
        configure, _run = COMMANDS[argv[0]]
        command_parser = sub.add_parser(argv[0])
        configure(command_parser)
        if argv[0] in BUDGETED_COMMANDS:
            _add_budget_option(command_parser)
        else:
            command_parser.set_defaults(max_params=None)
        args = parser.parse_args(argv)
        run = COMMANDS[args.command][1]
        if args.max_params is not None:
            from nnstudio.core.validation import set_param_budget

            set_param_budget(args.max_params)
    else:
        args = _window_parser().parse_args(argv)
        run = _run_window
    try:
        code = run(args)
        sys.stdout.flush()  # a closed pipe (`| head`) is reported here, not at the interpreter's exit
        return code
    except CommandError as exc:
        _error(exc.what, exc.where)
        return 1
    except KeyboardInterrupt:
        print("nnstudio: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _stdout_to_devnull()
        _error("the output was closed before everything was written", "standard output")
        return 1
    except MemoryError:
        _error("out of memory", _where(args))
        return 1
    except Exception as exc:  # never a traceback for the person at the terminal
        _error(f"{type(exc).__name__}: {exc}", _where(args))
        return 1


def _error(what: str, where: str = "") -> None:
    """`nnstudio: error: <what> (<where>)` on one line of standard error, whatever the texts hold."""
    from nnstudio.core.text_safety import one_line

    line = f"nnstudio: error: {one_line(what, 600)}" + (f" ({one_line(where, 300)})" if where else "")
    with contextlib.suppress(OSError, ValueError):  # standard error gone too: nothing left to tell
        print(line, file=sys.stderr, flush=True)


def _where(args: argparse.Namespace) -> str:
    """The file a command was working on, for an error that does not say where it happened."""
    return str(getattr(args, "file", None) or "nnstudio")


def _stdout_to_devnull() -> None:
    """Point standard output at /dev/null so the interpreter's last flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
