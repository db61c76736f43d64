"""The process tree of this application, read from /proc (Linux): engines, helpers and their memory."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def children(pid: int) -> list[int]:
    """The direct child processes of `pid`."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def is_engine(pid: int) -> bool:
    """Whether `pid` is a Keras engine (a multiprocessing spawn child), not a helper such as the resource tracker."""
    return "spawn_main" in cmdline(pid)


def engines(pid: int | None = None) -> list[int]:
    """The engine processes started by `pid` (this process by default)."""
    return [child for child in children(os.getpid() if pid is None else pid) if is_engine(child)]


def memory_kb(pid: int, field: str) -> int:
    """`field` ("Rss" or "Pss") of `pid` in kB, from /proc/PID/smaps_rollup (0 when it is gone)."""
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(pid: int | None = None) -> list[int]:
    """`pid` and all its descendants."""
    root = os.getpid() if pid is None else pid
    found, todo = [], [root]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children(current))
    return found
