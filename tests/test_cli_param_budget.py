"""`--max-params N` on the commands that read a model: the budget a model over 100 M parameters
needs (ConvNeXtXLarge has 350 M), and the refusal without it that says how to raise it."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from nnstudio.cli import main, parameter_count
from nnstudio.core.project import dumps_project
from nnstudio.core.validation import DEFAULT_PARAM_BUDGET, set_param_budget
from tests.core.test_param_budget import _wide_config, wide_spec

pytestmark = pytest.mark.cli
WIDE_PARAMS = "150,015,000"


@pytest.fixture(autouse=True)
def default_budget():
    yield
    set_param_budget(DEFAULT_PARAM_BUDGET)  # main() runs in this process


@pytest.fixture
def wide_project(tmp_path: Path) -> Path:
    path = tmp_path / "wide.nnstudio"
    path.write_text(dumps_project(wide_spec()), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["summary", "validate", "code"])
def test_over_the_budget_the_error_says_how_to_raise_it(command, wide_project, capsys):
    assert main([command, str(wide_project)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("nnstudio: error: dense: the model would have 150,015,000") and len(err.splitlines()) == 1
    assert "over the budget of 100,000,000" in err and "--max-params N" in err


def test_max_params_lets_summary_validate_and_code_read_it(wide_project, capsys):
    assert main(["summary", str(wide_project), "--max-params", "200M", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total_params"] == 150_015_000
    assert main(["validate", str(wide_project), "--max-params", "150015000"]) == 0
    assert f"{WIDE_PARAMS} (572.26 MB) params" in capsys.readouterr().out
    assert main(["code", str(wide_project), "--max-params", "1G"]) == 0
    assert "keras.layers.Dense(15000" in capsys.readouterr().out
    assert main(["summary", str(wide_project), "--max-params", "150015000"]) == 0  # exactly the model's count
    assert main(["summary", str(wide_project), "--max-params", "150014999"]) == 1


def test_a_keras_file_over_the_budget_opens_with_max_params(tmp_path, capsys):
    path = tmp_path / "wide.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", _wide_config())
    assert main(["summary", str(path)]) == 1
    assert "--max-params" in capsys.readouterr().err
    assert main(["summary", str(path), "--max-params", "400M"]) == 0
    assert f"Total params: {WIDE_PARAMS}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "count"), [("400000000", 400_000_000), ("400_000_000", 400_000_000), ("400M", 400_000_000), ("2.5k", 2500)]
)
def test_parameter_counts_as_typed(text, count):
    assert parameter_count(text) == count


@pytest.mark.parametrize("text", ["0", "-1", "lots", "1e20", "2T"])
def test_an_unfit_max_params_is_a_usage_error(text, wide_project):
    result = subprocess.run(
        [sys.executable, "-m", "nnstudio", "summary", str(wide_project), "--max-params", text],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--max-params" in result.stderr and "Traceback" not in result.stderr


def test_every_command_that_reads_a_model_takes_it(tmp_path):
    for command in ("summary", "validate", "export", "code", "train"):
        result = subprocess.run(
            [sys.executable, "-m", "nnstudio", command, "--help"], capture_output=True, text=True, timeout=60
        )
        assert "--max-params N" in result.stdout, command
