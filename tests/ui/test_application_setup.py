"""What `make_application` sets up for the window's process beyond Qt's names and style."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nnstudio.app import GUI_SWITCH_INTERVAL_S


@pytest.mark.cli
def test_the_window_process_hands_the_interpreter_to_the_gui_thread_sooner():
    script = "import sys; from nnstudio.app import make_application; make_application(); print(sys.getswitchinterval())"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout.split()[-1]) == pytest.approx(GUI_SWITCH_INTERVAL_S)
    assert GUI_SWITCH_INTERVAL_S < 0.005, "below Python's default"
