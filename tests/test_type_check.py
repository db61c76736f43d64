"""mypy, configured in pyproject.toml, finds no type error in nnstudio/."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_is_clean(monkeypatch) -> None:
    from mypy import api

    monkeypatch.chdir(ROOT)  # mypy reads its settings (and the files to check) from pyproject.toml
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml"), "--no-error-summary"])
    assert status == 0, (stdout + stderr)[-4000:]
