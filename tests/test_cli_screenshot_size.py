"""`nnstudio --screenshot PNG --size WxH`: a picture of exactly that size; a bad size is a usage error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], tmp_path: Path, timeout: int = 150) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        TF_CPP_MIN_LOG_LEVEL="3",
        NNSTUDIO_THEME="dark",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        NNSTUDIO_DATA_DIR=str(tmp_path / "data"),
    )
    return subprocess.run(
        [sys.executable, "-m", "nnstudio", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=tmp_path,
    )


@pytest.mark.engine
@pytest.mark.cli
def test_a_screenshot_of_1280x720_is_exactly_that_size_and_dark_when_asked(tmp_path):
    from PySide6.QtGui import QImage

    png = tmp_path / "small.png"
    out = run(
        ["--screenshot", str(png), "--size", "1280x720", str(ROOT / "resources/examples/lesson.nnstudio")], tmp_path
    )
    assert out.returncode == 0, out.stderr
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1280, 720)
    centre = image.pixelColor(640, 200)  # on the canvas: the dark theme's background, not white
    assert centre.lightness() < 100


@pytest.mark.cli
@pytest.mark.parametrize("size", ["1280", "12x7", "1280x720x3", "wide", "99999x720"])
def test_a_bad_size_is_a_usage_error(tmp_path, size):
    out = run(["--screenshot", str(tmp_path / "x.png"), "--size", size], tmp_path, timeout=60)
    assert out.returncode == 2
    assert "--size" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.cli
def test_size_goes_with_screenshot(tmp_path):
    out = run(["--size", "1280x720"], tmp_path, timeout=60)
    assert out.returncode == 2 and "--size goes with --screenshot" in out.stderr
