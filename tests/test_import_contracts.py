"""The import-linter contracts in pyproject.toml hold: Qt and Keras stay out of nnstudio.core, the
layers import downwards only, and ui/services never import Keras."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_lint_imports_passes():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(exe).exists():
        pytest.skip("import-linter is not installed")
    result = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in (
        "core imports neither Qt nor Keras KEPT",
        "ui and services never import Keras KEPT",
        "Layers: ui > services > engine > keras_io > core KEPT",
    ):
        assert contract in result.stdout
