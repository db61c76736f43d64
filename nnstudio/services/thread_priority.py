"""Background threads of the window's process yield the cores to the GUI thread.

Linux gives each thread its own niceness: a worker thread (a canvas job, a graph layout, a file's
reading) made nicer than the GUI thread waits when both want a core, instead of taking turns with it
(a step of the GUI thread waited up to 20 ms on the run queue behind the window's own workers while
the engine loaded a big model). Elsewhere, or where it is refused, nothing changes.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

WORKER_NICENESS = 10  # added to a worker thread's niceness (the engine's process: engine.process)


def make_this_thread_yield(niceness: int = WORKER_NICENESS) -> None:
    """Raise the calling thread's niceness by `niceness` (Linux: per thread; elsewhere nothing)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        thread_id = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread_id)
        os.setpriority(os.PRIO_PROCESS, thread_id, min(19, current + niceness))
