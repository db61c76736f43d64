"""`-o` never replaces what it must not: a non-regular file, the input itself, a name with the wrong suffix.

The refusals come before anything is loaded or built, so these run the command line in-process.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from nnstudio.cli import main

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "resources" / "examples" / "lesson.nnstudio"


def refused(capsys: pytest.CaptureFixture[str], args: list[str], fragment: str) -> str:
    assert main(args) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("nnstudio: error: "), captured.err
    assert fragment in captured.err, captured.err
    return captured.err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "lesson.nnstudio"
    shutil.copyfile(LESSON, path)
    return path


@pytest.mark.parametrize("command", [["export"], ["train", "--data", "synthetic", "--epochs", "1"]])
def test_non_regular_targets_are_refused(tmp_path: Path, project: Path, capsys, command: list[str]) -> None:
    fifo = tmp_path / "pipe.keras"
    os.mkfifo(fifo)
    target = tmp_path / "kept.keras"
    target.write_bytes(b"precious")
    link = tmp_path / "link.keras"
    link.symlink_to(target)
    folder = tmp_path / "folder.keras"
    folder.mkdir()
    name, *rest = command
    for path, kind in [(fifo, "a named pipe"), (link, "a symbolic link"), (folder, "a folder")]:
        refused(capsys, [name, str(project), *rest, "-o", str(path)], f"the output is {kind}")
    assert fifo.exists() and not fifo.is_file() and link.is_symlink() and folder.is_dir()
    assert target.read_bytes() == b"precious"


def test_a_device_is_refused() -> None:
    # a device whose name had the right suffix would pass the suffix check: the file-type check stops it
    assert "the output is a character device" in _check("/dev/null", "")


def _check(path: str, suffix: str) -> str:
    from nnstudio.cli import CommandError
    from nnstudio.commands.output_path import check_output

    try:
        check_output(path, suffix)
    except CommandError as exc:
        return exc.what
    return ""


def test_the_input_is_never_the_output(tmp_path: Path, project: Path, capsys) -> None:
    before = project.read_bytes()
    refused(capsys, ["code", str(project), "-o", str(project)], "must end in .py")
    disguised = tmp_path / "model.py"
    os.link(project, disguised)  # the same file under a .py name
    refused(capsys, ["code", str(disguised), "-o", str(disguised)], "the output is the input file")
    keras_file = tmp_path / "model.keras"
    keras_file.write_bytes(b"PK\x05\x06" + bytes(18))
    refused(capsys, ["export", str(keras_file), "-o", str(keras_file)], "the output is the input file")
    refused(
        capsys,
        ["train", str(keras_file), "--data", "synthetic", "--epochs", "1", "-o", str(keras_file)],
        "the output is the input file",
    )
    assert project.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["code", "P", "-o", "x.nnstudio"], "the output file must end in .py"),
        (["code", "P", "--train", "-o", "x.keras"], "the output file must end in .py"),
        (["export", "P", "-o", "x.py"], "the output file must end in .keras"),
        (["train", "P", "--data", "synthetic", "--epochs", "1", "-o", "x.nnstudio"], "must end in .keras"),
    ],
)
def test_wrong_suffixes_are_refused(
    tmp_path: Path, project: Path, capsys, monkeypatch, args: list[str], fragment: str
) -> None:
    monkeypatch.chdir(tmp_path)
    refused(capsys, [str(project) if a == "P" else a for a in args], fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.nnstudio"]
