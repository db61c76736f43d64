"""`nnstudio export FILE -o OUT.keras` and `nnstudio code FILE [-o OUT.py]`.

Both check the input completely before anything heavy happens: `export` hands the file to the
engine process (Keras, under the engine's memory limit) only once it has passed every check, so a
refused file never loads TensorFlow. `-o` targets are checked first (`output_path`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nnstudio.cli import CommandError, command
from nnstudio.core.spec import ModelSpec
from nnstudio.core.text_safety import terminal_text


def load_checked(path: str) -> ModelSpec:
    """The spec in `path` (.nnstudio or .keras) after every check that needs no Keras.

    The same checks and messages as `nnstudio validate`: a .keras file's zip, config and weights
    are checked by the core archive reader, then the analytic checks run; CommandError otherwise.
    """
    from nnstudio.commands.inspect import load_checked as validate_file

    if not Path(path).is_file():
        raise CommandError("no such file", path)
    return validate_file(path, weights=True)[0]


def is_project(path: str) -> bool:
    """Whether `path` holds an nnstudio project (JSON) rather than a .keras archive (a zip)."""
    with open(path, "rb") as handle:
        return not handle.read(4).startswith(b"PK")


def _configure_export(parser: argparse.ArgumentParser) -> None:
    parser.description = "Build the model with Keras and write it as a .keras file (atomically)."
    parser.add_argument("file", help="a .nnstudio project or .keras model")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.keras", help="the .keras file to write")


@command("export", _configure_export)
def run_export(args: argparse.Namespace) -> int:
    """Check FILE, then in the engine process (under its memory limit) build it with Keras, keeping a
    .keras input's weights, and save OUT atomically."""
    from nnstudio.commands.output_path import check_output

    out = check_output(args.output, ".keras", (args.file,))
    spec = load_checked(args.file)

    from nnstudio.commands.engine_calls import call, engine

    with engine() as client:
        if is_project(args.file):
            call(client, "export", {"spec": spec, "path": str(out)}, args.file, args.output)
        else:  # a .keras archive: its weights are read and kept, in the engine
            call(client, "export_file", {"source": str(args.file), "path": str(out)}, args.file, args.output)
    print(f"wrote {terminal_text(str(out))}")
    return 0


def _configure_code(parser: argparse.ArgumentParser) -> None:
    parser.description = "Write a standalone Keras script that rebuilds and compiles the model."
    parser.add_argument("file", help="a .nnstudio project or .keras model")
    parser.add_argument("-o", "--output", metavar="OUT.py", help="the script to write (default: standard output)")
    parser.add_argument(
        "--train",
        action="store_true",
        help="write a training script instead: tf.distribute on one machine's GPUs or across machines "
        "(its --strategy mirrored|multi-worker|default), CSV data streamed and sharded, a checkpoint "
        "every epoch to resume from",
    )


@command("code", _configure_code)
def run_code(args: argparse.Namespace) -> int:
    """Print (or write to OUT.py, atomically) the Keras script for FILE: model, or with --train, training."""
    if args.output is not None:
        from nnstudio.commands.output_path import check_output

        check_output(args.output, ".py", (args.file,))
    spec = load_checked(args.file)
    if args.train:
        from nnstudio.core.codegen_train import training_script
        from nnstudio.core.datasets import DatasetError

        try:
            script = training_script(spec, Path(args.output).name if args.output else "train_model.py")
        except DatasetError as exc:
            raise CommandError(str(exc), args.file) from None
    else:
        from nnstudio.core.codegen import python_script

        script = python_script(spec)
    if args.output is None:
        sys.stdout.write(script)
        return 0
    from nnstudio.core.fileio import atomic_write_bytes

    try:
        atomic_write_bytes(args.output, script.encode("utf-8"))
    except OSError as exc:
        raise CommandError(f"cannot write the file: {exc.strerror or exc}", args.output) from None
    return 0
