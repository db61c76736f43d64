"""`nnstudio summary` and `nnstudio validate`: read a model file without Keras and report on it.

Both commands run in pure Python (zip, JSON and, for `validate`, h5py): neither imports Keras
or TensorFlow, so they answer in a fraction of a second and run nothing from the file.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from nnstudio.cli import CommandError, command
from nnstudio.core.spec import ModelSpec
from nnstudio.core.summary import Summary, analyze, count_with_size, summary_json, summary_text
from nnstudio.core.text_safety import escape_control, one_line


def _one_line(text: str) -> str:
    """`text` as one short line with control characters escaped: a file's text never drives the terminal."""
    return one_line(text, 600)


def terminal_lines(text: str) -> str:
    """Multi-line output (a summary) with every line's control characters escaped."""
    return "\n".join(escape_control(line) for line in text.split("\n"))


def load_checked(path: str, weights: bool) -> tuple[ModelSpec, Summary]:
    """Read `path` (.nnstudio or .keras) and analyse it; CommandError on any refusal or model problem."""
    from nnstudio.core.keras_archive import ArchiveError, load_model_file
    from nnstudio.core.project import ProjectError

    try:
        spec = load_model_file(path, check_weights=weights)
    except ArchiveError as exc:
        raise CommandError(_one_line(exc.message), _one_line(exc.where)) from None
    except ProjectError as exc:
        where = exc.path if exc.path.startswith(str(path)) else f"{path}: {exc.path}"
        raise CommandError(_one_line(exc.message), _one_line(where)) from None
    if spec.is_functional:
        from nnstudio.core.graph_shapes import graph_issues

        issues = graph_issues(spec)
        if issues:
            raise CommandError(_one_line(issues[0].message), _one_line(str(path)))
    summary = analyze(spec)
    if summary.issues:
        raise CommandError(_one_line(summary.issues[0].message), _one_line(str(path)))
    return spec, summary


def _configure_summary(parser: argparse.ArgumentParser) -> None:
    parser.description = "Print the model's summary as Keras's model.summary() would, without importing Keras."
    parser.add_argument("file", help="a .nnstudio project or .keras model")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")


@command("summary", _configure_summary)
def run_summary(args: argparse.Namespace) -> int:
    """Print the analytic summary of a project or `.keras` file."""
    _spec, summary = load_checked(args.file, weights=False)
    if args.json:
        print(json.dumps(summary_json(summary)))
    else:
        print(terminal_lines(summary_text(summary, shutil.get_terminal_size().columns)))
    return 0


def _configure_validate(parser: argparse.ArgumentParser) -> None:
    parser.description = "Check a model file (config and weights) without running any of its code."
    parser.add_argument("file", help="a .nnstudio project or .keras model")


@command("validate", _configure_validate)
def run_validate(args: argparse.Namespace) -> int:
    """Check a project or `.keras` file; print one line and exit 0 when it is sound."""
    spec, summary = load_checked(args.file, weights=True)
    kind = "Functional" if spec.is_functional else "Sequential"
    print(
        f"ok: {escape_control(Path(args.file).name)} is a sound {kind} model '{escape_control(spec.name)}' "
        f"({len(summary.rows)} layers, {count_with_size(summary.total_params)} params)"
    )
    return 0
