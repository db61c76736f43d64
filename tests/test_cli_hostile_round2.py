"""The command line's one-line error contract, and no file text driving the terminal (hostile input, round 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnstudio.cli import CommandError, main
from nnstudio.core.project import dumps_project
from nnstudio.core.spec import lesson_spec
from tests.core.test_keras_archive_corpus import lesson_config, lesson_weights, weights_bytes, write_keras

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}


def one_error_line(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    assert main(args) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err
    assert err.count("\n") == 1 and err.startswith("nnstudio: error: ") and err.rstrip().endswith(")"), err
    assert err[:-1].isprintable(), repr(err)  # no ESC, BEL, line break or lone surrogate reaches the terminal
    err.encode("ascii", "backslashreplace").decode("ascii")
    return err


def project(tmp_path: Path, **changes: object) -> Path:
    document = json.loads(dumps_project(lesson_spec()))
    for key, value in changes.items():
        if key in document["compile"]:
            document["compile"][key] = value
        else:
            document[key] = value
    path = tmp_path / "model.nnstudio"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["summary", "validate"])
def test_a_project_model_name_never_reaches_the_terminal_raw(tmp_path, capsys, command) -> None:
    path = project(tmp_path, name="evil\x1b]52;c;cHduZWQ=\x07\x1b[2J\nok: model.nnstudio is a sound model")
    err = one_error_line(capsys, [command, str(path)])
    assert "\\x1b" in err and "name" in err


def test_huge_numbers_give_one_line_with_where(tmp_path, capsys) -> None:
    text = dumps_project(lesson_spec()).replace('"learning_rate": null', '"learning_rate": ' + "9" * 500)
    path = tmp_path / "lr.nnstudio"
    path.write_text(text)
    err = one_error_line(capsys, ["validate", str(path)])
    assert "learning_rate" in err and f"({path}: $.compile.learning_rate)" in err
    config = lesson_config()
    config["compile_config"]["optimizer"]["config"]["learning_rate"] = 10**400
    archive = write_keras(tmp_path / "lr.keras", config, weights_bytes(lesson_weights()))
    err = one_error_line(capsys, ["validate", str(archive)])
    assert "learning_rate" in err and str(archive) in err


def test_an_undecodable_file_name_is_escaped(tmp_path, capsys) -> None:
    err = one_error_line(capsys, ["validate", str(tmp_path / "bad\udcff\x1b.nnstudio")])
    assert "\\udcff" in err and "\\x1b" in err


def test_an_unexpected_exception_is_one_line_with_where(monkeypatch, capsys, tmp_path) -> None:
    from nnstudio.commands import inspect

    path = project(tmp_path)

    def boom(*args: object, **kwargs: object) -> None:
        raise OverflowError("int too large to convert to float\nsecond line")

    monkeypatch.setattr(inspect, "load_checked", boom)
    err = one_error_line(capsys, ["validate", str(path)])
    assert err == f"nnstudio: error: OverflowError: int too large to convert to float second line ({path})\n"


def test_a_multi_line_keras_error_from_the_engine_is_one_line() -> None:
    from nnstudio.commands.engine_calls import call
    from nnstudio.engine.client import EngineFailure
    from nnstudio.engine.protocol import EngineError

    class Client:
        def call(self, *args: object, **kwargs: object) -> None:
            message = "Could not interpret\n  config: {'seed': " + "9" * 5000 + "}\nTraceback ..."
            raise EngineFailure(EngineError(message=message, exception_type="ValueError"))

    with pytest.raises(CommandError) as info:
        call(Client(), "export", {}, "m.keras")  # type: ignore[arg-type]
    assert "\n" not in info.value.what and len(info.value.what) < 400
    assert info.value.what.startswith("Keras refused the model: Could not interpret config:")


@pytest.mark.cli
def test_a_closed_pipe_is_one_line_not_a_traceback(tmp_path) -> None:
    document = json.loads(dumps_project(lesson_spec()))
    document["layers"] += [dict(document["layers"][2], name=f"more_{i}", units=10) for i in range(4000)]
    path = tmp_path / "long.nnstudio"
    path.write_text(json.dumps(document))
    process = subprocess.Popen(
        [sys.executable, "-m", "nnstudio", "summary", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(100)  # `| head -c 100`
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1
    assert err == "nnstudio: error: the output was closed before everything was written (standard output)\n"


@pytest.mark.cli
@pytest.mark.engine
def test_tensorflows_start_up_lines_stay_off_standard_error(tmp_path) -> None:
    source = ROOT / "resources" / "examples" / "lesson.nnstudio"
    for args in (
        ["export", str(source), "-o", str(tmp_path / "a.keras")],
        ["export", str(tmp_path / "a.keras"), "-o", str(tmp_path / "b.keras")],
        [
            "train",
            str(tmp_path / "b.keras"),
            "--data",
            "synthetic",
            "--samples",
            "16",
            "--epochs",
            "1",
            "-o",
            str(tmp_path / "c.keras"),
        ],
    ):
        env = {key: value for key, value in ENV.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
        result = subprocess.run(
            [sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True, env=env, timeout=300
        )
        assert result.returncode == 0, result.stderr
        assert result.stderr == "", result.stderr
