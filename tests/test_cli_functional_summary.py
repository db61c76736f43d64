"""`nnstudio summary` of a functional project, headless and without Keras: Keras's functional table
(Connected to, InputLayer rows) and `--json` with `connected_to`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nnstudio.core.project import save_project
from nnstudio.core.summary import analyze, summary_json, summary_text
from tests.core.graph_builder import GraphBuilder, residual

pytestmark = pytest.mark.cli


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "nnstudio", *args], capture_output=True, text=True, timeout=60
    )


def test_summary_of_a_functional_project_in_a_process_imports_no_keras(tmp_path: Path) -> None:
    spec = residual()
    path = tmp_path / "residual.nnstudio"
    save_project(path, spec)
    text = run("summary", str(path))
    assert text.returncode == 0, text.stderr
    assert text.stdout.rstrip("\n") == summary_text(analyze(spec))
    assert "Connected to" in text.stdout and "x (InputLayer)" in text.stdout
    imported = {line.split("|")[-1].strip() for line in text.stderr.splitlines() if line.startswith("import time:")}
    assert not {m for m in imported if m.split(".")[0] in ("keras", "tensorflow")}
    data = run("summary", str(path), "--json")
    assert json.loads(data.stdout) == summary_json(analyze(spec))
    assert json.loads(data.stdout)["layers"][2]["connected_to"] == [["x", 0, 0], ["hidden", 0, 0]]


def test_a_broken_graph_is_one_line_at_the_layer(tmp_path: Path) -> None:
    g = GraphBuilder("broken")
    x = g.input("x", [8])
    h = g.call("Dense", "hidden", x, units=8)
    g.call("Dense", "dead_end", h, units=3)
    path = tmp_path / "broken.nnstudio"
    save_project(path, g.model(h))
    result = run("summary", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "dead_end: it is not used on the way to any output" in result.stderr
