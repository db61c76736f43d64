"""The window's worker threads are nicer than its GUI thread (Linux: niceness is per thread)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from nnstudio.services.file_reader import FileReader
from nnstudio.services.thread_priority import WORKER_NICENESS, make_this_thread_yield
from nnstudio.ui.background_job import BackgroundJob

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")
WAIT_MS = 10_000


def niceness() -> int:
    """The calling thread's niceness."""
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def expected_worker_niceness() -> int:
    return min(19, niceness() + WORKER_NICENESS)


def test_a_thread_that_yields_is_nicer_and_the_others_are_not():
    seen: list[int] = []

    def work() -> None:
        make_this_thread_yield()
        seen.append(niceness())

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [expected_worker_niceness()]
    assert niceness() == os.getpriority(os.PRIO_PROCESS, 0), "the GUI thread keeps its own"


def test_background_jobs_and_file_reads_run_in_nicer_threads(qtbot, tmp_path):
    results: list = []
    job = BackgroundJob(results.append, name="priority-test")
    job.start("tag", niceness)
    qtbot.waitUntil(lambda: bool(results), timeout=WAIT_MS)
    job.done()
    job.close()
    assert results[0].value == expected_worker_niceness()

    reader = FileReader()
    with qtbot.waitSignal(reader.done, timeout=WAIT_MS) as read:
        reader.read(tmp_path, lambda _path: niceness())
    assert read.args[0].value == expected_worker_niceness()
    assert reader.wait(WAIT_MS / 1000)
