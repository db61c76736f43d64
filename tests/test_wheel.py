"""The wheel: it holds the package data, and installed from it nnstudio runs from anywhere.

The wheel is built from a copy of the checkout (`pip wheel --no-deps`), installed into a fresh
virtual environment that sees the system's packages (TensorFlow is not installed again) but not
this checkout, and run from a folder outside it: the window's screenshot, the examples command
and training on the packaged Iris data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from nnstudio.core.project import save_project
from nnstudio.core.spec import ModelSpec

pytestmark = [pytest.mark.cli, pytest.mark.engine]

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = (
    "nnstudio/resources/icons/dense.svg",
    "nnstudio/resources/style/nnstudio.qss",
    "nnstudio/resources/examples/lesson.nnstudio",
    "nnstudio/resources/datasets/iris.csv",
    "nnstudio/py.typed",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "screenshots")
    shutil.copytree(ROOT / "nnstudio", source / "nnstudio", ignore=ignore)
    shutil.copytree(ROOT / "resources", source / "resources", ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("nnstudio-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(folder)], check=True, timeout=300)
    python = folder / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--ignore-installed", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return folder


def run(venv: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(QT_QPA_PLATFORM="offscreen", TF_CPP_MIN_LOG_LEVEL="3", XDG_CONFIG_HOME=str(cwd / "config"))
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_the_wheel_holds_the_package_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in PACKAGED if name not in names]
    assert not missing, missing
    assert not any("screenshots" in name for name in names)


def test_installed_from_the_wheel_nnstudio_finds_its_data_and_runs(venv: Path, tmp_path: Path) -> None:
    python, nnstudio = str(venv / "bin" / "python"), str(venv / "bin" / "nnstudio")
    where = run(
        venv,
        [python, "-c", "import nnstudio.core.resources as r; print(r.__file__); print(r.resource_dir())"],
        tmp_path,
    )
    module, data = where.stdout.split()
    assert module.startswith(str(venv)) and data.startswith(str(venv)), where.stdout  # not this checkout
    assert (Path(data) / "datasets" / "iris.csv").is_file()

    listed = run(venv, [nnstudio, "examples"], tmp_path)
    assert listed.returncode == 0, listed.stderr
    shipped = dict(line.split("\t") for line in listed.stdout.splitlines())
    assert "lesson" in shipped and all(path.startswith(str(venv)) for path in shipped.values())
    copied = run(venv, [nnstudio, "examples", "lesson", "-o", str(tmp_path)], tmp_path)
    assert copied.returncode == 0 and (tmp_path / "lesson.nnstudio").is_file(), copied.stderr

    shot = tmp_path / "shot.png"
    screenshot = run(venv, [nnstudio, "--screenshot", str(shot), str(tmp_path / "lesson.nnstudio")], tmp_path)
    assert screenshot.returncode == 0, screenshot.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    spec = ModelSpec(name="iris")
    spec = spec.inserted(0, spec.new_layer("Input", shape=[4]))
    spec = spec.inserted(1, spec.new_layer("Dense", units=3, activation="softmax"))
    save_project(tmp_path / "iris.nnstudio", spec)
    out = tmp_path / "iris.keras"
    trained = run(
        venv, [nnstudio, "train", "iris.nnstudio", "--data", "iris", "--epochs", "2", "-o", str(out)], tmp_path
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert sum("loss=" in line for line in trained.stdout.splitlines()) == 2 and out.is_file()
