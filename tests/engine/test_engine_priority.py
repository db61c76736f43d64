"""The engine runs at a lower scheduling priority than the process that started it."""

from __future__ import annotations

import os

import pytest

from nnstudio.engine.process import ENGINE_NICENESS


@pytest.mark.engine
def test_the_engine_yields_the_cores_to_the_window(engine_client):
    pid = engine_client.pid
    assert pid is not None
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, pid) == min(own + ENGINE_NICENESS, 19)
