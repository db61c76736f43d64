"""`nnstudio summary` and `nnstudio validate`: output, exit codes and one-line errors, without Keras."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nnstudio.cli import main
from nnstudio.core.project import dumps_project
from nnstudio.core.spec import lesson_spec
from tests.core.test_keras_archive_corpus import lesson_config, write_keras, write_lesson

pytestmark = pytest.mark.cli

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "resources" / "examples" / "lesson.nnstudio"

LESSON_JSON = {
    "name": "sequential",
    "layers": [
        {"name": "dense", "type": "Dense", "output_shape": [None, 64], "params": 1344},
        {"name": "dense_1", "type": "Dense", "output_shape": [None, 10], "params": 650},
    ],
    "total_params": 1994,
    "trainable_params": 1994,
    "non_trainable_params": 0,
    "total_bytes": 7976,
}


def test_summary_of_the_lesson_project(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(LESSON)]) == 0
    out = capsys.readouterr().out
    for fragment in (
        'Model: "sequential"',
        "│ dense (Dense)                   │ (None, 64)             │         1,344 │",
        "│ dense_1 (Dense)                 │ (None, 10)             │           650 │",
        " Total params: 1,994 (7.79 KB)",
        " Trainable params: 1,994 (7.79 KB)",
        " Non-trainable params: 0 (0.00 B)",
    ):
        assert fragment in out


def test_summary_json_of_project_and_keras_file_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(LESSON), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == LESSON_JSON
    assert main(["summary", str(write_lesson(tmp_path / "lesson.keras")), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == LESSON_JSON


def test_validate_says_ok_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for path in (LESSON, write_lesson(tmp_path / "lesson.keras")):
        assert main(["validate", str(path)]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"ok: {path.name} is a sound Sequential model")
        assert out.count("\n") == 1 and "1,994 (7.79 KB)" in out


def test_invalid_model_is_an_error_with_the_keras_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = lesson_spec()
    spec = spec.with_layer(2, spec.layers[2].with_params(units=-5))
    project = tmp_path / "bad.nnstudio"
    project.write_text(dumps_project(spec))
    for command in ("summary", "validate"):
        assert main([command, str(project)]) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert (
            captured.err
            == f"nnstudio: error: dense_1: units must be a positive integer. Received: units=-5 ({project})\n"
        )


def test_refused_keras_file_names_file_and_part(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = lesson_config()
    config["config"]["layers"][1]["class_name"] = "Lambda"
    path = write_keras(tmp_path / "lambda.keras", config, b"")
    assert main(["summary", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("nnstudio: error: dense: Lambda layers carry Python code and are refused (")
    assert f"({path}: config.json $.config.layers[1])" in err and err.count("\n") == 1


def test_missing_file_and_project_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.keras")]) == 1
    assert capsys.readouterr().err.startswith("nnstudio: error: cannot read file")
    broken = tmp_path / "broken.nnstudio"
    broken.write_text('{"format": "nnstudio", "version": 1, "layers": [], "colour": 1}')
    assert main(["validate", str(broken)]) == 1
    assert capsys.readouterr().err == f"nnstudio: error: unknown key 'colour' ({broken}: $.colour)\n"


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["summary"])
    assert info.value.code == 2


def test_validate_keras_file_in_a_process_imports_no_keras(tmp_path: Path) -> None:
    path = write_lesson(tmp_path / "lesson.keras")
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "nnstudio", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stdout.startswith("ok: lesson.keras")
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "h5py" in imported  # the weights were really checked
    assert not {m for m in imported if m.split(".")[0] in ("keras", "tensorflow")}


def test_project_saved_by_nnstudio_round_trips_through_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "lesson.nnstudio"
    project.write_text(dumps_project(lesson_spec()))
    assert main(["summary", str(project), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == LESSON_JSON
