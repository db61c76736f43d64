"""What opening a `.keras` file imports is imported in the background once the window stands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nnstudio.services.file_reader import import_in_background
from tests.core.test_keras_archive_corpus import lesson_config, lesson_weights, weights_bytes, write_keras

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "core" / "data"

PROBE = """
import json, sys
import nnstudio.ui.main_window, nnstudio.app  # what the window has imported when it stands
from nnstudio.ui.file_actions import OPENING_MODULES, read_for_opening
from nnstudio.core.validation import param_budget
from pathlib import Path
for module in OPENING_MODULES:
    __import__(module)
before = set(sys.modules)
for path in sys.argv[1:]:
    read_for_opening(Path(path), param_budget())
print(json.dumps(sorted(set(sys.modules) - before)))
"""


@pytest.mark.cli
def test_opening_a_sequential_and_a_functional_keras_file_imports_nothing_beyond_the_opening_modules(tmp_path):
    sequential = write_keras(tmp_path / "lesson.keras", lesson_config(), weights_bytes(lesson_weights()))
    functional = write_keras(
        tmp_path / "ops.keras",
        json.loads((DATA / "functional_ops_config.json").read_text()),
        weights_bytes({"dense": [(4, 4), (4,)]}),
    )
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(sequential), str(functional)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.splitlines()[-1]) == []


def test_modules_are_imported_on_a_thread_that_ends_and_a_missing_one_is_left_for_the_read():
    thread = import_in_background(["colorsys", "no_such_module_here"])
    thread.join(30)
    assert not thread.is_alive() and thread.daemon
    assert "colorsys" in sys.modules
